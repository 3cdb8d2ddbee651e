/** Scenario 3: `GET /api/track-open` and `GET /api/enrol`: ≥ 5,000 req/s; p99 ≤ 20 ms at a fixed 1,000 req/s. */
import { unavailable, type Figure, type Target } from '../harness.js';
import { routeExists } from '../onramp.js';
import type { ScenarioContext } from './context.js';

const RPS: Target = { op: '>=', value: 5_000 };
const P99: Target = { op: '<=', value: 20 };

export async function trackingScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const out: Figure[] = [];
  for (const route of ['/api/track-open', '/api/enrol']) {
    if (!(await routeExists(`${ctx.main.url}${route}?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`))) {
      const why = `feature missing: GET ${route}`;
      out.push(
        unavailable('3 tracking links', `GET ${route} throughput`, 'req/s', RPS, why),
        unavailable('3 tracking links', `GET ${route} p99 at ${ctx.sizes.fixedRate} req/s`, 'ms', P99, why),
      );
      continue;
    }
    throw new Error(`GET ${route} exists but the bench does not drive it yet`);
  }
  return out;
}
