import type { PortableMigration } from './index.js';

export const webSignatures: PortableMigration = {
  name: '0006_web_signatures',
  async up(db, dialect) {
    await dialect
      .addAutoId(db.schema.createTable('web_signature_update'), 'id')
      .addColumn('mailbox', 'text', (c) => c.notNull())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('requested_at', 'text', (c) => c.notNull())
      .addColumn('result', 'text', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('request_id', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('web_signature_update_mailbox').on('web_signature_update').columns(['mailbox', 'requested_at']).execute();
  },
  async down(db) {
    await db.schema.dropTable('web_signature_update').execute();
  },
};
