/** Scenario 5: reports over 100,000 tracked users: totals and a filtered page ≤ 200 ms, CSV export ≤ 2 s. */
import { unavailable, type Figure, type Target } from '../harness.js';
import type { ScenarioContext } from './context.js';

const QUERY: Target = { op: '<=', value: 200 };
const EXPORT: Target = { op: '<=', value: 2 };

export async function reportsScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const users = ctx.sizes.trackedUsers.toLocaleString('en-US');
  const why = 'feature missing: admin reports API';
  return [
    unavailable('5 reports', `dashboard totals over ${users} users`, 'ms', QUERY, why),
    unavailable('5 reports', `filtered page over ${users} users`, 'ms', QUERY, why),
    unavailable('5 reports', `CSV export of ${users} rows`, 's', EXPORT, why),
  ];
}
