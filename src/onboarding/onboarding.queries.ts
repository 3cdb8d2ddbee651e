/**
 * All SQL of the onboarding feature (pg-boss plans.ts style): named functions over Kysely, portable
 * across SQLite and PostgreSQL. Each takes the database or a transaction, so callers compose them into
 * one transaction without holding SQL themselves.
 */
import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { resetForNewCycle, USER_STATUS, type TrackedUserPatch, type UserEventType } from './onboarding.domain.js';

export type Db = Kysely<Database> | Transaction<Database>;
export type CampaignRow = Selectable<Database['campaign']>;
export type TrackedUserRow = Selectable<Database['tracked_user']>;
export type UserEventRow = Selectable<Database['user_event']>;

export interface NewUserEvent {
  tracked_user_id: number;
  at: string;
  type: UserEventType;
  actor: string;
  detail: Record<string, unknown>;
}

/** Rows per statement so that `columns × rows` stays under the engine's bound-parameter limit. */
export function chunkRows(columns: number, maxParameters: number): number {
  return Math.max(1, Math.floor(maxParameters / columns) - 1);
}

export async function defaultCampaign(db: Db): Promise<CampaignRow> {
  return db.selectFrom('campaign').selectAll().where('is_default', '=', 1).orderBy('id').executeTakeFirstOrThrow();
}

