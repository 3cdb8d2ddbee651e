import type { PortableMigration } from './index.js';

/** What the Outlook add-in last reported per mailbox, platform and kind of mail (inserted which version, or failed). */
export const addinSignatureState: PortableMigration = {
  name: '0013_addin_signature_state',
  async up(db) {
    await db.schema
      .createTable('addin_signature_state')
      .addColumn('mailbox', 'text', (c) => c.notNull())
      .addColumn('platform', 'text', (c) => c.notNull())
      .addColumn('compose', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('version', 'text')
      .addColumn('reason', 'text')
      .addColumn('host_version', 'text')
      .addColumn('reported_by', 'text', (c) => c.notNull())
      .addColumn('reported_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('addin_signature_state_pkey', ['mailbox', 'platform', 'compose'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('addin_signature_state').execute();
  },
};
