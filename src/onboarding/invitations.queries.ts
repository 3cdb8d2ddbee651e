/** SQL of the invitation workflow (portable across SQLite and PostgreSQL). */
import type { Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { Database } from '../db/schema.js';
import { USER_STATUS } from './onboarding.domain.js';
import { CHECKED_STATUSES } from './invitations.rules.js';

type Db = Kysely<Database> | Transaction<Database>;
export type TrackedUser = Selectable<Database['tracked_user']>;
export type TrackedUserUpdate = Updateable<Database['tracked_user']>;

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
