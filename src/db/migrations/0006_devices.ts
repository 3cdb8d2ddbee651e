import type { PortableMigration } from './index.js';

export const devices: PortableMigration = {
  name: '0006_devices',
  async up(db, dialect) {
    await dialect
      .addAutoId(db.schema.createTable('device_audit'), 'id')
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('upn', 'text')
      .addColumn('thumbprint', 'text')
      .addColumn('ip', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('route', 'text', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('duration_ms', 'real', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('code', 'text')
      .execute();
    await db.schema.createIndex('device_audit_at').on('device_audit').column('at').execute();

    let state = db.schema
      .createTable('device_state')
      .addColumn('hostname', 'text', (c) => c.notNull())
      .addColumn('upn', 'text', (c) => c.notNull());
    for (const col of ['operating_system', 'device_model']) state = state.addColumn(col, 'text', (c) => c.notNull());
    for (const col of ['beacon_launch_time', 'last_use_time', 'system_boot_time', 'last_logon_time']) state = state.addColumn(col, 'text');
    for (const col of PACKAGE_COLUMNS) state = state.addColumn(col, 'text', (c) => c.notNull());
    await state
      .addColumn('pending_reboot', 'integer', (c) => c.notNull())
      .addColumn('compliant', 'integer', (c) => c.notNull())
      .addColumn('location', 'text')
      .addColumn('first_seen_at', 'text', (c) => c.notNull())
      .addColumn('last_seen_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('device_state_pk', ['hostname', 'upn'])
      .execute();
    await db.schema.createIndex('device_state_last_seen').on('device_state').column('last_seen_at').execute();

    await dialect
      .addAutoId(db.schema.createTable('device_beacon'), 'id')
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addColumn('hostname', 'text', (c) => c.notNull())
      .addColumn('upn', 'text', (c) => c.notNull())
      .addColumn('last_logon_time', 'text')
      .addColumn('system_boot_time', 'text')
      .addColumn('payload', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('device_beacon_received').on('device_beacon').column('received_at').execute();
  },
  async down(db) {
    await db.schema.dropTable('device_beacon').execute();
    await db.schema.dropTable('device_state').execute();
    await db.schema.dropTable('device_audit').execute();
  },
};

// Written out here rather than imported: a migration must not change when feature code does.
const PACKAGE_COLUMNS = [
  'background_version',
  'lock_screen_version',
  'new_signature_version',
  'reply_signature_version',
  'web_signature_version',
  'screensaver_version',
  'teams_background_version',
];
