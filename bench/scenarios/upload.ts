/**
 * Scenario 1: a CSV of 100,000 rows uploaded through `POST /api/upload-users` (API token), validated and
 * stored: ≤ 3 s on SQLite and on PostgreSQL, next to a raw insert loop of the same row count.
 */
import { figure, unavailable, type Figure, type Target } from '../harness.js';
import { createApiToken, routeExists, startOnrampServer, type OnrampServer } from '../onramp.js';
import type { ScenarioContext } from './context.js';

const TARGET: Target = { op: '<=', value: 3 };
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
  updated?: unknown[];
  skipped?: unknown[];
  errors?: unknown[];
  total?: number;
}

/** Uploads `rows` users and returns the wall time in seconds; a wrong count breaks the scenario. */
export async function upload(server: OnrampServer, token: string, rows: number, upns?: readonly string[]): Promise<number> {
  const csv = rosterCsv(rows, upns);
  const started = performance.now();
  const res = await fetch(`${server.url}/api/upload-users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: csv,
  });
  const text = await res.text();
  const seconds = (performance.now() - started) / 1000;
  if (res.status !== 200) throw new Error(`upload answered ${res.status}: ${text.slice(0, 300)}`);
  const answer = JSON.parse(text) as UploadAnswer;
  const stored = (answer.added?.length ?? 0) + (answer.updated?.length ?? 0);
  if (stored !== rows || (answer.errors?.length ?? 0) > 0 || (answer.skipped?.length ?? 0) > 0) {
    throw new Error(`upload of ${rows} rows stored ${stored} (skipped ${answer.skipped?.length}, errors ${answer.errors?.length})`);
  }
  return seconds;
}

export async function uploadScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const rows = ctx.sizes.uploadRows;
  const label = rows.toLocaleString('en-US');
  const there = await routeExists(`${ctx.main.url}/api/upload-users`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'UPN\r\n' });
  if (!there) {
    return [
      unavailable(SCENARIO, `upload of ${label} rows, SQLite`, 's', TARGET, 'feature missing: POST /api/upload-users'),
      unavailable(SCENARIO, `upload of ${label} rows, PostgreSQL`, 's', TARGET, 'feature missing: POST /api/upload-users'),
    ];
  }
  // SQLite: into the main server, whose tracked users later scenarios read and scenario 6 weighs.
  // PostgreSQL: a server of its own in a fresh schema. Both servers and both tokens are ready before
  // either upload is timed (CLI start-ups are slow and would otherwise load the machine mid-measure).
  // One run each: a second upload of the same roster would measure the re-upload path instead.
  const wantPostgres = ctx.baselines.postgresInsertSeconds !== null;
  const [mainToken, postgres] = await Promise.allSettled([
    createApiToken(ctx.main),
    wantPostgres ? startOnrampServer({ workDir: ctx.workDir, name: 'upload-postgres', postgres: true }) : Promise.resolve(null),
  ]);
  const pgServer = postgres.status === 'fulfilled' ? postgres.value : null;
  try {
    if (mainToken.status === 'rejected') throw mainToken.reason;
    if (postgres.status === 'rejected') throw postgres.reason;
    ctx.mainToken = mainToken.value;
    const pgToken = pgServer ? await createApiToken(pgServer) : null;
    const out: Figure[] = [
      figure(SCENARIO, `upload of ${label} rows, SQLite`, 's', [await upload(ctx.main, ctx.mainToken, rows)], TARGET, {
        name: 'raw SQLite insert',
        value: ctx.baselines.sqliteInsertSeconds,
      }, 'one run (a repeat would measure re-upload)'),
    ];
    if (pgServer && pgToken && ctx.baselines.postgresInsertSeconds !== null) {
      out.push(
        figure(SCENARIO, `upload of ${label} rows, PostgreSQL`, 's', [await upload(pgServer, pgToken, rows)], TARGET, {
          name: 'raw PostgreSQL insert',
          value: ctx.baselines.postgresInsertSeconds,
        }, 'one run, fresh schema'),
      );
    } else {
      out.push(unavailable(SCENARIO, `upload of ${label} rows, PostgreSQL`, 's', TARGET, 'PostgreSQL unreachable'));
    }
    return out;
  } finally {
    await pgServer?.stop();
  }
}
