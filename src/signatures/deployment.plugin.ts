/**
 * Assembles the deployment side of signatures for one app: the photo source the planner renders with,
 * the Exchange push (its job and schedule, started by src/main.ts), the state the portal reads, and the
 * admin routes. The host hands in the planner and the auth hooks, as onboarding's are.
 */
import type { FastifyInstance } from 'fastify';
import type { OnrampContext } from '../context.js';
import type { DirectoryProfile } from '../graph/graph-port.js';
import { DirectoryFacts } from '../directory/directory-facts.js';
import { notConfiguredGraph } from '../graph/not-configured.js';
import { DeploymentState } from './deployment-state.js';
import { deploymentRoutes, type DeploymentRoutesOptions } from './deployment.routes.js';
import { SignatureDeployment } from './exchange-push.js';
import type { SignaturePlanner } from './model.js';
import { GraphPhotoSource } from './photos.js';

export interface SignatureDeploymentFeature {
  deployment: SignatureDeployment;
  state: DeploymentState;
  /** Give it to DirectorySync (`onChanged`): changed users' photos go stale and their mailboxes are re-pushed. */
  directoryChanged(changes: { upserted: DirectoryProfile[]; removed: string[] }): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    signatureDeployment: SignatureDeploymentFeature;
  }
}

/** People's photos from Graph for the planner, cached in this instance's database. */
export function createPhotoSource(ctx: OnrampContext): GraphPhotoSource {
  const cfg = ctx.config.signatures;
  return new GraphPhotoSource(ctx.storage.db, ctx.graph ?? notConfiguredGraph, ctx.clock, ctx.log, {
    size: cfg.photoSize,
    ttlMs: cfg.photoTtlMs,
    timeoutMs: cfg.photoTimeoutMs,
  });
}

export type SignatureDeploymentHost = Omit<DeploymentRoutesOptions, 'deployment' | 'state'> & {
  planner: SignaturePlanner;
  photos: GraphPhotoSource;
  /** Subscribes to template, rule and variable changes (the store's `onChange`): each queues a push. */
  onSignaturesChanged?: (listener: () => void) => void;
};

export async function registerSignatureDeployment(
  app: FastifyInstance,
  ctx: OnrampContext,
  host: SignatureDeploymentHost,
): Promise<SignatureDeploymentFeature> {
  const cfg = ctx.config.signatures;
  const directory = new DirectoryFacts(ctx.storage.db);
  const deployment = new SignatureDeployment(
    ctx.storage.db,
    ctx.exchange ?? notConfiguredGraph,
    host.planner,
    ctx.clock,
    ctx.log,
    ctx.instanceId,
    {
      concurrency: cfg.deploymentConcurrency,
      intervalMs: cfg.deploymentIntervalMs,
      reportsOf: (managerIds) => directory.mailboxesReportingTo(managerIds),
    },
    ctx.jobs,
  );
  host.onSignaturesChanged?.(() => {
    deployment.request({ trigger: 'change' }).catch((err: unknown) => ctx.log.warn({ err }, 'could not queue a signature deployment after a change'));
  });
  const state = new DeploymentState(ctx.storage.db, host.planner, ctx.clock);
  const feature: SignatureDeploymentFeature = {
    deployment,
    state,
    directoryChanged: async (changes) => {
      await host.photos.directoryChanged(changes);
      await deployment.directoryChanged(changes);
    },
  };
  app.decorate('signatureDeployment', feature);
  // The push works in the background of the app that carries its routes, so "Deploy now" runs where it
  // was asked; one instance at a time by lease. Without Exchange (contexts built by hand) it stays off.
  if (ctx.exchange) app.addHook('onReady', async () => deployment.start());
  app.addHook('onClose', () => deployment.stop());
  await app.register(deploymentRoutes, {
    deployment,
    state,
    viewerGuard: host.viewerGuard,
    adminGuard: host.adminGuard,
    actorOf: host.actorOf,
    audit: host.audit,
  });
  return feature;
}
