import { sql } from 'kysely';
import type { PortableMigration } from './index.js';

/**
 * Indexes the fleet view reads: a device's beacon history newest first (without it every device page
 * scanned the whole history), and the device list's UPN search and its most asked-for filters and
 * sorts over 100,000 devices.
 */
export const fleetIndexes: PortableMigration = {
  name: '0015_fleet_indexes',
  async up(db) {
    await db.schema.createIndex('device_beacon_device').on('device_beacon').columns(['hostname', 'upn', 'id']).execute();
    await db.schema.createIndex('device_state_upn').on('device_state').columns(['upn', 'hostname']).execute();
    // Sorted by boot or logon time, a page walks the index in order (ties by host name and UPN, as the list
    // orders them). The list sorts by coalesce(time, ''), the same expression on both engines, so a missing
    // time is the smallest value on either and the index still serves the order.
    await db.schema.createIndex('device_state_boot').on('device_state').expression(sql`coalesce(system_boot_time, ''), hostname, upn`).execute();
    await db.schema.createIndex('device_state_logon').on('device_state').expression(sql`coalesce(last_logon_time, ''), hostname, upn`).execute();
    // The exact-value filters (and the filter choices, read from the index alone); the flags are partial
    // indexes over the few devices they select, so the many compliant, not-pending devices cost them nothing.
    await db.schema.createIndex('device_state_os').on('device_state').columns(['operating_system', 'hostname', 'upn']).execute();
    await db.schema.createIndex('device_state_model').on('device_state').columns(['device_model', 'hostname', 'upn']).execute();
    await db.schema.createIndex('device_state_noncompliant').on('device_state').columns(['hostname', 'upn']).where(sql.ref('compliant'), '=', 0).execute();
    await db.schema
      .createIndex('device_state_pending_reboot')
      .on('device_state')
      .columns(['hostname', 'upn'])
      .where(sql.ref('pending_reboot'), '=', 1)
      .execute();
  },
  async down(db) {
    for (const name of [
      'device_state_pending_reboot',
      'device_state_noncompliant',
      'device_state_model',
      'device_state_os',
      'device_state_logon',
      'device_state_boot',
      'device_state_upn',
      'device_beacon_device',
    ])
      await db.schema.dropIndex(name).execute();
  },
};
