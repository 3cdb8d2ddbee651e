/**
 * Scenario 1: a CSV of 100,000 rows uploaded through `POST /api/upload-users` (API token), validated and
 * stored: ≤ 3 s on SQLite and on PostgreSQL, and within 1.5× (SQLite) and 1.2× (PostgreSQL) of a raw
 * insert loop of the same row count in the same run (issue 23); the median of several first uploads per
 * engine.
 */
import { figure, type Figure, type Target } from '../harness.js';
import { createApiToken, startOnrampServer, type OnrampServer } from '../onramp.js';
import type { ScenarioContext } from './context.js';

const SQLITE_TARGET: Target = { op: '<=', value: 3, ratio: 1.5 };
const POSTGRES_TARGET: Target = { op: '<=', value: 3, ratio: 1.2 };
const SCENARIO = '1 CSV upload';

/** A roster as HR exports it: UPN first, a few descriptive columns, CRLF line ends. */
export function rosterCsv(rows: number, upns?: readonly string[]): string {
  const lines = ['UserPrincipalName,DisplayName,Department'];
  for (let i = 0; i < rows; i++) lines.push(`${upns?.[i] ?? `user${i}@contoso.example`},Bench User ${i},Dept ${i % 40}`);
  return lines.join('\r\n') + '\r\n';
}

interface UploadAnswer {
  batchId?: string;
  added?: unknown[];
  reset?: unknown[];
  skipped?: unknown[];
  errors?: unknown[];
  total?: number;
}

/** Uploads `rows` users and returns the wall time in seconds; a wrong count breaks the scenario. */
export async function upload(server: OnrampServer, token: string, rows: number, upns?: readonly string[], batchId?: string): Promise<number> {
  const csv = rosterCsv(rows, upns);
  const started = performance.now();
  const res = await fetch(`${server.url}/api/upload-users${batchId ? `?batchId=${encodeURIComponent(batchId)}` : ''}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: csv,
  });
  const text = await res.text();
  const seconds = (performance.now() - started) / 1000;
  if (res.status !== 200) throw new Error(`upload answered ${res.status}: ${text.slice(0, 300)}`);
  const answer = JSON.parse(text) as UploadAnswer;
  const stored = (answer.added?.length ?? 0) + (answer.reset?.length ?? 0);
  if (stored !== rows || (answer.errors?.length ?? 0) > 0 || (answer.skipped?.length ?? 0) > 0) {
    throw new Error(`upload of ${rows} rows stored ${stored} (skipped ${answer.skipped?.length}, errors ${answer.errors?.length})`);
  }
  return seconds;
}

/**
 * The main server's tracked users (scenarios 3, 5 and 6 read them): uploaded once, by the upload
 * scenario's first SQLite run or, when that scenario is left out (`--only`), here.
 */
export async function mainToken(ctx: ScenarioContext): Promise<string> {
  if (!ctx.mainToken) {
    const token = await createApiToken(ctx.main);
    await upload(ctx.main, token, ctx.sizes.uploadRows);
    ctx.mainToken = token;
  }
  return ctx.mainToken;
}

interface UploadTarget {
  server: OnrampServer;
  token: string;
  /** Extra servers are stopped after their run; the main one lives on for the later scenarios. */
  extra: boolean;
}

async function prepare(ctx: ScenarioContext, name: string, postgres: boolean): Promise<UploadTarget> {
  const server = await startOnrampServer({ workDir: ctx.workDir, name, postgres });
  try {
    return { server, token: await createApiToken(server), extra: true };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/**
 * Each run is a first upload into an empty database (a fresh data folder or a fresh PostgreSQL schema):
 * a second upload of the same roster would measure the re-upload path. The first SQLite run goes into
 * the main server, the others into servers of their own. Every server and token is ready before any
 * upload is timed (CLI start-ups are slow and would load the machine mid-measure), and each extra
 * server stops right after its run.
 */
export async function uploadScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const rows = ctx.sizes.uploadRows;
  const label = rows.toLocaleString('en-US');
  const runs = ctx.sizes.repeats;
  if (ctx.mainToken) throw new Error('the main server was loaded before the upload scenario: its run would not be a first upload');
  const wantPostgres = ctx.baselines.postgresInsertSeconds !== null;
  const prepared = await Promise.allSettled([
    createApiToken(ctx.main).then((token): UploadTarget => ({ server: ctx.main, token, extra: false })),
    ...Array.from({ length: runs - 1 }, (_, i) => prepare(ctx, `upload-sqlite-${i + 2}`, false)),
    ...(wantPostgres ? Array.from({ length: runs }, (_, i) => prepare(ctx, `upload-postgres-${i + 1}`, true)) : []),
  ]);
  const targets = prepared.flatMap((p) => (p.status === 'fulfilled' ? [p.value] : []));
  const running = new Set(targets.filter((t) => t.extra).map((t) => t.server));
  try {
    const failed = prepared.find((p) => p.status === 'rejected');
    if (failed) throw failed.reason;
    const sqlite = targets.slice(0, runs);
    const postgres = targets.slice(runs);
    const seconds = { sqlite: [] as number[], postgres: [] as number[] };
    // Alternating engines, so a noisy moment on the machine does not fall on one engine's runs only.
    for (let i = 0; i < runs; i++) {
      for (const [engine, target] of [
        ['sqlite', sqlite[i]],
        ['postgres', postgres[i]],
      ] as const) {
        if (!target) continue;
        seconds[engine].push(await upload(target.server, target.token, rows));
        if (target.extra) {
          running.delete(target.server);
          await target.server.stop();
        } else {
          ctx.mainToken = target.token;
        }
      }
    }
    const note = (engine: string) => (runs > 1 ? `median of ${runs} first uploads, each into a fresh ${engine}` : `a first upload into a fresh ${engine}`);
    return [
      figure(
        SCENARIO,
        `upload of ${label} rows, SQLite`,
        's',
        seconds.sqlite,
        SQLITE_TARGET,
        { name: 'raw SQLite insert', value: ctx.baselines.sqliteInsertSeconds },
        note('data folder'),
      ),
      ...(ctx.baselines.postgresInsertSeconds !== null
        ? [
            figure(
              SCENARIO,
              `upload of ${label} rows, PostgreSQL`,
              's',
              seconds.postgres,
              POSTGRES_TARGET,
              { name: 'raw PostgreSQL insert', value: ctx.baselines.postgresInsertSeconds },
              note('schema'),
            ),
          ]
        : []),
    ];
  } finally {
    for (const server of running) await server.stop();
  }
}
