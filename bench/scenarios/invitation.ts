/**
 * Scenario 2: an invitation run for 10,000 Pending users against the tenant simulator with 30 ms per
 * Graph request: ≤ 60 s wall, ≤ 0.15 Graph requests per user; emails queued per second reported.
 */
import { unavailable, type Figure, type Target } from '../harness.js';
import type { ScenarioContext } from './context.js';

const WALL: Target = { op: '<=', value: 60 };
const PER_USER: Target = { op: '<=', value: 0.15 };

export async function invitationScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const users = ctx.sizes.invitationUsers.toLocaleString('en-US');
  const missing = [(await ctx.campaignRunCommand) ? null : 'onramp campaign run'].filter((x): x is string => x !== null);
  if (missing.length > 0) {
    const why = `feature missing: ${missing.join(', ')}`;
    return [
      unavailable('2 invitation run', `run for ${users} Pending users, wall time`, 's', WALL, why),
      unavailable('2 invitation run', 'Graph requests per user', 'req/user', PER_USER, why),
      unavailable('2 invitation run', 'emails queued per second', 'emails/s', null, why),
    ];
  }
  throw new Error('onramp campaign run exists but the bench does not drive it yet');
}
