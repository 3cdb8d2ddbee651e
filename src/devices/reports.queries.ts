import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

import { PACKAGE_COLUMNS } from './packages.js';

export interface DeviceSummary {
  devices: number;
  users: number;
  pendingReboot: number;
  nonCompliant: number;
  notSeen: number;
  notRebooted: number;
}

const distinctHosts = sql<number>`count(distinct hostname)`;

export async function deviceSummary(db: Kysely<Database>, seenBefore: string, bootBefore: string): Promise<DeviceSummary> {
  const count = async (where?: (q: ReturnType<typeof base>) => ReturnType<typeof base>) => {
    const q = where ? where(base()) : base();
    const row = await q.select(distinctHosts.as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  };
  const base = () => db.selectFrom('device_state');
  const users = await db.selectFrom('device_state').select(sql<number>`count(distinct upn)`.as('n')).executeTakeFirst();
  // A device counts as unseen when none of its (hostname, upn) rows was seen since the cutoff.
  const stale = await db.selectFrom('device_state').select('hostname').groupBy('hostname').having(sql<string>`max(last_seen_at)`, '<', seenBefore).execute();
  return {
    devices: await count(),
    users: Number(users?.n ?? 0),
    pendingReboot: await count((q) => q.where('pending_reboot', '=', 1)),
    nonCompliant: await count((q) => q.where('compliant', '=', 0)),
    notSeen: stale.length,
    notRebooted: await count((q) => q.where('system_boot_time', '<', bootBefore)),
  };
}

/** Distinct logons (hostname, upn, logon time) per UTC day since `since`. */
export async function loginsPerDay(db: Kysely<Database>, since: string): Promise<Array<{ day: string; logins: number }>> {
  const day = sql<string>`substr(last_logon_time, 1, 10)`;
  const rows = await db
    .selectFrom('device_beacon')
    .select([day.as('day'), sql<number>`count(distinct hostname || '|' || upn || '|' || last_logon_time)`.as('logins')])
    .where('last_logon_time', '>=', since)
    .groupBy(day)
    .orderBy(day)
    .execute();
  return rows.map((r) => ({ day: r.day, logins: Number(r.logins) }));
}

export async function packageDistribution(db: Kysely<Database>): Promise<Record<string, Array<{ version: string; devices: number }>>> {
  const out: Record<string, Array<{ version: string; devices: number }>> = {};
  for (const column of PACKAGE_COLUMNS) {
    const rows = await db
      .selectFrom('device_state')
      .select([sql.ref<string>(column).as('version'), distinctHosts.as('devices')])
      .groupBy(column)
      .orderBy(column)
      .execute();
    out[column] = rows.map((r) => ({ version: r.version, devices: Number(r.devices) }));
  }
  return out;
}
