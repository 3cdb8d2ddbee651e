import { sql } from 'kysely';
import type { PortableMigration } from './index.js';

/**
 * What every inserted tracking record pays, trimmed for 100,000-row uploads.
 *
 * - Links carry `<id>.<secret>` (see `parseLinkToken`): they are found by primary key, so the unique
 *   index over the tokens goes, and the column holds only the secret. Its random keys made it the
 *   dearest index an upload maintained (a tenth of a 100,000-row upload on PostgreSQL). Links sent
 *   before this migration stop working; their users get a new one from the resend page or the next
 *   re-upload.
 * - The department index becomes partial: departments arrive with the first directory lookup, so an
 *   upload of new users added 100,000 empty entries to it. Filters compare with `=`, which the
 *   partial index serves.
 * - On PostgreSQL the two foreign keys of the upload path go: each is a per-row trigger that runs a
 *   locking lookup (`select … for key share`) through SPI, together about a third of a 100,000-row
 *   upload's database time (measured with EXPLAIN ANALYZE: 0.6 s for campaign, 0.6–1.1 s for the
 *   history). Neither protects anything the code does: campaigns are never deleted, users and their
 *   history are written in the same transactions, and `deleteUser` removes the history itself.
 *   SQLite keeps them: its checks are in-process index probes, and dropping a constraint there means
 *   rebuilding the table.
 * - On PostgreSQL the history's primary key becomes (tracked_user_id, id), the order a timeline reads
 *   it in, replacing the id key and the separate (tracked_user_id, id) index: one index per event
 *   instead of two. (On SQLite the id is the rowid, which costs no index.)
 */
export const bulkWriteCosts: PortableMigration = {
  name: '0008_bulk_write_costs',
  async up(db, dialect) {
    await db.schema.dropIndex('tracked_user_token').execute();
    await db.schema.alterTable('tracked_user').renameColumn('tracking_token', 'link_secret').execute();
    await db.schema.dropIndex('tracked_user_department').execute();
    await db.schema
      .createIndex('tracked_user_department')
      .on('tracked_user')
      .columns(['campaign_id', 'department'])
      .where(sql.ref('department'), 'is not', null)
      .execute();
    if (dialect.foreignKeysAreTriggers) {
      await sql`alter table user_event drop constraint if exists user_event_tracked_user_id_fkey`.execute(db);
      await sql`alter table tracked_user drop constraint if exists tracked_user_campaign_id_fkey`.execute(db);
    }
    if (!dialect.autoIdIsRowid) {
      await sql`alter table user_event drop constraint user_event_pkey`.execute(db);
      await db.schema.dropIndex('user_event_user_at').execute();
      await sql`alter table user_event add constraint user_event_pkey primary key (tracked_user_id, id)`.execute(db);
    }
  },
  async down(db, dialect) {
    if (!dialect.autoIdIsRowid) {
      await sql`alter table user_event drop constraint user_event_pkey`.execute(db);
      await sql`alter table user_event add constraint user_event_pkey primary key (id)`.execute(db);
      await db.schema.createIndex('user_event_user_at').on('user_event').columns(['tracked_user_id', 'id']).execute();
    }
    if (dialect.foreignKeysAreTriggers) {
      await sql`alter table tracked_user add constraint tracked_user_campaign_id_fkey foreign key (campaign_id) references campaign (id) on delete cascade`.execute(
        db,
      );
      await sql`alter table user_event add constraint user_event_tracked_user_id_fkey foreign key (tracked_user_id) references tracked_user (id) on delete cascade`.execute(
        db,
      );
    }
    await db.schema.dropIndex('tracked_user_department').execute();
    await db.schema.createIndex('tracked_user_department').on('tracked_user').columns(['campaign_id', 'department']).execute();
    await db.schema.alterTable('tracked_user').renameColumn('link_secret', 'tracking_token').execute();
    await db.schema.createIndex('tracked_user_token').on('tracked_user').column('tracking_token').unique().execute();
  },
};
