import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { OnrampConfig } from './onramp-config.js';
import { redactConfig } from './onramp-config.js';
import { openStorage, type Storage } from './db/dialect.js';
import { migrateToLatest } from './db/migrations/index.js';
import { buildDeviceApp, buildPublicApp } from './app.js';
import type { GatewayMaterial } from './gateway/gateway.js';
import { resolveGatewayMaterial } from './gateway/gateway-material.js';
import { scheduleDirectorySync } from './directory/directory-sync.js';
import type { OnrampContext } from './context.js';
import { createOnboardingJobs } from './onboarding/invitations.scheduler.js';
import { connectGraph, type GraphConnection } from './graph/connect.js';
import { seedDemoSignatures, startDemoTenant, type DemoStart } from './demo.js';
import { demoFleetUsers, seedDemoFleet } from './demo-fleet.js';
import type { RunningSimulator } from './simulator/index.js';
import { systemClock, type Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';
import { assertPortsFree, portInUse, type ListenTarget } from './lib/listen-check.js';
import { JobBoard } from './db/recurring-job.js';
import { OnrampMetrics } from './observability/metrics.js';
import { startMetricsListener } from './observability/metrics-listener.js';
import { startTracing } from './observability/tracing.js';
import { outboxBacklogOf } from './mail/outbox.js';
import { lastSyncAt } from './directory/directory.queries.js';

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
  /** The metrics listener's address, when `telemetry.metricsPort` is set. */
  metricsUrl?: string;
  /** `serve --demo`: the in-process tenant simulator (for the demo's own tests; features see ctx.demoTenant). */
  simulator?: RunningSimulator;
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

/** listen(), with a port taken in the moment since assertPortsFree reported as such. */
async function listenOn(app: FastifyInstance, target: ListenTarget): Promise<string> {
  try {
    return await app.listen({ host: target.host, port: target.port });
  } catch (err) {
    throw portInUse(err, target) ?? err;
  }
}

export async function startOnramp(options: StartOptions): Promise<RunningOnramp> {
  const { log } = options;
  log.info({ config: redactConfig(options.config) }, 'starting onramp');
  // The demo simulates a tenant in-process unless a real one is configured.
  const demo: DemoStart | undefined = options.demo && !options.config.graph.tenantId ? await startDemoTenant(options.config, log) : undefined;
  const graph: GraphConnection = demo?.graph ?? (await connectGraph(options.config.graph, log));
  const config: OnrampConfig = demo?.config ?? options.config;
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
    demoTenant: demo?.demoTenant,
    jobs: new JobBoard(),
  };
  for (const job of storage.backgroundJobs) ctx.jobs?.add(job);
  const { telemetry } = config;
  if (telemetry.metricsPort !== undefined || telemetry.metricsToken) {
    ctx.metrics = new OnrampMetrics({
      storage,
      clock: ctx.clock,
      jobs: ctx.jobs,
      graph: graph.graph,
      outboxBacklog: () => outboxBacklogOf(storage.db),
      directorySyncedAt: () => lastSyncAt(storage.db),
    });
  }
  // Closed last (closers run in reverse), after the listeners stop using Graph.
  const closers: Array<() => Promise<unknown>> = [() => graph.close()];
  try {
    // Before the listeners are built: their request spans are installed only when tracing runs.
    if (telemetry.otlpEndpoint) {
      closers.push(await startTracing({ endpoint: telemetry.otlpEndpoint, serviceName: telemetry.serviceName, instanceId: ctx.instanceId }));
    }
    const applied = await migrateToLatest(storage);
    if (applied.length > 0) log.info({ applied, storage: storage.describe }, 'migrations applied');
    // Everything that can stop the start is checked before any listener opens: storage above, the
    // device listener's TLS material and CRLs here, then the ports. A failed start never served.
    const tls = await deviceTls(ctx);
    const publicTarget: ListenTarget = { setting: 'server.publicPort', host: config.server.publicHost, port: config.server.publicPort };
    const deviceTarget: ListenTarget = { setting: 'server.devicePort', host: config.server.deviceHost, port: config.server.devicePort };
    const metricsTarget: ListenTarget | undefined =
      telemetry.metricsPort === undefined ? undefined : { setting: 'telemetry.metricsPort', host: telemetry.metricsHost, port: telemetry.metricsPort };
    await assertPortsFree([publicTarget, ...(tls ? [deviceTarget] : []), ...(metricsTarget ? [metricsTarget] : [])]);

    const publicApp = await buildPublicApp(ctx);
    closers.push(() => publicApp.close());
    if (demo) await seedDemoSignatures(publicApp.signatures.store);
    // Devices are answered from the local directory copy; keep it current when there is a tenant to read.
    // A delta round's changed users get their signatures re-rendered and re-pushed (and photos re-read).
    // Planned device manifests are dropped too (their assignments read the same facts).
    if (graph.configured)
      closers.push(
        scheduleDirectorySync(ctx, graph.graph, async (changes) => {
          publicApp.branding.manifests.invalidate();
          await publicApp.signatureDeployment.directoryChanged(changes);
        }),
      );
    // Members of the groups signature rules name, read again on a schedule (one instance at a time).
    const signatureGroups = publicApp.signatures.groups;
    if (graph.configured && signatureGroups) {
      signatureGroups.job.start();
      closers.push(() => signatureGroups.job.stop());
    }
    let deviceApp: FastifyInstance | undefined;
    if (tls) {
      deviceApp = await buildDeviceApp(ctx, tls, { planner: publicApp.signatures.planner, branding: publicApp.branding });
      const app = deviceApp;
      closers.push(() => app.close());
    } else {
      log.warn('device listener is off: no server certificate configured for the device gateway');
    }

    const publicAddress = await listenOn(publicApp, publicTarget);
    const publicPort = new URL(publicAddress).port;
    const publicUrl = config.server.publicUrl ?? `http://localhost:${publicPort}`;
    let deviceUrl: string | undefined;
    if (deviceApp) deviceUrl = `https://localhost:${new URL(await listenOn(deviceApp, deviceTarget)).port}`;
    let metricsUrl: string | undefined;
    if (ctx.metrics && metricsTarget) {
      const listener = await startMetricsListener(ctx.metrics, metricsTarget);
      closers.push(() => listener.close());
      metricsUrl = listener.url;
      log.info({ url: `${metricsUrl}/metrics` }, 'metrics listener started');
    }

    // Invitation workflow, outbox sender, scheduled report; they stop before the listener (closers run in reverse).
    const onboardingJobs = createOnboardingJobs(ctx, {
      graph: graph.graph,
      publicUrl,
      demoMailbox: ctx.demoTenant?.sharedMailbox,
      demoRegistrations: ctx.demoTenant?.onRegistration,
      reports: publicApp.onboardingReports,
    });
    onboardingJobs.start(publicApp.onboarding);
    closers.push(() => onboardingJobs.stop());
    // After the directory's first round (the devices' manifests are planned from it); a failed seed leaves a working demo.
    if (demo)
      await seedDemoFleet(ctx, publicApp.branding, demoFleetUsers(demo.simulator)).catch((err: unknown) => log.warn({ err }, 'demo: seeding the fleet failed'));

    let closing: Promise<void> | undefined;
    return {
      ctx,
      publicApp,
      deviceApp,
      publicUrl,
      deviceUrl,
      metricsUrl,
      simulator: demo?.simulator,
      close: () =>
        (closing ??= (async () => {
          // A keep-alive connection whose request was in flight when close() began turns idle only
          // after its response; drop such connections as they idle instead of waiting out keep-alive.
          const servers = [publicApp.server, deviceApp?.server];
          const reaper = setInterval(() => {
            for (const s of servers) s?.closeIdleConnections();
          }, 100);
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
