/**
 * Scenario 2: an invitation run for 10,000 Pending users against the tenant simulator answering every
 * Graph request after 30 ms, on SQLite and on PostgreSQL: ≤ 6 s wall each, and ≤ 2× the run's own
 * Graph floor (its requests × the latency ÷ the Graph client's concurrency: the time the requests take
 * if nothing else did); ≤ 0.15 Graph requests per user; emails queued per second is reported. onramp
 * runs as users run it (the CLI server); the upload's trigger starts the run (debounce set to 0 so the
 * wall time is the run's), and the run is over when no user is Pending any more. The run's own
 * breakdown of its time (the summary's phasesMs) goes into the note. The whole roster is uploaded,
 * disabled and guest accounts included (they become Excluded). Mail goes to an SMTP sink, so the
 * simulator's request count is Graph directory traffic only.

 * `BENCH_CPU_PROF=<dir>` writes the servers' CPU profiles there (bench/support.ts).
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { join } from 'node:path';
import { POSTGRES_URL } from '../baselines.js';
import { figure, type Figure, type Target } from '../harness.js';
import { createApiToken, startOnrampServer, type OnrampServer } from '../onramp.js';
import { startCountingSink } from '../smtp-sink.js';
import type { ScenarioContext } from './context.js';
import { upload } from './upload.js';

const WALL: Target = { op: '<=', value: 6 };
const OVER_FLOOR: Target = { op: '<=', value: 2 };
const PER_USER: Target = { op: '<=', value: 0.15 };
const SCENARIO = '2 invitation run';
const LATENCY_MS = 30;
/** The Graph client's concurrency the servers run with (ONRAMP_GRAPH_MAX_CONCURRENCY, its default). */
const GRAPH_CONCURRENCY = 4;

type Engine = 'SQLite' | 'PostgreSQL';

interface RunOutcome {
  wall: number;
  counts: Record<string, number>;
  queued: number;
  graphRequests: number;
  batchItems: number;
  throttled: number;
  phasesMs: Record<string, number> | undefined;
}

/** Reads the server's database directly: statuses by count, and the outbox's size. */
async function readDatabase(server: OnrampServer, engine: Engine): Promise<{ counts: Record<string, number>; queued: number }> {
  const countsSql = 'select invite_status as s, count(*) as n from tracked_user group by invite_status';
  const queuedSql = 'select count(*) as n from mail_outbox';
  const shape = (rows: Array<{ s: string; n: number | string }>, queued: number | string) => ({
    counts: Object.fromEntries(rows.map((r) => [r.s, Number(r.n)])),
    queued: Number(queued),
  });
  if (engine === 'SQLite') {
    const db = new Database(join(server.dataDir, 'onramp.sqlite'), { readonly: true, fileMustExist: true });
    try {
      return shape(db.prepare(countsSql).all() as Array<{ s: string; n: number }>, (db.prepare(queuedSql).get() as { n: number }).n);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`set search_path to ${server.env.ONRAMP_DATABASE_SCHEMA}`);
    return shape((await client.query(countsSql)).rows, (await client.query(queuedSql)).rows[0].n);
  } finally {
    await client.end();
  }
}

