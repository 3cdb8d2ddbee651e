/**
 * Assembles branding for one app: the file store (branding.storageDir, default <dataDir>/branding),
 * the store of files and assignments, the manifest planner, the served-manifest recorder, and the
 * admin API. The device listener serves the same feature (src/app.ts hands it over), so a change made
 * through the admin API clears the manifests the devices are served from at once.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { OnrampContext } from '../context.js';
import { DirectoryFacts } from '../directory/directory-facts.js';
import type { SignaturePlanner } from '../signatures/model.js';
import { brandingAdminRoutes, type BrandingAdminOptions } from './admin.routes.js';
import { BrandingFileStore, type ServableFiles } from './file-store.js';
import { ManifestPlanner } from './manifest.js';
import { ServedManifestRecorder } from './served-manifests.js';
import { BrandingStore } from './store.js';

export interface BrandingFeature {
  store: BrandingStore;
  manifests: ManifestPlanner;
  served: ServedManifestRecorder;
  files: ServableFiles;
  /** Writes what is waiting (served manifests). */
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    branding: BrandingFeature;
  }
}

const MAX_DESCRIBED = 10_000;

/** The directory's group tracking, which the signatures' store owns (one set of tracked groups). */
export interface GroupTracking {
  /** Adds assignments' groups to the tracked set. */
  addSource(source: () => Promise<Array<{ id: string; displayName: string }>>): void;
  /** Tracks the set again (after assignments changed). */
  changed(): Promise<void>;
}

export function createBranding(
  ctx: OnrampContext,
  options: { signatures?: SignaturePlanner | undefined; groups?: GroupTracking | undefined } = {},
): BrandingFeature {
  const cfg = ctx.config.branding;
  const fileStore = new BrandingFileStore(cfg.storageDir ?? join(ctx.config.dataDir, 'branding'));
  const store = new BrandingStore({
    db: ctx.storage.db,
    files: fileStore,
    clock: ctx.clock,
    groupsChanged: options.groups ? () => options.groups!.changed() : undefined,
    limits: { maxImageBytes: cfg.maxImageBytes, maxVideoBytes: cfg.maxVideoBytes, minImagePixels: cfg.minImagePixels, maxImagePixels: cfg.maxImagePixels },
  });
  const manifests = new ManifestPlanner({
    store,
    directory: new DirectoryFacts(ctx.storage.db),
    signatures: options.signatures,
    clock: ctx.clock,
    sync: { intervalMinutes: cfg.syncIntervalMinutes, jitterMinutes: cfg.syncJitterMinutes },
    cacheMs: cfg.manifestCacheMs,
  });
  options.groups?.addSource(() => store.namedGroups());
  const served = new ServedManifestRecorder(ctx.storage.db, ctx.log);
  let described = new Map<string, { contentType: string; size: number }>();
  store.onChange(() => {
    described = new Map();
  });
  const files: ServableFiles = {
    async describe(sha256) {
      const known = described.get(sha256) ?? (await store.servableFile(sha256));
      // The row says what it is; the file must be there too (another instance may have deleted it).
      if (!known || !(await fileStore.has(sha256))) return undefined;
      if (described.size >= MAX_DESCRIBED) described = new Map();
      described.set(sha256, known);
      return known;
    },
    read: (sha256, range) => fileStore.read(sha256, range),
  };
  return { store, manifests, served, files, close: () => served.close() };
}

export type BrandingAdminHost = Pick<BrandingAdminOptions, 'viewerGuard' | 'adminGuard' | 'actorOf' | 'audit'> & {
  /** The signatures' planner: manifests carry the user's signature set. */
  signatures?: SignaturePlanner | undefined;
  /** Subscribes to signature template, rule and variable changes: planned manifests are dropped. */
  onSignaturesChanged?: ((listener: () => void) => void) | undefined;
  groups?: GroupTracking | undefined;
};

/** Builds branding for this app (`app.branding`) and registers the admin API. */
export async function registerBranding(app: FastifyInstance, ctx: OnrampContext, host: BrandingAdminHost): Promise<BrandingFeature> {
  const feature = createBranding(ctx, { signatures: host.signatures, groups: host.groups });
  host.onSignaturesChanged?.(() => feature.manifests.invalidate());
  app.decorate('branding', feature);
  app.addHook('onClose', () => feature.close());
  await app.register(brandingAdminRoutes, {
    ...host,
    store: feature.store,
    manifests: feature.manifests,
    files: feature.files,
    maxUploadBytes: Math.max(ctx.config.branding.maxImageBytes, ctx.config.branding.maxVideoBytes),
    clock: ctx.clock,
  });
  return feature;
}
