import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Beacon } from './beacon.js';

/** Upserts the latest state of (hostname, upn) and appends the beacon to the history, atomically. */
export async function recordBeacon(db: Kysely<Database>, beacon: Beacon, receivedAt: string): Promise<void> {
  const state = {
    operating_system: beacon.operatingSystem,
    device_model: beacon.deviceModel,
    beacon_launch_time: beacon.dates.beaconLaunchTime,
    last_use_time: beacon.dates.lastUseTime,
    system_boot_time: beacon.dates.systemBootTime,
    last_logon_time: beacon.dates.lastLogonTime,
    background_version: beacon.packages.backgroundVersion,
    lock_screen_version: beacon.packages.lockScreenVersion,
    new_signature_version: beacon.packages.newSignatureVersion,
    reply_signature_version: beacon.packages.replySignatureVersion,
    web_signature_version: beacon.packages.webSignatureVersion,
    screensaver_version: beacon.packages.screensaverVersion,
    teams_background_version: beacon.packages.teamsBackgroundVersion,
    pending_reboot: beacon.pendingReboot ? 1 : 0,
    compliant: beacon.compliant ? 1 : 0,
    location: beacon.location,
    last_seen_at: receivedAt,
  };
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('device_state')
      .values({ hostname: beacon.hostname, upn: beacon.upn, first_seen_at: receivedAt, ...state })
      .onConflict((oc) => oc.columns(['hostname', 'upn']).doUpdateSet(state))
      .execute();
    await trx
      .insertInto('device_beacon')
      .values({
        received_at: receivedAt,
        hostname: beacon.hostname,
        upn: beacon.upn,
        last_logon_time: beacon.dates.lastLogonTime,
        system_boot_time: beacon.dates.systemBootTime,
        payload: JSON.stringify(beacon),
      })
      .execute();
  });
}

export async function getDeviceState(db: Kysely<Database>, hostname: string, upn: string) {
  return db.selectFrom('device_state').selectAll().where('hostname', '=', hostname).where('upn', '=', upn).executeTakeFirst();
}

export async function listBeaconHistory(db: Kysely<Database>, hostname: string, upn: string) {
  return db.selectFrom('device_beacon').selectAll().where('hostname', '=', hostname).where('upn', '=', upn).orderBy('id').execute();
}
