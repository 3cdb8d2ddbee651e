/**
 * What other features may read of the campaign's progress: the onboarding funnel over time (the fleet's
 * chart), as users who had been invited, had opened the invitation and had enrolled in MFA by the end
 * of each UTC day. The SQL stays in reports.queries.ts.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { DAY_MS } from '../lib/clock.js';
import { activityPerDay, stampedBefore, type ActivityKind } from './reports.queries.js';

export interface FunnelDay {
  day: string;
  invited: number;
  opened: number;
  enrolled: number;
}

const STEPS: Array<[keyof Omit<FunnelDay, 'day'>, ActivityKind]> = [
  ['invited', 'invites'],
  ['opened', 'opens'],
  ['enrolled', 'activations'],
];

/** The last `days` UTC days up to `now`'s, oldest first; every day is listed, quiet ones too. */
export async function funnelOverTime(db: Kysely<Database>, now: Date, days: number): Promise<FunnelDay[]> {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - (days - 1) * DAY_MS);
  const since = first.toISOString();
  const series = await Promise.all(
    STEPS.map(async ([, kind]) => ({ before: await stampedBefore(db, {}, kind, since), perDay: await activityPerDay(db, {}, kind, since) })),
  );
  const running = series.map((s) => s.before);
  const out: FunnelDay[] = [];
  for (let i = 0; i < days; i++) {
    const day = new Date(first.getTime() + i * DAY_MS).toISOString().slice(0, 10);
    series.forEach((s, k) => {
      running[k]! += s.perDay.get(day) ?? 0;
    });
    out.push({ day, invited: running[0]!, opened: running[1]!, enrolled: running[2]! });
  }
  return out;
}
