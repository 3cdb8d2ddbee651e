import type { FastifyInstance } from 'fastify';
import type { OnrampContext } from '../context.js';
import { DirectoryFacts } from '../directory/directory-facts.js';
import { GroupMembership } from '../directory/group-membership.js';
import { notConfiguredGraph } from '../graph/not-configured.js';
import { signatureAdminRoutes, type SignatureAdminOptions } from './admin.routes.js';
import type { SignatureEngine } from './engine.js';
import type { PhotoSource } from './model.js';
import { StoredSignaturePlanner } from './planner.js';
import { SignatureStore } from './store.js';

/** The store, the planner (deployments consume it) and the group refresh job of this app. */
export interface SignatureFeature {
  store: SignatureStore;
  planner: StoredSignaturePlanner;
  /** Keeps the members of the groups rules name; undefined without a Graph tenant. Started by src/main.ts. */
  groups: GroupMembership | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    signatures: SignatureFeature;
  }
}

/** What the admin API needs from its host: role hooks and the audit log (src/auth), and the engine. */
export type SignatureAdminHost = Pick<SignatureAdminOptions, 'viewerGuard' | 'adminGuard' | 'actorOf' | 'audit'> & {
  engine: SignatureEngine;
  photos?: PhotoSource | undefined;
};

/** Builds the store and the planner for this app (`app.signatures`) and registers the admin API. */
export async function registerSignatureAdmin(app: FastifyInstance, ctx: OnrampContext, host: SignatureAdminHost): Promise<SignatureFeature> {
  const db = ctx.storage.db;
  const cfg = ctx.config.signatures;
  const groups = ctx.graph
    ? new GroupMembership(db, ctx.graph, ctx.clock, ctx.log, ctx.instanceId, { intervalMs: ctx.config.directory.groupRefreshIntervalMs, jobs: ctx.jobs })
    : undefined;
  const store = new SignatureStore({ db, engine: host.engine, clock: ctx.clock, groups, maxAssetBytes: cfg.maxAssetBytes });
  const planner = new StoredSignaturePlanner({
    db,
    store,
    engine: host.engine,
    directory: new DirectoryFacts(db),
    clock: ctx.clock,
    timeZone: cfg.timeZone,
    photos: host.photos,
  });
  // Someone joining or leaving a group rules name is a change like a rule edit (deployments re-plan).
  groups?.onChanged((ids) => store.groupMembersChanged(ids));
  const feature: SignatureFeature = { store, planner, groups };
  app.decorate('signatures', feature);
  const graph = ctx.graph ?? notConfiguredGraph;
  await app.register(signatureAdminRoutes, {
    ...host,
    store,
    planner,
    maxAssetBytes: cfg.maxAssetBytes,
    timeZone: cfg.timeZone,
    findGroups: (prefix, limit) => graph.findGroups(prefix, limit),
  });
  return feature;
}
