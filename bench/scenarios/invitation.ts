/**
 * Scenario 2: an invitation run for 10,000 Pending users against the tenant simulator answering every
 * Graph request after 30 ms: ≤ 60 s wall, ≤ 0.15 Graph requests per user; emails queued per second is
 * reported. onramp runs as users run it (the CLI server); the upload's trigger starts the run (debounce
 * set to 0 so the wall time is the run's), and the run is over when no user is Pending any more.
 * The whole roster is uploaded, disabled and guest accounts included (they become Excluded).
 * Mail goes to an SMTP sink, so the simulator's request count is Graph directory traffic only.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { figure, type Figure, type Target } from '../harness.js';
import { createApiToken, startOnrampServer, type OnrampServer } from '../onramp.js';
import { startCountingSink } from '../smtp-sink.js';
import type { ScenarioContext } from './context.js';
import { upload } from './upload.js';

const WALL: Target = { op: '<=', value: 60 };
const PER_USER: Target = { op: '<=', value: 0.15 };
const SCENARIO = '2 invitation run';

function statusCounts(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, 'onramp.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('select invite_status as s, count(*) as n from tracked_user group by invite_status').all() as Array<{ s: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.s, r.n]));
  } finally {
    db.close();
  }
}

function queuedEmails(dataDir: string): number {
  const db = new Database(join(dataDir, 'onramp.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('select count(*) as n from mail_outbox').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

export async function invitationScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const n = ctx.sizes.invitationUsers;
  const label = n.toLocaleString('en-US');
  const wallMetric = `run for ${label} Pending users (Graph latency 30 ms), wall time`;
  const tenant = ctx.tenant;
  const sim = tenant.sim;
  const sink = await startCountingSink();
  let server: OnrampServer | undefined;
  try {
    server = await startOnrampServer({
      workDir: ctx.workDir,
      name: 'invitation',
      env: {
        ...tenant.graphEnv,
        ONRAMP_MAIL_TRANSPORT: 'smtp',
        ONRAMP_SMTP_HOST: '127.0.0.1',
        ONRAMP_SMTP_PORT: String(sink.port),
        ONRAMP_MAIL_FROM: sim.sharedMailbox,
        ONRAMP_INVITATIONS_TRIGGER_DEBOUNCE_MS: '0',
      },
    });
    const upns = [...sim.control.tenant.users.values()]
      .map((u) => u.userPrincipalName)
      .filter((u) => u.toLowerCase() !== sim.sharedMailbox.toLowerCase())
      .slice(0, n);
    if (upns.length !== n) throw new Error(`the simulated tenant has ${upns.length} users, ${n} wanted`);
    const token = await createApiToken(server);
    sim.control.resetStats();
    sim.control.setFaults({ latencyMs: 30 });
    await upload(server, token, n, upns);
    const started = performance.now();
    const deadline = started + (ctx.sizes.quick ? 90_000 : 300_000);
    let counts: Record<string, number> = {};
    for (;;) {
      counts = statusCounts(server.dataDir);
      if ((counts.Pending ?? 0) === 0) break;
      // An upload that never starts a run is a broken server; no need to wait for the deadline.
      if (counts.Pending === n && performance.now() - started > (ctx.sizes.quick ? 10_000 : 30_000)) {
        throw new Error(`the upload did not start an invitation run: all ${n} users still Pending`);
      }
      if (performance.now() > deadline) throw new Error(`run not finished in time; statuses ${JSON.stringify(counts)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const wall = (performance.now() - started) / 1000;
    const queued = queuedEmails(server.dataDir);
    const stats = sim.control.stats();
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    if (total !== n) throw new Error(`${total} tracked users after the run, ${n} uploaded`);
    if ((counts.Error ?? 0) > 0) throw new Error(`run left users in Error: ${JSON.stringify(counts)}`);
    if ((counts.Sent ?? 0) === 0 || queued < (counts.Sent ?? 0)) throw new Error(`no invitations queued: statuses ${JSON.stringify(counts)}, outbox ${queued}`);
    const note = `statuses after the run ${JSON.stringify(counts)}; ${stats.graphRequests} Graph requests (${stats.batchItems} batch items, ${stats.throttled} throttled)`;
    return [
      figure(SCENARIO, wallMetric, 's', [wall], WALL, null, note),
      figure(SCENARIO, 'Graph requests per user', 'req/user', [stats.graphRequests / n], PER_USER, null, 'seed design: 4+ per user'),
      figure(SCENARIO, 'emails queued per second', 'emails/s', [queued / wall], null, null, `${queued} invitations queued in the outbox`),
    ];
  } finally {
    sim.control.setFaults({ latencyMs: 0 });
    await server?.stop();
    await sink.stop();
  }
}
