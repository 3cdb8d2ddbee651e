import type { PortableMigration } from './index.js';

/**
 * Batches an admin paused: the invitation run leaves their users alone (no invitation, reminder,
 * escalation or status check) until the batch is resumed. Links already sent keep working.
 */
export const pausedBatches: PortableMigration = {
  name: '0012_paused_batches',
  async up(db) {
    await db.schema
      .createTable('paused_batch')
      .addColumn('campaign_id', 'bigint', (c) => c.notNull())
      .addColumn('batch_id', 'text', (c) => c.notNull())
      .addColumn('paused_at', 'text', (c) => c.notNull())
      .addColumn('paused_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('paused_batch_pkey', ['campaign_id', 'batch_id'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('paused_batch').execute();
  },
};
