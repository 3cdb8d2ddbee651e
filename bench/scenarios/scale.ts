/**
 * Scenario 13: the roster grown by uploads, on SQLite and on PostgreSQL, each into a fresh server: every
 * upload's time, the peak RSS during the uploads (≤ 300 MiB), and after each upload the dashboard totals
 * and a filtered page (≤ 50 ms each at the end), a search page (reported: a substring search reads every
 * row), then the CSV export (≥ 250,000 rows/s, streamed) and the RSS once idle. `--million` makes it five
 * uploads of 200,000 (1,000,000 users); the default run does five of 40,000, so the full bench stays
 * near ten minutes. Figures are at the final size; their notes give them after each upload, which shows
 * how each grows with the roster.
 */
import { figure, median, type Figure, type Target } from '../harness.js';
import { createApiToken, startOnrampServer, type OnrampServer } from '../onramp.js';
import type { ScenarioContext } from './context.js';
import { searchMatches, timedExport, timedGet } from './reports.js';
import { upload } from './upload.js';

const SCENARIO = '13 scale';
const QUERY: Target = { op: '<=', value: 50 };
const PEAK_RSS: Target = { op: '<=', value: 300 };
const EXPORT_RATE: Target = { op: '>=', value: 250_000 };
/** Requests per figure after each upload (the median is kept); one in a quick run. */
const times = (ctx: ScenarioContext) => (ctx.sizes.quick ? 1 : 3);

async function medianMs(times: number, run: () => Promise<number>): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) out.push(await run());
  return median(out);
}

interface EngineRun {
  uploads: number[];
  peakRssMiB: number;
  totals: number[];
  page: number[];
  search: number[];
  exportRowsPerSecond: number;
  idleRssMiB: number;
}

async function grow(ctx: ScenarioContext, server: OnrampServer, token: string): Promise<EngineRun> {
  const { scaleUploads, scaleRows } = ctx.sizes;
  const run: EngineRun = { uploads: [], peakRssMiB: 0, totals: [], page: [], search: [], exportRowsPerSecond: 0, idleRssMiB: 0 };
  for (let step = 0; step < scaleUploads; step++) {
    const first = step * scaleRows;
    const users = first + scaleRows;
    const upns = Array.from({ length: scaleRows }, (_, j) => `user${first + j}@contoso.example`);
    server.server.resetPeakRss();
    run.uploads.push(await upload(server, token, scaleRows, upns, `scale-${step + 1}`));
    run.peakRssMiB = Math.max(run.peakRssMiB, server.server.peakRssMiB());

    run.totals.push(
      await medianMs(times(ctx), async () => {
        const { ms, body } = await timedGet(`${server.url}/api/admin/reports`, token);
        const total = (body as { total?: number }).total;
        if (total !== users) throw new Error(`reports total ${total}, ${users} users uploaded`);
        return ms;
      }),
    );
    // The users table filtered to one batch's Pending users, sorted by UPN, a page some way in.
    const batch = `scale-${Math.ceil((step + 1) / 2)}`;
    const pageUrl = `${server.url}/api/admin/users?status=Pending&batch=${batch}&sort=upn_key&desc=false&offset=100&limit=50`;
    run.page.push(
      await medianMs(times(ctx), async () => {
        const { ms, body } = await timedGet(pageUrl, token);
        const page = body as { total?: number; users?: unknown[] };
        if (page.total !== scaleRows || page.users?.length !== 50)
          throw new Error(`filtered page: total ${page.total} (expected ${scaleRows}), ${page.users?.length} rows`);
        return ms;
      }),
    );
    const searchUrl = `${server.url}/api/admin/users?search=user1&sort=upn_key&desc=false&offset=100&limit=50`;
    run.search.push(
      await medianMs(times(ctx), async () => {
        const { ms, body } = await timedGet(searchUrl, token);
        const total = (body as { total?: number }).total;
        if (total !== searchMatches(users)) throw new Error(`search page: total ${total}, expected ${searchMatches(users)}`);
        return ms;
      }),
    );
  }
  const users = scaleUploads * scaleRows;
  const { seconds, lines } = await timedExport(`${server.url}/api/admin/reports/export.csv`, token);
  if (lines !== users + 1) throw new Error(`CSV export: ${lines} lines, expected ${users + 1}`);
  run.exportRowsPerSecond = users / seconds;
  // Idle: what the server keeps once the work is done (caches, the database's pages), not what it peaked at.
  await new Promise((r) => setTimeout(r, ctx.sizes.quick ? 500 : 5_000));
  run.idleRssMiB = server.server.rssMiB();
  return run;
}

function growth(values: number[], unit: string, rows: number): string {
  return values.map((v, i) => `${((i + 1) * rows).toLocaleString('en-US')}: ${v < 10 ? v.toFixed(2) : Math.round(v)} ${unit}`).join(', ');
}

export async function scaleScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const { scaleUploads, scaleRows } = ctx.sizes;
  const users = (scaleUploads * scaleRows).toLocaleString('en-US');
  const figures: Figure[] = [];
  for (const engine of ctx.postgres ? (['SQLite', 'PostgreSQL'] as const) : (['SQLite'] as const)) {
    const server = await startOnrampServer({ workDir: ctx.workDir, name: `scale-${engine.toLowerCase()}`, postgres: engine === 'PostgreSQL' });
    try {
      const token = await createApiToken(server);
      const r = await grow(ctx, server, token).catch((err: unknown) => {
        // A 500 says only "internal error": the server's own log says what failed.
        throw new Error(`${(err as Error).message}\n${engine} server's last output:\n${server.server.output().slice(-3000)}`);
      });
      const last = (values: number[]) => [values[values.length - 1]!];
      const after = 'after each upload (users: figure)';
      figures.push(
        figure(
          SCENARIO,
          `each upload of ${scaleRows.toLocaleString('en-US')} rows up to ${users} users, ${engine}`,
          's',
          r.uploads,
          null,
          null,
          `median of ${scaleUploads}; each upload by the users it reached: ${growth(r.uploads, 's', scaleRows)}`,
        ),
        figure(SCENARIO, `peak RSS during the uploads, ${engine}`, 'MiB', [r.peakRssMiB], PEAK_RSS, null, 'the largest VmHWM over the uploads'),
        figure(
          SCENARIO,
          `dashboard totals over ${users} users, ${engine}`,
          'ms',
          last(r.totals),
          QUERY,
          null,
          `${after}: ${growth(r.totals, 'ms', scaleRows)}`,
        ),
        figure(
          SCENARIO,
          `filtered page over ${users} users, ${engine}`,
          'ms',
          last(r.page),
          QUERY,
          null,
          `one batch's Pending users sorted by UPN, offset 100, 50 rows; ${after}: ${growth(r.page, 'ms', scaleRows)}`,
        ),
        figure(
          SCENARIO,
          `search page over ${users} users, ${engine}`,
          'ms',
          last(r.search),
          null,
          null,
          `search "user1" (a substring: every row read), sorted by UPN; ${after}: ${growth(r.search, 'ms', scaleRows)}`,
        ),
        figure(SCENARIO, `CSV export of ${users} rows, ${engine}`, 'rows/s', [r.exportRowsPerSecond], EXPORT_RATE, null, 'streamed download to the last byte'),
        figure(SCENARIO, `idle RSS after, ${engine}`, 'MiB', [r.idleRssMiB], null, null, `${ctx.sizes.quick ? 0.5 : 5} s after the export`),
      );
    } finally {
      await server.stop();
    }
  }
  return figures;
}
