import type { PortableMigration } from './index.js';

export const outbox: PortableMigration = {
  name: '0004_outbox',
  async up(db, dialect) {
    await dialect
      .addAutoId(db.schema.createTable('mail_outbox'), 'id')
      .addColumn('message_id', 'text', (c) => c.notNull().unique())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('recipient', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('tracked_user_id', 'bigint')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'text', (c) => c.notNull())
      .addColumn('claim_token', 'text')
      .addColumn('claim_expires_at', 'text')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'text')
      .execute();
    // The sender's two questions: what is due, and which claims went stale.
    await db.schema.createIndex('mail_outbox_due').on('mail_outbox').columns(['status', 'next_attempt_at']).execute();
    await db.schema.createIndex('mail_outbox_tracked_user').on('mail_outbox').column('tracked_user_id').execute();
  },
  async down(db) {
    await db.schema.dropTable('mail_outbox').execute();
  },
};
