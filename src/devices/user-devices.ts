/** What other features may read of a user's devices: their latest state, for the fleet's person page. */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { devicesOfUser } from './devices.queries.js';

export interface UserDevice {
  hostname: string;
  operatingSystem: string;
  deviceModel: string;
  firstSeenAt: string;
  lastSeenAt: string;
  lastLogonTime: string | null;
  systemBootTime: string | null;
  pendingReboot: boolean;
  compliant: boolean;
  /** null unless devices.storeLocation kept one. */
  location: string | null;
}

export async function userDevices(db: Kysely<Database>, upn: string): Promise<UserDevice[]> {
  return (await devicesOfUser(db, upn)).map((r) => ({
    hostname: r.hostname,
    operatingSystem: r.operating_system,
    deviceModel: r.device_model,
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
    lastLogonTime: r.last_logon_time,
    systemBootTime: r.system_boot_time,
    pendingReboot: r.pending_reboot === 1,
    compliant: r.compliant === 1,
    location: r.location,
  }));
}
