import type { PortableMigration } from './index.js';

export const onboarding: PortableMigration = {
  name: '0003_onboarding',
  async up(db, dialect) {
    await dialect
      .addAutoId(db.schema.createTable('campaign'), 'id')
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('mfa_group_id', 'text')
      .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.insertInto('campaign').values({ name: 'Default', mfa_group_id: null, is_default: 1, created_at: new Date().toISOString() }).execute();

    await dialect
      .addAutoId(db.schema.createTable('tracked_user'), 'id')
      .addColumn('campaign_id', 'bigint', (c) => c.notNull().references('campaign.id').onDelete('cascade'))
      .addColumn('upn', 'text', (c) => c.notNull())
      .addColumn('upn_key', 'text', (c) => c.notNull())
      .addColumn('invite_status', 'text', (c) => c.notNull())
      .addColumn('status_reason', 'text')
      .addColumn('mfa_registration_state', 'text', (c) => c.notNull().defaultTo('Unknown'))
      .addColumn('in_group', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('invite_sent_date', 'text')
      .addColumn('clicked_link_date', 'text')
      .addColumn('added_to_group_date', 'text')
      .addColumn('mfa_registration_date', 'text')
      .addColumn('last_checked', 'text')
      .addColumn('last_reminder_date', 'text')
      .addColumn('reminder_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('source_batch_id', 'text')
      .addColumn('tracking_token', 'text', (c) => c.notNull())
      .addColumn('correlation_id', 'text', (c) => c.notNull())
      .addColumn('notes', 'text')
      .addColumn('display_name', 'text')
      .addColumn('department', 'text')
      .addColumn('job_title', 'text')
      .addColumn('manager_upn', 'text')
      .addColumn('object_id', 'text')
      .addColumn('user_type', 'text')
      .addColumn('email_opened_date', 'text')
      .addColumn('escalated_to_manager', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('escalation_date', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    // Hot paths: upload upsert (campaign + key), link/pixel lookup (token), the workflow's pick
    // (status + last_checked), portal filters (batch, department).
    await db.schema.createIndex('tracked_user_campaign_upn').on('tracked_user').columns(['campaign_id', 'upn_key']).unique().execute();
    await db.schema.createIndex('tracked_user_token').on('tracked_user').column('tracking_token').unique().execute();
    await db.schema.createIndex('tracked_user_status_checked').on('tracked_user').columns(['campaign_id', 'invite_status', 'last_checked']).execute();
    await db.schema.createIndex('tracked_user_batch').on('tracked_user').columns(['campaign_id', 'source_batch_id']).execute();
    await db.schema.createIndex('tracked_user_department').on('tracked_user').columns(['campaign_id', 'department']).execute();

    await dialect
      .addAutoId(db.schema.createTable('user_event'), 'id')
      .addColumn('tracked_user_id', 'bigint', (c) => c.notNull().references('tracked_user.id').onDelete('cascade'))
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
    await db.schema.createIndex('user_event_user_at').on('user_event').columns(['tracked_user_id', 'id']).execute();
  },
  async down(db) {
    await db.schema.dropTable('user_event').execute();
    await db.schema.dropTable('tracked_user').execute();
    await db.schema.dropTable('campaign').execute();
  },
};
