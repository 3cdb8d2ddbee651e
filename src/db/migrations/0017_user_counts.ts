import { sql } from 'kysely';
import type { PortableMigration } from './index.js';

/** A row's counter key, as SQL over a row alias (`new`, `old`, a transition table's rows). */
function key(row: string) {
  return {
    campaign: `${row}.campaign_id`,
    batch: `coalesce(${row}.source_batch_id, '')`,
    status: `${row}.invite_status`,
    // The reports break Excluded users down by reason; other statuses' reasons are free text (errors).
    reason: `case when ${row}.invite_status = 'Excluded' then coalesce(${row}.status_reason, '') else '' end`,
  };
}
const COLUMNS = 'campaign_id, batch_key, invite_status, reason_key, users';
const KEY_COLUMNS = 'campaign_id, batch_key, invite_status, reason_key';

function keyDiffers(a: string, b: string): string {
  const [x, y] = [key(a), key(b)];
  return `(${x.campaign}, ${x.batch}, ${x.status}, ${x.reason}) is distinct from (${y.campaign}, ${y.batch}, ${y.status}, ${y.reason})`;
}

/** SQLite: per-row triggers, each adding its +1/-1 in place (one writer at a time: no queue on the row). */
function sqliteTriggers(): string[] {
  const add = (row: string, delta: number) => {
    const k = key(row);
    return (
      `insert into tracked_user_count (${COLUMNS}) values (${k.campaign}, ${k.batch}, ${k.status}, ${k.reason}, ${delta}) ` +
      `on conflict (${KEY_COLUMNS}) do update set users = users + ${delta};`
    );
  };
  const [o, n] = [key('old'), key('new')];
  return [
    `create trigger tracked_user_count_insert after insert on tracked_user begin ${add('new', 1)} end`,
    `create trigger tracked_user_count_delete after delete on tracked_user begin ${add('old', -1)} end`,
    // SQLite has no row-value IS DISTINCT FROM in a trigger's WHEN; IS NOT per part says the same.
    'create trigger tracked_user_count_update after update of campaign_id, source_batch_id, invite_status, status_reason on tracked_user ' +
      `when ${o.campaign} is not ${n.campaign} or ${o.batch} is not ${n.batch} or ${o.status} is not ${n.status} or (${o.reason}) is not (${n.reason}) ` +
      `begin ${add('old', -1)} ${add('new', 1)} end`,
  ];
}

/**
 * PostgreSQL: one trigger run per statement over its rows (transition tables), so a 5,000-row upload
 * chunk costs one grouped insert. The deltas are appended, never added in place: concurrent
 * transactions (clicks, the invitation run, another instance) would otherwise queue on one counter row
 * until each commits. The reports sum them; `compactUserCounts` folds them up now and then.
 */
function postgresTriggers(): string[] {
  const grouped = (rows: string, sign: string) => {
    const k = key(rows);
    return `select ${k.campaign}, ${k.batch}, ${k.status}, ${k.reason}, ${sign}count(*) from ${rows} group by 1, 2, 3, 4`;
  };
  // The schema is pinned at creation: a session with another search_path (an operator's psql) must still
  // count into onramp's table.
  const fn = (name: string, body: string) =>
    `create function ${name}() returns trigger language plpgsql set search_path from current as $$ ` +
    `begin insert into tracked_user_count (${COLUMNS}) ${body}; return null; end $$`;
  const changed = `from old_rows join new_rows on new_rows.id = old_rows.id where ${keyDiffers('old_rows', 'new_rows')}`;
  const [o, n] = [key('old_rows'), key('new_rows')];
  return [
    fn('tracked_user_count_inserted', grouped('new_rows', '')),
    fn('tracked_user_count_deleted', grouped('old_rows', '-')),
    // Only rows whose key changed: an open stamp or a click's date leaves the counters untouched.
    fn(
      'tracked_user_count_updated',
      `select c, b, s, r, sum(d) from (select ${o.campaign} as c, ${o.batch} as b, ${o.status} as s, ${o.reason} as r, -1 as d ${changed} ` +
        `union all select ${n.campaign}, ${n.batch}, ${n.status}, ${n.reason}, 1 ${changed}) as moved group by 1, 2, 3, 4 having sum(d) <> 0`,
    ),
    'create trigger tracked_user_count_insert after insert on tracked_user referencing new table as new_rows for each statement execute function tracked_user_count_inserted()',
    'create trigger tracked_user_count_delete after delete on tracked_user referencing old table as old_rows for each statement execute function tracked_user_count_deleted()',
    'create trigger tracked_user_count_update after update on tracked_user referencing old table as old_rows new table as new_rows ' +
      'for each statement execute function tracked_user_count_updated()',
  ];
}

