/**
 * PostgreSQL backends of a running `onramp serve` are terminated (pg_terminate_backend, as a failover,
 * a restart or a pooler closing connections does) at three moments: mid-run, mid-delivery and idle;
 * and the database is made unreachable for a while (a loopback TCP proxy in front of it stops
 * forwarding). Expected: the process never exits, readiness says not ready while the database cannot
 * be reached and ready after, the run completes by itself, nobody is lost.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '../../src/onramp-config.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { OnboardingService } from '../../src/onboarding/onboarding.service.js';
import { LISTENING, runCli } from '../support/process.js';
import { SmtpSink } from '../support/smtp.js';
import { postgresBackend, TEST_DATABASE_URL } from '../support/storage.js';
import { faultServeEnv, faultTenant, eligibleOf, figure, lostAndDuplicates, rosterCsv, statusCounts, until as waitUntil } from './support.js';

const USERS = 300;

/** A loopback TCP proxy to PostgreSQL that can stop forwarding (the database unreachable) and resume. */
async function startProxy(target: URL): Promise<{ port: number; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) return client.destroy();
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut() {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      refusing = false;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('fault: PostgreSQL backends terminated and the database unreachable', { skip: postgresBackend.skip }, () => {
  const fixture = faultTenant(USERS, 'pg');

  test('terminated mid-run, mid-delivery and idle, and unreachable for a while: 0 process exits, readiness false then true, run complete, 0 lost', async () => {
    const { tenant } = fixture;
    const storage = await postgresBackend.open();
    const sink = await new SmtpSink().start();
    const proxy = await startProxy(new URL(TEST_DATABASE_URL));
    // Only this server's backends are terminated: other suites share the database.
    const applicationName = `onramp-fault-${randomBytes(4).toString('hex')}`;
    const url = new URL(TEST_DATABASE_URL);
    url.host = `127.0.0.1:${proxy.port}`;
    url.searchParams.set('application_name', applicationName);
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const terminate = async () =>
      Number(
        (
          await admin.query('select count(*) filter (where pg_terminate_backend(pid)) as n from pg_stat_activity where application_name = $1', [
            applicationName,
          ])
        ).rows[0].n,
      );
    const env: Record<string, string> = {
      ...storage.env,
      ...faultServeEnv(fixture, sink.port, {
        ONRAMP_DATABASE_URL: url.toString(),
        ONRAMP_DATABASE_CONNECT_TIMEOUT_MS: '1000',
        ONRAMP_LOG_LEVEL: 'info',
        ONRAMP_INVITATIONS_RETRY_AFTER_FAILURE_SECONDS: '1',
      }),
    };
    const onboarding = new OnboardingService({
      storage,
      config: loadConfig({ env: { ...env, ...storage.env } }),
      clock: systemClock,
      log: createLogger('silent'),
      graph: tenant.graph,
    });
    await onboarding.upload(rosterCsv(USERS), { actor: 'test' });
    tenant.sim.control.setFaults({ latencyMs: 20 });
    const server = runCli(['serve'], env);
    const eligible = eligibleOf(USERS);
    const terminated: Record<string, number> = {};
    try {
      const base = (await server.waitFor(LISTENING))[1]!;
      // Waits end at once, failing, if the server exits (the defect: an unhandled 'error' event ended it).
      const until = (check: () => boolean | Promise<boolean>, what: string, timeoutMs?: number) =>
        waitUntil(
          async () => {
            if (server.child.exitCode !== null || server.child.signalCode !== null)
              throw new Error(`the server exited while waiting for ${what}:\n${server.output().slice(-3000)}`);
            return check();
          },
          what,
          timeoutMs,
        );
      const readyz = async () => (await fetch(`${base}/readyz`).catch(() => null))?.status ?? 0;

      // 1. Mid-run: a chunk has committed, the run is on the next ones.
      await until(async () => (await storage.db.selectFrom('mail_outbox').select('id').limit(1).execute()).length > 0, 'the first chunk to commit');
      terminated.midRun = await terminate();
      // 2. Mid-delivery: some invitations accepted by the SMTP server, others still queued.
      await until(() => sink.received.length >= 20, 'deliveries to be under way');
      terminated.midDelivery = await terminate();
      assert.equal(server.child.exitCode, null, `the server is still running:\n${server.output().slice(-2000)}`);

      // The database unreachable for a while: readiness says so, then recovers.
      proxy.cut();
      await until(async () => (await readyz()) === 503, 'readiness to say not ready', 20_000);
      proxy.restore();
      await until(async () => (await readyz()) === 200, 'readiness to say ready again', 20_000);

      await until(() => lostAndDuplicates(sink, eligible).lost.length === 0, 'every eligible user to be invited', 90_000);
      await until(async () => (await statusCounts(storage.db)).Sent === eligible.length, 'every eligible user to be Sent', 20_000);
      // 3. Idle: nothing in flight; the pool's idle clients are dropped.
      terminated.idle = await terminate();
      await until(async () => (await readyz()) === 200, 'readiness after the idle termination', 20_000);
      assert.equal(server.child.exitCode, null, 'the server is still running');
      assert.ok(terminated.midRun! > 0 && terminated.idle! > 0, `backends were terminated: ${JSON.stringify(terminated)}`);
      assert.doesNotMatch(server.output(), /Unhandled 'error' event|uncaughtException/);
      const { duplicates } = lostAndDuplicates(sink, eligible);
      figure('postgres-terminated', {
        users: USERS,
        eligible: eligible.length,
        terminatedBackends: terminated,
        processExits: 0,
        lost: 0,
        duplicates,
        readiness: '503 while unreachable, then 200',
      });
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      await admin.end();
      await proxy.close();
      await sink.close();
      await storage.close();
    }
  });
});
