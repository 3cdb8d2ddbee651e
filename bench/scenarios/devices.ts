/** Scenario 4: device API over mTLS keep-alive: getUserAttributes ≥ 5,000 req/s, beacon ≥ 3,000 req/s. */
import { unavailable, type Figure, type Target } from '../harness.js';
import type { ScenarioContext } from './context.js';

const ATTRIBUTES: Target = { op: '>=', value: 5_000 };
const BEACON: Target = { op: '>=', value: 3_000 };

export async function devicesScenario(_ctx: ScenarioContext): Promise<Figure[]> {
  const why = 'feature missing: device gateway and personalization API';
  return [
    unavailable('4 device API', 'POST /api/getUserAttributes throughput, mTLS', 'req/s', ATTRIBUTES, why),
    unavailable('4 device API', 'POST /api/beacon throughput, mTLS', 'req/s', BEACON, why),
  ];
}
