/**
 * All SQL of the onboarding feature (pg-boss plans.ts style): named functions over Kysely, portable
 * across SQLite and PostgreSQL. Each takes the database or a transaction, so callers compose them into
 * one transaction without holding SQL themselves.
 */
import { CompiledQuery, sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { DialectCapabilities } from '../db/dialect.js';
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

const UPLOAD_COLUMNS = ['campaign_id', 'upn', 'upn_key', 'invite_status', 'tracking_token', 'correlation_id', 'source_batch_id', 'created_at', 'updated_at'] as const;
const EVENT_COLUMNS = ['tracked_user_id', 'at', 'type', 'actor', 'detail'] as const;

/**
 * `(?, ?), (?, ?)` or `($1, $2), ($3, $4)`. The bulk statements below are written as text with
 * placeholders because building a Kysely tree of a million value nodes costs more than the insert itself.
 */
function valueRows(dialect: BulkDialect, rows: number, columns: number, first = 1): string {
  const out = new Array<string>(rows);
  let n = first;
  for (let r = 0; r < rows; r++) {
    const cells = new Array<string>(columns);
    for (let c = 0; c < columns; c++) cells[c] = dialect.name === 'postgres' ? `$${n++}` : '?';
    out[r] = `(${cells.join(', ')})`;
  }
  return out.join(', ');
}

export type BulkDialect = Pick<DialectCapabilities, 'name' | 'maxParameters'>;

/**
 * Inserts new users and resets existing ones (the re-upload rule of `resetForNewCycle`) in chunked
 * upserts. The first-given spelling of the UPN is kept. Each chunk is a handful of parameters however
 * many rows it holds: the rows travel as one JSON array (json_array_elements() on PostgreSQL,
 * json_each() on SQLite), which V8 writes natively and both engines read in one pass; the statement
 * text, and so SQLite's compiled plan, is the same for every chunk. (node-postgres escapes text[]
 * parameters element by element in JavaScript: a third of the upload's time on 100,000 rows.) With
 * `returning`, the id and key of every row come back. `known: false` promises that none of the rows is
 * in the campaign yet (see `lockCampaignForUpload`): a plain INSERT then spares PostgreSQL the
 * per-row speculative insertion of ON CONFLICT (a fifth of a first upload's time).
 */
async function writeUploadedUsers(
  db: Db,
  dialect: BulkDialect,
  campaignId: number,
  batchId: string,
  rows: readonly UploadRow[],
  now: string,
  options: { returning: boolean; known: boolean },
): Promise<Array<{ id: number; upn_key: string }>> {
  const out: Array<{ id: number; upn_key: string }> = [];
  const pg = dialect.name === 'postgres';
  const reset = Object.entries(resetForNewCycle('')).filter(([column]) => column !== 'tracking_token');
  const source = pg
    ? "select $1, u ->> 0, u ->> 1, $2, u ->> 2, u ->> 3, $3, $4, $4 from json_array_elements($5::json) as j(u)"
    : // `where true`: SQLite needs it to tell an upsert's ON CONFLICT from a join's ON.
      'select ?, u.value ->> 0, u.value ->> 1, ?, u.value ->> 2, u.value ->> 3, ?, ?, ? from json_each(?) as u where true';
  let n = 6;
  const sets = reset.map(([column]) => `${column} = ${pg ? `$${n++}` : '?'}`);
  const text =
    `insert into tracked_user (${UPLOAD_COLUMNS.join(', ')}) ${source}` +
    (options.known
      ? ` on conflict (campaign_id, upn_key) do update set ${sets.join(', ')}, tracking_token = excluded.tracking_token, ` +
        'source_batch_id = excluded.source_batch_id, updated_at = excluded.updated_at, version = tracked_user.version + 1'
      : '') +
    (options.returning ? ' returning id, upn_key' : '');
  const resetValues = options.known ? reset.map(([, value]) => value) : [];
  for (let i = 0; i < rows.length; i += UPLOAD_CHUNK) {
    const chunk = rows.slice(i, i + UPLOAD_CHUNK);
    const json = JSON.stringify(chunk.map((r) => [r.upn, r.upn_key, r.tracking_token, r.correlation_id]));
    const params = pg ? [campaignId, USER_STATUS.Pending, batchId, now, json, ...resetValues] : [campaignId, USER_STATUS.Pending, batchId, now, now, json, ...resetValues];
    const result = await db.executeQuery<{ id: number; upn_key: string }>(CompiledQuery.raw(text, params));
    if (options.returning) out.push(...result.rows);
  }
  return out;
}

/** `writeUploadedUsers` that returns the id and key of every row (for callers that go on with ids). */
export async function upsertUploadedUsers(
  db: Db,
  dialect: BulkDialect,
  campaignId: number,
  batchId: string,
  rows: readonly UploadRow[],
  now: string,
): Promise<Array<{ id: number; upn_key: string }>> {
  return writeUploadedUsers(db, dialect, campaignId, batchId, rows, now, { returning: true, known: true });
}

/**
 * Uploads to one campaign take turns on PostgreSQL (SQLite has one writer anyway), so the keys an
 * upload reads at its start stay the campaign's keys until it commits. FOR NO KEY UPDATE leaves the
 * foreign-key checks of inserted users (FOR KEY SHARE on the campaign) unblocked.
 */
export async function lockCampaignForUpload(db: Db, dialect: BulkDialect, campaignId: number): Promise<void> {
  if (dialect.name === 'postgres') await db.executeQuery(CompiledQuery.raw('select id from campaign where id = $1 for no key update', [campaignId]));
}

export interface UploadHistoryEntry {
  upn_key: string;
  type: UserEventType;
  detail: Record<string, unknown>;
}

/**
 * An upload, users and their history, written in the caller's transaction: users already in the
 * campaign reset, new ones inserted, without sending ids back, then one event per user inserted by joining on the campaign's UPN key
 * in the database (a third less work than returning 100,000 ids and sending them back).
 */
export async function storeUpload(
  db: Db,
  dialect: BulkDialect,
  upload: {
    campaignId: number;
    batchId: string;
    now: string;
    actor: string;
    rows: readonly UploadRow[];
    history: readonly UploadHistoryEntry[];
    /** The campaign's keys, read after `lockCampaignForUpload` in the same transaction. */
    existing: ReadonlySet<string>;
  },
): Promise<void> {
  const { campaignId, batchId, now, actor, rows, history, existing } = upload;
  const known = rows.filter((r) => existing.has(r.upn_key));
  const fresh = known.length === 0 ? rows : rows.filter((r) => !existing.has(r.upn_key));
  await writeUploadedUsers(db, dialect, campaignId, batchId, known, now, { returning: false, known: true });
  await writeUploadedUsers(db, dialect, campaignId, batchId, fresh, now, { returning: false, known: false });
  const pg = dialect.name === 'postgres';
  const text = pg
    ? `insert into user_event (${EVENT_COLUMNS.join(', ')}) select t.id, $1, e.h ->> 1, $2, e.h ->> 2 ` +
      'from json_array_elements($4::json) as e(h) join tracked_user t on t.campaign_id = $3 and t.upn_key = e.h ->> 0'
    : // CROSS JOIN keeps json_each the outer loop (one index lookup per entry), as SQLite's planner otherwise may not.
      `insert into user_event (${EVENT_COLUMNS.join(', ')}) select t.id, ?, h.value ->> 1, ?, h.value ->> 2 ` +
      'from json_each(?) as h cross join tracked_user t on t.campaign_id = ? and t.upn_key = h.value ->> 0';
  for (let i = 0; i < history.length; i += UPLOAD_CHUNK) {
    const chunk = history.slice(i, i + UPLOAD_CHUNK);
    const json = JSON.stringify(chunk.map((h) => [h.upn_key, h.type, JSON.stringify(h.detail)]));
    const params = pg ? [now, actor, campaignId, json] : [now, actor, json, campaignId];
    await db.executeQuery(CompiledQuery.raw(text, params));
  }
}

/** Rows per bulk upload statement (one JSON text, so no parameter limit applies). Larger chunks were no faster and left the server ~20 MiB bigger after a 100,000-row upload. */
const UPLOAD_CHUNK = 5_000;
const POSTGRES_ARRAY_CHUNK = 20_000;

export async function appendEvents(db: Db, events: readonly NewUserEvent[], dialect: BulkDialect): Promise<void> {
  if (dialect.name === 'postgres') {
    for (let i = 0; i < events.length; i += POSTGRES_ARRAY_CHUNK) {
      const chunk = events.slice(i, i + POSTGRES_ARRAY_CHUNK);
      const text =
        `insert into user_event (${EVENT_COLUMNS.join(', ')}) ` +
        'select * from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])';
      await db.executeQuery(
        CompiledQuery.raw(text, [chunk.map((e) => e.tracked_user_id), chunk.map((e) => e.at), chunk.map((e) => e.type), chunk.map((e) => e.actor), chunk.map((e) => JSON.stringify(e.detail))]),
      );
    }
    return;
  }
  const size = chunkRows(EVENT_COLUMNS.length, dialect.maxParameters);
  for (let i = 0; i < events.length; i += size) {
    const chunk = events.slice(i, i + size);
    const params: unknown[] = [];
    for (const e of chunk) params.push(e.tracked_user_id, e.at, e.type, e.actor, JSON.stringify(e.detail));
    const text = `insert into user_event (${EVENT_COLUMNS.join(', ')}) values ${valueRows(dialect, chunk.length, EVENT_COLUMNS.length)}`;
    await db.executeQuery(CompiledQuery.raw(text, params));
  }
}

export async function findByToken(db: Db, token: string): Promise<TrackedUserRow | undefined> {
  return db.selectFrom('tracked_user').selectAll().where('tracking_token', '=', token).executeTakeFirst();
}

export type LinkHolder = Pick<TrackedUserRow, 'upn' | 'in_group'>;

/** What the enrol confirmation shows about each link's owner, by exact token match; unknown tokens are absent. */
export async function findLinkHolders(db: Db, dialect: BulkDialect, tokens: readonly string[]): Promise<Map<string, LinkHolder>> {
  // One array (PostgreSQL) or JSON (SQLite) parameter whatever the count, so the statement text is reused.
  const text =
    dialect.name === 'postgres'
      ? 'select tracking_token, upn, in_group from tracked_user where tracking_token = any($1::text[])'
      : 'select tracking_token, upn, in_group from tracked_user where tracking_token in (select value from json_each(?))';
  const param = dialect.name === 'postgres' ? tokens : JSON.stringify(tokens);
  const rows = (await db.executeQuery<LinkHolder & { tracking_token: string }>(CompiledQuery.raw(text, [param]))).rows;
  return new Map(rows.map((r) => [r.tracking_token, { upn: r.upn, in_group: r.in_group }]));
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

export interface OpenStamp {
  token: string;
  at: string;
}

/**
 * The pixel's writes, many at once: stamps each token's user whose email was not opened before, in
 * one indexed UPDATE. Returns the users stamped (id and stamp), so the event is appended once each.
 * Tokens must be distinct.
 */
export async function stampFirstOpens(db: Db, dialect: BulkDialect, stamps: readonly OpenStamp[]): Promise<Array<{ id: number; at: string }>> {
  if (stamps.length === 0) return [];
  const text =
    dialect.name === 'postgres'
      ? 'update tracked_user set email_opened_date = v.at, updated_at = v.at, version = tracked_user.version + 1 ' +
        'from unnest($1::text[], $2::text[]) as v(token, at) ' +
        'where tracked_user.tracking_token = v.token and tracked_user.email_opened_date is null ' +
        'returning tracked_user.id, tracked_user.email_opened_date as at'
      : // One JSON parameter whatever the batch size, so the statement text (and SQLite's compiled plan) is reused.
        "update tracked_user set email_opened_date = v.value ->> 1, updated_at = v.value ->> 1, version = tracked_user.version + 1 " +
        'from json_each(?) as v ' +
        'where tracked_user.tracking_token = v.value ->> 0 and tracked_user.email_opened_date is null ' +
        'returning id, email_opened_date as at';
  const params =
    dialect.name === 'postgres' ? [stamps.map((s) => s.token), stamps.map((s) => s.at)] : [JSON.stringify(stamps.map((s) => [s.token, s.at]))];
  return (await db.executeQuery<{ id: number; at: string }>(CompiledQuery.raw(text, params))).rows;
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