/**
 * Counts and pages that do not grow with the roster.
 *
 * Tracked users counted per campaign, batch, status and (Excluded users only) reason, kept by triggers
 * in the same transaction as every write of those columns, whoever writes them (upload, the invitation
 * run, clicks, the outbox's give-up, bulk actions, removals). The report totals and the users list's
 * count read these few rows instead of counting a million. The table starts from a count of the rows
 * already there.
 */
export const userCounts: PortableMigration = {
  name: '0017_user_counts',
  async up(db, dialect) {
    await db.schema
      .createTable('tracked_user_count')
      .addColumn('campaign_id', 'bigint', (c) => c.notNull())
      .addColumn('batch_key', 'text', (c) => c.notNull())
      .addColumn('invite_status', 'text', (c) => c.notNull())
      .addColumn('reason_key', 'text', (c) => c.notNull())
      .addColumn('users', 'bigint', (c) => c.notNull())
      .execute();
    const index = db.schema.createIndex('tracked_user_count_key').on('tracked_user_count').columns(['campaign_id', 'batch_key', 'invite_status', 'reason_key']);
    // Deltas appended (statement triggers) repeat a key; counters added in place need it unique for the upsert.
    await (dialect.statementTriggers ? index : index.unique()).execute();
    const k = key('tracked_user');
    await sql
      .raw(
        `insert into tracked_user_count (${COLUMNS}) select ${k.campaign}, ${k.batch}, ${k.status}, ${k.reason}, count(*) from tracked_user group by 1, 2, 3, 4`,
      )
      .execute(db);
    for (const statement of dialect.statementTriggers ? postgresTriggers() : sqliteTriggers()) await sql.raw(statement).execute(db);
    // The users list filtered by batch and status, sorted by UPN, reads its page from the index in order
    // (at 1,000,000 users the batch index plus a sort took 353 ms, this one 0.5 ms). It serves everything
    // the index it replaces did: those columns are its prefix. Its cost: on PostgreSQL a 100,000-row first
    // upload took ~0.5 s longer (1.5 → 2.0 s here), the old index's equal keys deduplicating to almost
    // nothing; on SQLite no difference in CPU time showed.
    await db.schema.dropIndex('tracked_user_batch_status').execute();
    await db.schema
      .createIndex('tracked_user_batch_status_upn')
      .on('tracked_user')
      .columns(['campaign_id', 'source_batch_id', 'invite_status', 'upn_key'])
      .execute();
  },
  async down(db, dialect) {
    await db.schema.dropIndex('tracked_user_batch_status_upn').execute();
    await db.schema.createIndex('tracked_user_batch_status').on('tracked_user').columns(['campaign_id', 'source_batch_id', 'invite_status']).execute();
    // PostgreSQL names a trigger within its table; SQLite's are the schema's.
    const on = dialect.statementTriggers ? ' on tracked_user' : '';
    for (const op of ['insert', 'update', 'delete']) await sql.raw(`drop trigger tracked_user_count_${op}${on}`).execute(db);
    if (dialect.statementTriggers) {
      for (const fn of ['inserted', 'updated', 'deleted']) await sql.raw(`drop function tracked_user_count_${fn}()`).execute(db);
    }
    await db.schema.dropTable('tracked_user_count').execute();
  },
};
