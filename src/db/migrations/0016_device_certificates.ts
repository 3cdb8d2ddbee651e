import type { PortableMigration } from './index.js';

/**
 * The fleet screens' reading of the device gateway: each client certificate it verified (identities
 * seen, when they expire, when last seen), and the refusal reason in words beside each audit record's
 * code. Both are fed by the gateway's batched audit writer.
 */
export const deviceCertificates: PortableMigration = {
  name: '0016_device_certificates',
  async up(db) {
    await db.schema
      .createTable('device_certificate')
      .addColumn('thumbprint', 'text', (c) => c.primaryKey())
      .addColumn('upn', 'text')
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('issuer', 'text', (c) => c.notNull())
      .addColumn('serial_number', 'text', (c) => c.notNull())
      .addColumn('not_before', 'text', (c) => c.notNull())
      .addColumn('not_after', 'text', (c) => c.notNull())
      .addColumn('first_seen_at', 'text', (c) => c.notNull())
      .addColumn('last_seen_at', 'text', (c) => c.notNull())
      .addColumn('last_ip', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('device_certificate_upn').on('device_certificate').column('upn').execute();
    await db.schema.createIndex('device_certificate_not_after').on('device_certificate').column('not_after').execute();
    await db.schema.alterTable('device_audit').addColumn('reason', 'text').execute();
    // The audit screen's "refused only" and per-identity filters page by id within them.
    await db.schema.createIndex('device_audit_code').on('device_audit').columns(['code', 'id']).execute();
    await db.schema.createIndex('device_audit_upn').on('device_audit').columns(['upn', 'id']).execute();
  },
  async down(db) {
    await db.schema.dropIndex('device_audit_upn').execute();
    await db.schema.dropIndex('device_audit_code').execute();
    await db.schema.alterTable('device_audit').dropColumn('reason').execute();
    await db.schema.dropTable('device_certificate').execute();
  },
};
