/**
 * Scenario 5: the admin reports over the tracked users the upload scenario stored in the main server:
 * dashboard totals (`GET /api/admin/reports`) ≤ 25 ms and a searched, sorted page (`GET /api/admin/users`)
 * ≤ 200 ms; CSV export of every row (`GET /api/admin/reports/export.csv`, streamed) ≤ 0.5 s, timed to its
 * last byte (issue 23). Requests are sequential, one at a time, as an admin's browser makes them; the
 * figure is the median.
 */
import { figure, type Figure, type Target } from '../harness.js';
import type { ScenarioContext } from './context.js';
import { mainToken } from './upload.js';

const TOTALS: Target = { op: '<=', value: 25 };
const PAGE: Target = { op: '<=', value: 200 };
const EXPORT: Target = { op: '<=', value: 0.5 };
const SCENARIO = '5 reports';

export async function timedGet(url: string, token: string): Promise<{ ms: number; body: unknown }> {
  const started = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  const text = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return { ms, body: JSON.parse(text) as unknown };
}

/** Downloads the whole export as a browser would, counting lines as they stream in; seconds and line count. */
export async function timedExport(url: string, token: string): Promise<{ seconds: number; lines: number }> {
  const started = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200 || !res.body) throw new Error(`GET ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  if (!res.headers.get('content-type')?.startsWith('text/csv')) throw new Error(`GET ${url} answered ${res.headers.get('content-type')}, not CSV`);
  let lines = 0;
  const reader = res.body.getReader();
  for (let part = await reader.read(); !part.done; part = await reader.read()) {
    for (const byte of part.value) if (byte === 10) lines++;
  }
  return { seconds: (performance.now() - started) / 1000, lines };
}

/** Users of user0…user(n-1) whose UPN contains "user1": user1, user10–19, user100–199, …: 1 + 10 + 100 + … below n. */
export function searchMatches(users: number): number {
  return Array.from({ length: String(users - 1).length }, (_, k) => 10 ** k).reduce((sum, n, k) => sum + Math.max(0, Math.min(n, users - 10 ** k)), 0);
}

export async function reportsScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const users = ctx.sizes.uploadRows;
  const label = users.toLocaleString('en-US');
  const totalsMetric = `dashboard totals over ${label} users`;
  const pageMetric = `filtered page over ${label} users`;
  const token = await mainToken(ctx);
  const times = ctx.sizes.quick ? 2 : 7;

  const totals: number[] = [];
  for (let i = 0; i < times; i++) {
    const { ms, body } = await timedGet(`${ctx.main.url}/api/admin/reports`, token);
    const total = (body as { total?: number }).total;
    if (total !== users) throw new Error(`reports total ${total}, ${users} users uploaded`);
    totals.push(ms);
  }

  // A search (contains, on the UPN), sorted, a page some way in: the portal's users table.
  const pageUrl = `${ctx.main.url}/api/admin/users?search=user1&sort=upn_key&desc=false&offset=100&limit=50`;
  const pages: number[] = [];
  for (let i = 0; i < times; i++) {
    const { ms, body } = await timedGet(pageUrl, token);
    const page = body as { total?: number; users?: unknown[] };
    const expected = searchMatches(users);
    if (page.total !== expected || page.users?.length !== 50)
      throw new Error(`filtered page: total ${page.total} (expected ${expected}), ${page.users?.length} rows (expected 50)`);
    pages.push(ms);
  }

  // Every tracked user (no filter), header first: the bench's users have no line breaks in any cell.
  const exports: number[] = [];
  for (let i = 0; i < ctx.sizes.repeats; i++) {
    const { seconds, lines } = await timedExport(`${ctx.main.url}/api/admin/reports/export.csv`, token);
    if (lines !== users + 1) throw new Error(`CSV export: ${lines} lines, expected ${users + 1} (header and one per user)`);
    exports.push(seconds);
  }
  return [
    figure(SCENARIO, totalsMetric, 'ms', totals, TOTALS, null, `median of ${times} sequential requests`),
    figure(SCENARIO, pageMetric, 'ms', pages, PAGE, null, `search "user1", sorted by UPN, offset 100, 50 rows; median of ${times}`),
    figure(SCENARIO, `CSV export of ${label} rows`, 's', exports, EXPORT, null, `streamed download to the last byte; median of ${ctx.sizes.repeats}`),
  ];
}
