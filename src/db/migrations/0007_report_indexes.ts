import { sql } from 'kysely';
import type { PortableMigration } from './index.js';

/**
 * Indexes the admin reports read instead of the 24-column rows: each summary figure becomes an
 * index-only count over 100,000 tracked users. The date indexes are partial (stamped rows only), so an
 * upload of Pending users, whose dates are all empty, pays nothing for them.
 */
export const reportIndexes: PortableMigration = {
  name: '0007_report_indexes',
  async up(db) {
    // Completion per batch counts statuses per batch: the batch index now carries the status.
    await db.schema.dropIndex('tracked_user_batch').execute();
    await db.schema.createIndex('tracked_user_batch_status').on('tracked_user').columns(['campaign_id', 'source_batch_id', 'invite_status']).execute();
    // "Invited, no click" and "Overdue", longest waiting first; invites per day.
    await db.schema
      .createIndex('tracked_user_invited')
      .on('tracked_user')
      .columns(['campaign_id', 'invite_status', 'invite_sent_date'])
      .where(sql.ref('invite_sent_date'), 'is not', null)
      .execute();
    await db.schema
      .createIndex('tracked_user_sent_day')
      .on('tracked_user')
      .columns(['campaign_id', 'invite_sent_date'])
      .where(sql.ref('invite_sent_date'), 'is not', null)
      .execute();
    await db.schema
      .createIndex('tracked_user_opened_day')
      .on('tracked_user')
      .columns(['campaign_id', 'email_opened_date'])
      .where(sql.ref('email_opened_date'), 'is not', null)
      .execute();
    // Clicks per day, and "clicked, not active" (its status is in the index, so the count reads no row).
    await db.schema
      .createIndex('tracked_user_clicked_day')
      .on('tracked_user')
      .columns(['campaign_id', 'clicked_link_date', 'invite_status'])
      .where(sql.ref('clicked_link_date'), 'is not', null)
      .execute();
    await db.schema
      .createIndex('tracked_user_activated_day')
      .on('tracked_user')
      .columns(['campaign_id', 'mfa_registration_date'])
      .where(sql.ref('mfa_registration_date'), 'is not', null)
      .execute();
    await db.schema
      .createIndex('tracked_user_escalated')
      .on('tracked_user')
      .columns(['campaign_id', 'invite_status', 'invite_sent_date'])
      .where(sql.ref('escalated_to_manager'), '=', 1)
      .execute();
  },
  async down(db) {
    for (const name of [
      'tracked_user_escalated',
      'tracked_user_activated_day',
      'tracked_user_clicked_day',
      'tracked_user_opened_day',
      'tracked_user_sent_day',
      'tracked_user_invited',
      'tracked_user_batch_status',
    ]) {
      await db.schema.dropIndex(name).execute();
    }
    await db.schema.createIndex('tracked_user_batch').on('tracked_user').columns(['campaign_id', 'source_batch_id']).execute();
  },
};
