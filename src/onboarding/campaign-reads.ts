/**
 * What other features may read of the onboarding campaign (the fleet's screens): the funnel over time,
 * as users who had been invited, had opened the invitation and had enrolled in MFA by the end of each
 * UTC day; and which tracked user a UPN is, for links to their page. The SQL stays in the queries.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { DAY_MS } from '../lib/clock.js';
import { defaultCampaign, findByUpnKey } from './onboarding.queries.js';
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

/** The id of the default campaign's tracked user with this UPN (their page is `#/users/<id>`), if any. */
export async function trackedUserIdOf(db: Kysely<Database>, upn: string): Promise<number | null> {
  const campaign = await defaultCampaign(db);
  return (await findByUpnKey(db, campaign.id, upn.trim().toLowerCase()))?.id ?? null;
}
