/** SQL of the invitation workflow (portable across SQLite and PostgreSQL). */
import { CompiledQuery, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { BulkType, DialectCapabilities } from '../db/capabilities.js';
import type { Database } from '../db/schema.js';
import { USER_STATUS } from './onboarding.domain.js';
import { CHECKED_STATUSES } from './invitations.rules.js';

type Db = Kysely<Database> | Transaction<Database>;
export type TrackedUser = Selectable<Database['tracked_user']>;

/**
 * Users the run handles, in id order after `afterId`: Pending ones, and invited ones whose last check
 * is older than `checkedBeforeIso` or who clicked their link since it; none of a paused batch.
 */
export async function dueUsers(db: Db, options: { checkedBeforeIso: string; afterId: number; limit: number }): Promise<TrackedUser[]> {
  return db
    .selectFrom('tracked_user')
    .selectAll()
    .where('id', '>', options.afterId)
    .where((eb) =>
      eb.or([
        eb('invite_status', '=', USER_STATUS.Pending),
        eb.and([
          eb('invite_status', 'in', [...CHECKED_STATUSES]),
          eb.or([
            eb('last_checked', 'is', null),
            eb('last_checked', '<', options.checkedBeforeIso),
            // Someone who clicked since the last check is likely registering right now: check again soon
            // rather than a whole interval later.
            eb('clicked_link_date', '>', eb.ref('last_checked')),
          ]),
        ]),
      ]),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('paused_batch')
            .select('paused_batch.batch_id')
            .whereRef('paused_batch.campaign_id', '=', 'tracked_user.campaign_id')
            .whereRef('paused_batch.batch_id', '=', 'tracked_user.source_batch_id'),
        ),
      ),
    )
    .orderBy('id')
    .limit(options.limit)
    .execute();
}

/** The columns an invitation run changes on a user (besides updated_at and version), with their types. */
const CHECKED_COLUMNS = {
  last_checked: 'text',
  display_name: 'text',
  department: 'text',
  job_title: 'text',
  manager_upn: 'text',
  object_id: 'text',
  user_type: 'text',
  mfa_registration_state: 'text',
  in_group: 'int',
  invite_status: 'text',
  status_reason: 'text',
  notes: 'text',
  added_to_group_date: 'text',
  mfa_registration_date: 'text',
  invite_sent_date: 'text',
  reminder_count: 'int',
  last_reminder_date: 'text',
  escalated_to_manager: 'int',
  escalation_date: 'text',
  preferred_language: 'text',
} as const satisfies Partial<Record<keyof TrackedUser, BulkType>>;

export type CheckedColumn = keyof typeof CHECKED_COLUMNS;
export type CheckedUserPatch = Partial<Pick<TrackedUser, CheckedColumn>>;

/** Rows per statement: a chunk is written in one; the bound rows are one JSON text, so no parameter limit applies. */
const CHECKED_ROWS_PER_STATEMENT = 5_000;

/**
 * A run's changes to many users, one statement per few thousand: each user's row is written only if
 * its version is still the one the run read (someone else's change meanwhile wins, and the run leaves
 * that user to the next one). Every row sets the same columns: a column a user's patch leaves out gets
 * the value the run read, which is the row's value while its version holds. Returns the ids written.
 * One UPDATE … FROM instead of a statement per user: at 500 users a chunk, the per-statement round
 * trips were most of the run's database time.
 */
export async function updateCheckedUsers(
  db: Db,
  dialect: Pick<DialectCapabilities, 'parameters' | 'jsonRows'>,
  changes: ReadonlyArray<{ user: TrackedUser; patch: CheckedUserPatch }>,
  nowIso: string,
): Promise<Set<number>> {
  const written = new Set<number>();
  const columns = (Object.keys(CHECKED_COLUMNS) as CheckedColumn[]).filter((c) => changes.some((ch) => c in ch.patch));
  for (let i = 0; i < changes.length; i += CHECKED_ROWS_PER_STATEMENT) {
    const chunk = changes.slice(i, i + CHECKED_ROWS_PER_STATEMENT);
    const p = dialect.parameters();
    const now = p.bind(nowIso);
    const u = dialect.jsonRows(
      'u',
      ['bigint', 'bigint', ...columns.map((c) => CHECKED_COLUMNS[c])],
      chunk.map(({ user, patch }) => [user.id, user.version, ...columns.map((c) => (c in patch ? patch[c] : user[c]) ?? null)]),
    );
    const assignments = columns.map((c, k) => `${c} = ${u.cell(k + 2)}`);
    const text =
      `update tracked_user set ${[...assignments, `updated_at = ${now}`, 'version = tracked_user.version + 1'].join(', ')} from ${u.from(p)} ` +
      `where tracked_user.id = ${u.cell(0)} and tracked_user.version = ${u.cell(1)} returning tracked_user.id as id`;
    const result = await db.executeQuery<{ id: number | string }>(CompiledQuery.raw(text, p.values));
    for (const row of result.rows) written.add(Number(row.id));
  }
  return written;
}

export async function campaignGroups(db: Db): Promise<Map<number, string | null>> {
  const rows = await db.selectFrom('campaign').select(['id', 'mfa_group_id']).execute();
  return new Map(rows.map((r) => [r.id, r.mfa_group_id]));
}

/**
 * Delivery given up: the user goes to Error with the reason, unless they finished meanwhile or the email
 * belongs to an earlier cycle (queued before the current invitation, or the user is back to Pending
 * awaiting one): a stale failure must not silence the new cycle.
 */
export async function markEmailFailed(trx: Transaction<Database>, id: number, failure: { reason: string; queuedAt: string }, nowIso: string): Promise<boolean> {
  const result = await trx
    .updateTable('tracked_user')
    .set((eb) => ({ invite_status: USER_STATUS.Error, status_reason: failure.reason, updated_at: nowIso, version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .where('invite_status', 'not in', [USER_STATUS.Active, USER_STATUS.Excluded])
    .where('invite_sent_date', 'is not', null)
    .where('invite_sent_date', '<=', failure.queuedAt)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Each user's latest event (type, time, detail), to count failures in a row. */
export async function latestEvents(db: Db, ids: readonly number[]): Promise<Map<number, { type: string; at: string; detail: string }>> {
  const out = new Map<number, { type: string; at: string; detail: string }>();
  for (const id of ids) {
    const row = await db
      .selectFrom('user_event')
      .select(['type', 'at', 'detail'])
      .where('tracked_user_id', '=', id)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (row) out.set(id, row);
  }
  return out;
}

/** Some tracked user the directory has answered for before (their object id is known). */
export async function knownDirectoryUpn(db: Db): Promise<string | undefined> {
  const row = await db.selectFrom('tracked_user').select('upn').where('object_id', 'is not', null).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row?.upn;
}
