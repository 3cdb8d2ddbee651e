import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { OnrampConfig } from './config/config.js';
import { redactConfig } from './config/config.js';
import { openStorage, type Storage } from './db/dialect.js';
import { migrateToLatest } from './db/migrations/index.js';
import { buildDeviceApp, buildPublicApp } from './app.js';
import type { GatewayMaterial } from './gateway/gateway.js';
import { resolveGatewayMaterial } from './gateway/gateway-material.js';
import { scheduleDirectorySync } from './directory/directory-sync.js';
import type { OnrampContext } from './context.js';
import { createOnboardingJobs } from './onboarding/invitations.scheduler.js';
import { connectGraph, withDemoTenant } from './graph/connect.js';
import { systemClock, type Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';
import { JobBoard } from './lib/recurring-job.js';

export interface StartOptions {
  config: OnrampConfig;
  log: Logger;
  demo?: boolean;
  clock?: Clock;
}

export interface RunningOnramp {
  ctx: OnrampContext;
  publicApp: FastifyInstance;
  deviceApp?: FastifyInstance;
  publicUrl: string;
  deviceUrl?: string;
  /** Stops accepting work, lets in-flight requests finish, then releases the database. */
  close(): Promise<void>;
}

/**
 * Device listener TLS material: server certificate, trust anchors and CRLs from config, or the dev PKI
 * under dataDir in demo mode. Without a server certificate the device listener stays off and says so.
 */
function deviceTls(ctx: OnrampContext): Promise<GatewayMaterial | undefined> {
  return resolveGatewayMaterial(ctx);
}

export async function startOnramp(options: StartOptions): Promise<RunningOnramp> {
  const { log } = options;
  log.info({ config: redactConfig(options.config) }, 'starting onramp');
  const graph = await connectGraph(options.config, { demo: options.demo ?? false, log });
  const config: OnrampConfig = graph.simulator ? withDemoTenant(options.config, graph.simulator) : options.config;
  let storage: Storage;
  try {
    storage = await openStorage({ ...config.database, dataDir: config.dataDir, log });
  } catch (err) {
    await graph.close();
    throw err;
  }
  const ctx: OnrampContext = {
    config,
    storage,
    log,
    clock: options.clock ?? systemClock,
    demo: options.demo ?? false,
    instanceId: `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    graph: graph.graph,
    exchange: graph.exchange,
    simulator: graph.simulator,
    jobs: new JobBoard(),
  };
  for (const job of storage.backgroundJobs) ctx.jobs?.add(job);
  // Closed last (closers run in reverse), after the listeners stop using Graph.
  const closers: Array<() => Promise<unknown>> = [() => graph.close()];
  try {
    const applied = await migrateToLatest(storage);
    if (applied.length > 0) log.info({ applied, storage: storage.describe }, 'migrations applied');
    // Devices are answered from the local directory copy; keep it current when there is a tenant to read.
    if (graph.configured) closers.push(scheduleDirectorySync(ctx, graph.graph));

    const publicApp = await buildPublicApp(ctx);
    closers.push(() => publicApp.close());
    const publicAddress = await publicApp.listen({ host: config.server.publicHost, port: config.server.publicPort });
    const publicPort = new URL(publicAddress).port;
    const publicUrl = config.server.publicUrl ?? `http://localhost:${publicPort}`;
    // Invitation workflow, outbox sender, scheduled report; they stop before the listener (closers run in reverse).
    const sim = graph.simulator;
    const onboardingJobs = createOnboardingJobs(ctx, {
      graph: graph.graph,
      publicUrl,
      demoMailbox: sim?.sharedMailbox,
      demoRegistrations: sim && ((listener) => sim.control.onMethodsChanged(listener)),
    });
    onboardingJobs.start(publicApp.onboarding);
    closers.push(() => onboardingJobs.stop());

    let deviceApp: FastifyInstance | undefined;
    let deviceUrl: string | undefined;
    const tls = await deviceTls(ctx);
    if (tls) {
      deviceApp = await buildDeviceApp(ctx, tls);
      const app = deviceApp;
      closers.push(() => app.close());
      const address = await deviceApp.listen({ host: config.server.deviceHost, port: config.server.devicePort });
      deviceUrl = `https://localhost:${new URL(address).port}`;
    } else {
      log.warn('device listener is off: no server certificate configured for the device gateway');
    }

    let closing: Promise<void> | undefined;
    return {
      ctx,
      publicApp,
      deviceApp,
      publicUrl,
      deviceUrl,
      close: () =>
        (closing ??= (async () => {
          // A keep-alive connection whose request was in flight when close() began turns idle only
          // after its response; drop such connections as they idle instead of waiting out keep-alive.
          const servers = [publicApp.server, deviceApp?.server];
          const reaper = setInterval(() => servers.forEach((s) => s?.closeIdleConnections()), 100);
          try {
            for (const close of closers.reverse()) await close();
          } finally {
            clearInterval(reaper);
          }
          await storage.close();
        })()),
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => {});
    await storage.close().catch(() => {});
    throw err;
  }
}
