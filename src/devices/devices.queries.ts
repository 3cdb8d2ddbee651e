import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Beacon } from './beacon.js';
import type { DeviceStateTable } from './devices.tables.js';
import { PACKAGE_COLUMNS, PACKAGE_VERSIONS, type PackageField } from './packages.js';

export interface ReceivedBeacon {
  beacon: Beacon;
  receivedAt: string;
}

const STATE_COLUMNS = [
  'operating_system',
  'device_model',
  'beacon_launch_time',
  'last_use_time',
  'system_boot_time',
  'last_logon_time',
  ...PACKAGE_COLUMNS,
  'pending_reboot',
  'compliant',
  'location',
  'last_seen_at',
] as const;

/** The columns a beacon updates (all but the key and first_seen_at). */
function stateOf({ beacon, receivedAt }: ReceivedBeacon): Pick<DeviceStateTable, (typeof STATE_COLUMNS)[number]> {
  return {
    operating_system: beacon.operatingSystem,
    device_model: beacon.deviceModel,
    beacon_launch_time: beacon.dates.beaconLaunchTime,
    last_use_time: beacon.dates.lastUseTime,
    system_boot_time: beacon.dates.systemBootTime,
    last_logon_time: beacon.dates.lastLogonTime,
    ...packageColumns(beacon.packages),
    pending_reboot: beacon.pendingReboot ? 1 : 0,
    compliant: beacon.compliant ? 1 : 0,
    location: beacon.location,
    last_seen_at: receivedAt,
  };
}

function packageColumns(packages: Record<PackageField, string>): Pick<DeviceStateTable, (typeof PACKAGE_COLUMNS)[number]> {
  return Object.fromEntries(Object.entries(PACKAGE_VERSIONS).map(([field, column]) => [column, packages[field as PackageField]])) as Pick<
    DeviceStateTable,
    (typeof PACKAGE_COLUMNS)[number]
  >;
}

/** Rows per statement: the state upsert has 20 columns, well under either engine's parameter limit. */
const ROWS_PER_STATEMENT = 500;

/**
 * Records beacons atomically: every one goes to the history, and the latest state of each
 * (hostname, upn) is upserted once per batch — the most recently received beacon of a device wins, and
 * a device new to the table is first seen at its earliest beacon in the batch.
 */
export async function recordBeacons(db: Kysely<Database>, received: readonly ReceivedBeacon[]): Promise<void> {
  if (received.length === 0) return;
  const latest = new Map<string, { last: ReceivedBeacon; firstAt: string }>();
  for (const r of received) {
    const key = `${r.beacon.hostname}\n${r.beacon.upn}`;
    const seen = latest.get(key);
    if (!seen) latest.set(key, { last: r, firstAt: r.receivedAt });
    else {
      if (r.receivedAt >= seen.last.receivedAt) seen.last = r;
      if (r.receivedAt < seen.firstAt) seen.firstAt = r.receivedAt;
    }
  }
  const states = [...latest.values()].map(({ last, firstAt }) => ({
    hostname: last.beacon.hostname,
    upn: last.beacon.upn,
    first_seen_at: firstAt,
    ...stateOf(last),
  }));
  const history = received.map(({ beacon, receivedAt }) => ({
    received_at: receivedAt,
    hostname: beacon.hostname,
    upn: beacon.upn,
    last_logon_time: beacon.dates.lastLogonTime,
    system_boot_time: beacon.dates.systemBootTime,
    payload: JSON.stringify(beacon),
  }));
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < states.length; i += ROWS_PER_STATEMENT) {
      await trx
        .insertInto('device_state')
        .values(states.slice(i, i + ROWS_PER_STATEMENT))
        .onConflict((oc) => oc.columns(['hostname', 'upn']).doUpdateSet((eb) => Object.fromEntries(STATE_COLUMNS.map((c) => [c, eb.ref(`excluded.${c}`)]))))
        .execute();
    }
    for (let i = 0; i < history.length; i += ROWS_PER_STATEMENT) {
      await trx
        .insertInto('device_beacon')
        .values(history.slice(i, i + ROWS_PER_STATEMENT))
        .execute();
    }
  });
}

/** Deletes beacon history received before the cutoff (the latest state of each device stays). */
export async function deleteBeaconsBefore(db: Kysely<Database>, cutoffIso: string): Promise<number> {
  const result = await db.deleteFrom('device_beacon').where('received_at', '<', cutoffIso).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function getDeviceState(db: Kysely<Database>, hostname: string, upn: string) {
  return db.selectFrom('device_state').selectAll().where('hostname', '=', hostname).where('upn', '=', upn).executeTakeFirst();
}

export async function listBeaconHistory(db: Kysely<Database>, hostname: string, upn: string) {
  return db.selectFrom('device_beacon').selectAll().where('hostname', '=', hostname).where('upn', '=', upn).orderBy('id').execute();
}

/** The signature versions each of a user's devices last reported (signew/sigreply/sigweb), newest first. */
/** A user's devices, latest first (the fleet's person page). */
export async function devicesOfUser(db: Kysely<Database>, upn: string) {
  return db
    .selectFrom('device_state')
    .select([
      'hostname',
      'operating_system',
      'device_model',
      'first_seen_at',
      'last_seen_at',
      'last_logon_time',
      'system_boot_time',
      'pending_reboot',
      'compliant',
      'location',
    ])
    .where('upn', '=', upn.toLowerCase())
    .orderBy('last_seen_at', 'desc')
    .limit(100)
    .execute();
}

export async function signatureVersionsOf(db: Kysely<Database>, upn: string) {
  return db
    .selectFrom('device_state')
    .select(['hostname', 'new_signature_version', 'reply_signature_version', 'web_signature_version', 'last_seen_at'])
    .where('upn', '=', upn.toLowerCase())
    .orderBy('last_seen_at', 'desc')
    .execute();
}