/** The last run's summary as the portal reads it: its phasesMs say where the time went. */
async function lastRunPhases(server: OnrampServer, token: string): Promise<Record<string, number> | undefined> {
  for (let i = 0; i < 50; i++) {
    const res = await fetch(`${server.url}/api/admin/campaign/run`, { headers: { authorization: `Bearer ${token}` } });
    const run = (await res.json()) as { running: boolean; lastSummary: { phasesMs?: Record<string, number> } | null };
    if (!run.running && run.lastSummary) return run.lastSummary.phasesMs;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

/**
 * Waits for the server's first directory sync (users/delta over the whole tenant, at start) to end, so
 * the run's Graph requests and time are its own: the simulator sees no request for half a second.
 */
async function directorySyncDone(sim: ScenarioContext['tenant']['sim']): Promise<void> {
  let seen = -1;
  for (let i = 0; i < 240 && sim.control.stats().graphRequests !== seen; i++) {
    seen = sim.control.stats().graphRequests;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function runOn(ctx: ScenarioContext, engine: Engine): Promise<RunOutcome> {
  const n = ctx.sizes.invitationUsers;
  const sim = ctx.tenant.sim;
  // Each engine's run starts from the same directory: the first run's group adds are undone after it.
  const group = sim.control.tenant.groups.get(sim.control.tenant.mfaGroupId)!;
  const membersBefore = new Set(group.members);
  const sink = await startCountingSink();
  let server: OnrampServer | undefined;
  try {
    server = await startOnrampServer({
      workDir: ctx.workDir,
      name: `invitation-${engine.toLowerCase()}`,
      postgres: engine === 'PostgreSQL',
      env: {
        ...ctx.tenant.graphEnv,
        ONRAMP_GRAPH_MAX_CONCURRENCY: String(GRAPH_CONCURRENCY),
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
    await directorySyncDone(sim);
    sim.control.resetStats();
    sim.control.setFaults({ latencyMs: LATENCY_MS });
    await upload(server, token, n, upns);
    const started = performance.now();
    const deadline = started + (ctx.sizes.quick ? 90_000 : 300_000);
    let read = await readDatabase(server, engine);
    for (;;) {
      if ((read.counts.Pending ?? 0) === 0) break;
      // An upload that never starts a run is a broken server; no need to wait for the deadline.
      if (read.counts.Pending === n && performance.now() - started > (ctx.sizes.quick ? 10_000 : 30_000)) {
        throw new Error(`${engine}: the upload did not start an invitation run: all ${n} users still Pending`);
      }
      if (performance.now() > deadline) throw new Error(`${engine}: run not finished in time; statuses ${JSON.stringify(read.counts)}`);
      await new Promise((r) => setTimeout(r, 100));
      read = await readDatabase(server, engine);
    }
    const wall = (performance.now() - started) / 1000;
    const stats = sim.control.stats();
    const total = Object.values(read.counts).reduce((a, b) => a + b, 0);
    if (total !== n) throw new Error(`${engine}: ${total} tracked users after the run, ${n} uploaded`);
    if ((read.counts.Error ?? 0) > 0) throw new Error(`${engine}: run left users in Error: ${JSON.stringify(read.counts)}`);
    const sent = read.counts.Sent ?? 0;
    if (sent === 0 || read.queued < sent) throw new Error(`${engine}: no invitations queued: statuses ${JSON.stringify(read.counts)}, outbox ${read.queued}`);
    return {
      wall,
      ...read,
      graphRequests: stats.graphRequests,
      batchItems: stats.batchItems,
      throttled: stats.throttled,
      phasesMs: await lastRunPhases(server, token),
    };
  } finally {
    sim.control.setFaults({ latencyMs: 0 });
    group.members.clear();
    for (const id of membersBefore) group.members.add(id);
    await server?.stop();
    await sink.stop();
  }
}

export async function invitationScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const n = ctx.sizes.invitationUsers;
  const label = n.toLocaleString('en-US');
  const engines: Engine[] = ctx.postgres ? ['SQLite', 'PostgreSQL'] : ['SQLite'];
  const figures: Figure[] = [];
  for (const engine of engines) {
    const run = await runOn(ctx, engine);
    const floor = (run.graphRequests * LATENCY_MS) / 1000 / GRAPH_CONCURRENCY;
    const phases = run.phasesMs
      ? Object.entries(run.phasesMs)
          .map(([phase, ms]) => `${phase} ${ms}`)
          .join(', ')
      : 'not read';
    const note =
      `statuses after the run ${JSON.stringify(run.counts)}; ${run.graphRequests} Graph requests (${run.batchItems} batch items, ${run.throttled} throttled); ` +
      `phases in ms (summed over parallel chunks): ${phases}`;
    const floorBaseline = { name: `Graph floor (${run.graphRequests} × ${LATENCY_MS} ms ÷ ${GRAPH_CONCURRENCY})`, value: floor };
    figures.push(
      figure(SCENARIO, `run for ${label} Pending users (Graph latency 30 ms), ${engine}, wall time`, 's', [run.wall], WALL, floorBaseline, note),
      figure(SCENARIO, `run on ${engine}: wall time ÷ its Graph floor`, '×', [run.wall / floor], OVER_FLOOR, null, `floor ${floor.toFixed(2)} s`),
      figure(SCENARIO, `Graph requests per user, ${engine}`, 'req/user', [run.graphRequests / n], PER_USER, null, 'seed design: 4+ per user'),
      figure(
        SCENARIO,
        `emails queued per second, ${engine}`,
        'emails/s',
        [run.queued / run.wall],
        null,
        null,
        `${run.queued} invitations queued in the outbox`,
      ),
    );
  }
  return figures;
}
