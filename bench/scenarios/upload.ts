/** Scenario 1: CSV upload of 100,000 rows, validated and stored, on SQLite and on PostgreSQL (≤ 3 s each). */
import { unavailable, type Figure, type Target } from '../harness.js';
import { routeExists } from '../onramp.js';
import type { ScenarioContext } from './context.js';

const TARGET: Target = { op: '<=', value: 3 };

export async function uploadScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const rows = ctx.sizes.uploadRows.toLocaleString('en-US');
  const there = await routeExists(`${ctx.main.url}/api/upload-users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"csv":"UPN\\n"}' });
  if (!there) {
    return [
      unavailable('1 CSV upload', `upload of ${rows} rows, SQLite`, 's', TARGET, 'feature missing: POST /api/upload-users'),
      unavailable('1 CSV upload', `upload of ${rows} rows, PostgreSQL`, 's', TARGET, 'feature missing: POST /api/upload-users'),
    ];
  }
  throw new Error('POST /api/upload-users exists but the bench does not drive it yet');
}
