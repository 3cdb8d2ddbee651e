import type { PortableMigration } from './index.js';

/** Deployment runs of signatures to Exchange Online, per-mailbox deployment state, and the photo cache. */
export const signatureDeployment: PortableMigration = {
  name: '0010_signature_deployment',
  async up(db, dialect) {
    await dialect
      .addAutoId(db.schema.createTable('signature_deployment_run'), 'id')
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('requested_by', 'text')
      .addColumn('requested_at', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .addColumn('scope', 'text')
      .addColumn('cursor', 'text')
      .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('processed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('set_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('unchanged_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('failed_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('blocked_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('roaming_enabled', 'integer')
      .addColumn('note', 'text')
      .execute();
    // The job looks for the oldest unfinished run.
    await db.schema.createIndex('signature_deployment_run_state').on('signature_deployment_run').columns(['state', 'id']).execute();

    await db.schema
      .createTable('signature_mailbox_deployment')
      .addColumn('mailbox', 'text', (c) => c.primaryKey())
      .addColumn('user_principal_name', 'text')
      .addColumn('expected_set_hash', 'text')
      .addColumn('expected_web_hash', 'text')
      .addColumn('expected_signatures', 'text', (c) => c.notNull())
      .addColumn('pushed_web_hash', 'text')
      .addColumn('pushed_at', 'text')
      .addColumn('result', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('reply_differs', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('run_id', 'bigint')
      .addColumn('attempted_at', 'text', (c) => c.notNull())
      .execute();
    // A run's failures, for the portal and "retry failed".
    await db.schema.createIndex('signature_mailbox_deployment_run').on('signature_mailbox_deployment').columns(['run_id', 'result']).execute();

    await db.schema
      .createTable('signature_photo')
      .addColumn('user_id', 'text', (c) => c.primaryKey())
      .addColumn('etag', 'text')
      .addColumn('hash', 'text')
      .addColumn('content_type', 'text')
      .addColumn('width', 'integer')
      .addColumn('height', 'integer')
      .addColumn('bytes', 'text')
      .addColumn('fetched_at', 'text', (c) => c.notNull())
      .addColumn('stale', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('signature_photo').execute();
    await db.schema.dropTable('signature_mailbox_deployment').execute();
    await db.schema.dropTable('signature_deployment_run').execute();
  },
};
