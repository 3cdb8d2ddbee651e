/** Scenario 6: RSS of the server holding 100,000 tracked users after scenarios 1–5 (≤ 250 MB). */
import { figure, unavailable, type Figure, type Target } from '../harness.js';
import type { ScenarioContext } from './context.js';

const TARGET: Target = { op: '<=', value: 250 };

export async function memoryScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const metric = `server RSS with ${ctx.sizes.trackedUsers.toLocaleString('en-US')} tracked users`;
  const rss = ctx.main.server.rssMiB();
  if (!ctx.mainToken) {
    return [
      unavailable('6 memory', metric, 'MiB', TARGET, `feature missing: no users could be uploaded; the idle server's RSS was ${rss.toFixed(0)} MiB`),
    ];
  }
  return [figure('6 memory', metric, 'MiB', [rss], TARGET, null)];
}
