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
    // Sorted by boot or logon time, a page walks the index in order (ties by host name and UPN, as the list orders them).
    await db.schema.createIndex('device_state_boot').on('device_state').columns(['system_boot_time', 'hostname', 'upn']).execute();
    await db.schema.createIndex('device_state_logon').on('device_state').columns(['last_logon_time', 'hostname', 'upn']).execute();
  },
  async down(db) {
    for (const name of ['device_state_logon', 'device_state_boot', 'device_state_upn', 'device_beacon_device']) await db.schema.dropIndex(name).execute();
  },
};