export async function campaignById(db: Db, id: number): Promise<CampaignRow | undefined> {
  return db.selectFrom('campaign').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Every UPN key already in a campaign (one query, for the upload's added/updated split). */
export async function existingUpnKeys(db: Db, campaignId: number): Promise<Set<string>> {
  const rows = await db.selectFrom('tracked_user').select('upn_key').where('campaign_id', '=', campaignId).execute();
  return new Set(rows.map((r) => r.upn_key));
}

export interface UploadRow {
  upn: string;
  upn_key: string;
  tracking_token: string;
  correlation_id: string;
}

const UPLOAD_COLUMNS = 9;

/**
 * Inserts new users and resets existing ones (the re-upload rule of `resetForNewCycle`) in chunked
 * multi-row upserts. The first-given spelling of the UPN is kept. Returns id and key of every row.
 */
export async function upsertUploadedUsers(
  db: Db,
  campaignId: number,
  batchId: string,
  rows: readonly UploadRow[],
  now: string,
  maxParameters: number,
): Promise<Array<{ id: number; upn_key: string }>> {
  const out: Array<{ id: number; upn_key: string }> = [];
  const size = chunkRows(UPLOAD_COLUMNS, maxParameters);
  const reset = resetForNewCycle('');
  for (let i = 0; i < rows.length; i += size) {
    const values: Array<Insertable<Database['tracked_user']>> = rows.slice(i, i + size).map((r) => ({
      campaign_id: campaignId,
      upn: r.upn,
      upn_key: r.upn_key,
      invite_status: USER_STATUS.Pending,
      tracking_token: r.tracking_token,
      correlation_id: r.correlation_id,
      source_batch_id: batchId,
      created_at: now,
      updated_at: now,
    }));
    const returned = await db
      .insertInto('tracked_user')
      .values(values)
      .onConflict((oc) =>
        oc.columns(['campaign_id', 'upn_key']).doUpdateSet((eb) => ({
          ...reset,
          tracking_token: eb.ref('excluded.tracking_token'),
          source_batch_id: eb.ref('excluded.source_batch_id'),
          updated_at: eb.ref('excluded.updated_at'),
          version: sql<number>`tracked_user.version + 1`,
        })),
      )
      .returning(['id', 'upn_key'])
      .execute();
    out.push(...returned);
  }
  return out;
}

const EVENT_COLUMNS = 5;

export async function appendEvents(db: Db, events: readonly NewUserEvent[], maxParameters: number): Promise<void> {
  const size = chunkRows(EVENT_COLUMNS, maxParameters);
  for (let i = 0; i < events.length; i += size) {
    await db
      .insertInto('user_event')
      .values(events.slice(i, i + size).map((e) => ({ ...e, detail: JSON.stringify(e.detail) })))
      .execute();
  }
}

export async function findByToken(db: Db, token: string): Promise<TrackedUserRow | undefined> {
  return db.selectFrom('tracked_user').selectAll().where('tracking_token', '=', token).executeTakeFirst();
}

export async function findById(db: Db, id: number): Promise<TrackedUserRow | undefined> {
  return db.selectFrom('tracked_user').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findByUpnKey(db: Db, campaignId: number, key: string): Promise<TrackedUserRow | undefined> {
  return db.selectFrom('tracked_user').selectAll().where('campaign_id', '=', campaignId).where('upn_key', '=', key).executeTakeFirst();
}

/**
 * Applies a patch if the row is still at `expectedVersion` (optimistic concurrency); returns whether
 * it did. Two clicks racing on one link: one wins, the other sees the new state and says so.
 */
export async function updateUser(db: Db, id: number, expectedVersion: number, patch: TrackedUserPatch, now: string): Promise<boolean> {
  const result = await db
    .updateTable('tracked_user')
    .set({ ...patch, updated_at: now, version: expectedVersion + 1 })
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * The pixel's write: one indexed UPDATE that only matches a first open. Returns the user id when this
 * request was the first open, so the event is appended once.
 */
export async function stampEmailOpened(db: Db, token: string, now: string): Promise<number | undefined> {
  const row = await db
    .updateTable('tracked_user')
    .set({ email_opened_date: now, updated_at: now, version: sql<number>`version + 1` })
    .where('tracking_token', '=', token)
    .where('email_opened_date', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

export interface UserListFilter {
  campaignId: number;
  status?: string | undefined;
  batchId?: string | undefined;
  department?: string | undefined;
  /** Matched (case-insensitively) against UPN, display name and department. */
  search?: string | undefined;
}

export const USER_SORT_COLUMNS = ['upn_key', 'invite_status', 'updated_at', 'created_at', 'department', 'display_name', 'reminder_count', 'source_batch_id'] as const;
export type UserSortColumn = (typeof USER_SORT_COLUMNS)[number];

function filtered(db: Db, f: UserListFilter) {
  let q = db.selectFrom('tracked_user').where('campaign_id', '=', f.campaignId);
  if (f.status !== undefined) q = q.where('invite_status', '=', f.status);
  if (f.batchId !== undefined) q = q.where('source_batch_id', '=', f.batchId);
  if (f.department !== undefined) q = q.where('department', '=', f.department);
  if (f.search !== undefined && f.search !== '') {
    // LIKE wildcards in the search text are matched literally.
    const pattern = `%${f.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) =>
      eb.or([
        eb('upn_key', 'like', sql<string>`${pattern} escape '\\'`),
        eb(eb.fn('lower', ['display_name']), 'like', sql<string>`${pattern} escape '\\'`),
        eb(eb.fn('lower', ['department']), 'like', sql<string>`${pattern} escape '\\'`),
      ]),
    );
  }
  return q;
}

export async function listUsers(
  db: Db,
  filter: UserListFilter,
  page: { offset: number; limit: number; sort: UserSortColumn; descending: boolean },
): Promise<TrackedUserRow[]> {
  return filtered(db, filter)
    .selectAll()
    .orderBy(page.sort, page.descending ? 'desc' : 'asc')
    .orderBy('id', 'asc')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
}

export async function countUsers(db: Db, filter: UserListFilter): Promise<number> {
  const row = await filtered(db, filter).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function userEvents(db: Db, trackedUserId: number): Promise<UserEventRow[]> {
  return db.selectFrom('user_event').selectAll().where('tracked_user_id', '=', trackedUserId).orderBy('id').execute();
}

export async function deleteUser(db: Db, id: number): Promise<boolean> {
  await db.deleteFrom('user_event').where('tracked_user_id', '=', id).execute();
  const result = await db.deleteFrom('tracked_user').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
