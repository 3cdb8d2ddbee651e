import type { Generated } from 'kysely';

/** Latest beacon per (hostname, upn); both lower-cased. */
export interface DeviceStateTable {
  hostname: string;
  upn: string;
  operating_system: string;
  device_model: string;
  beacon_launch_time: string | null;
  last_use_time: string | null;
  system_boot_time: string | null;
  last_logon_time: string | null;
  background_version: string;
  lock_screen_version: string;
  new_signature_version: string;
  reply_signature_version: string;
  web_signature_version: string;
  screensaver_version: string;
  teams_background_version: string;
  pending_reboot: number;
  compliant: number;
  /** "POINT(lon lat)" rounded, only when location storage is enabled. */
  location: string | null;
  first_seen_at: string;
  last_seen_at: string;
}

/** Every beacon received (the history reports read). */
export interface DeviceBeaconTable {
  id: Generated<number>;
  received_at: string;
  hostname: string;
  upn: string;
  last_logon_time: string | null;
  system_boot_time: string | null;
  /** The normalised beacon as JSON. */
  payload: string;
}

export interface DevicesTables {
  device_state: DeviceStateTable;
  device_beacon: DeviceBeaconTable;
}
