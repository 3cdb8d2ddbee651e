/**
 * All SQL of the onboarding feature (pg-boss plans.ts style): named functions over Kysely, portable
 * across SQLite and PostgreSQL. Each takes the database or a transaction, so callers compose them into
 * one transaction without holding SQL themselves.
 */
import { randomUUID } from 'node:crypto';
import {
  CompiledQuery,
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type Selectable,
  type SqlBool,
  type Transaction,
  type Updateable,
} from 'kysely';
import type { DialectCapabilities } from '../db/capabilities.js';
import type { RosterProfile } from './roster-csv.js';
import type { Database } from '../db/schema.js';
import { newLinkSecrets, resetForNewCycle, USER_EVENT, USER_STATUS, type LinkToken, type TrackedUserPatch, type UserEventType } from './onboarding.domain.js';

import type { WorkflowEventType } from './invitations.rules.js';

export type Db = Kysely<Database> | Transaction<Database>;
export type CampaignRow = Selectable<Database['campaign']>;
export type TrackedUserRow = Selectable<Database['tracked_user']>;
export type UserEventRow = Selectable<Database['user_event']>;

export interface NewUserEvent {
  tracked_user_id: number;
  at: string;
  type: UserEventType | WorkflowEventType;
  actor: string;
  detail: Record<string, unknown>;
}

export async function defaultCampaign(db: Db): Promise<CampaignRow> {
  return db.selectFrom('campaign').selectAll().where('is_default', '=', 1).orderBy('id').executeTakeFirstOrThrow();
}

export async function campaignById(db: Db, id: number): Promise<CampaignRow | undefined> {
  return db.selectFrom('campaign').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Which of `keys` a campaign has already: probes of its (campaign_id, upn_key) index, one statement per
 * upload chunk, so an upload into a million users holds its own chunk's keys only (reading all of the
 * campaign's keys first held a million strings: most of a 200,000-row upload's 620 MiB peak).
 */
export async function existingUpnKeys(db: Db, dialect: BulkDialect, campaignId: number, keys: readonly string[]): Promise<Set<string>> {
  const p = dialect.parameters();
  const text = `select upn_key from tracked_user where campaign_id = ${p.bind(campaignId)} and ${dialect.inList('upn_key', 'text', keys, p)}`;
  const rows = (await db.executeQuery<{ upn_key: string }>(CompiledQuery.raw(text, p.values))).rows;
  return new Set(rows.map((r) => r.upn_key));
}

/** Whether a campaign has any user (a first upload then looks none of its keys up). */
export async function campaignHasUsers(db: Db, campaignId: number): Promise<boolean> {
  return (await db.selectFrom('tracked_user').select('id').where('campaign_id', '=', campaignId).limit(1).executeTakeFirst()) !== undefined;
}

/**
 * An upload's entries chunk by chunk, each with those of its keys the campaign already has (none looked
 * up when it had no users at the start: `empty`). The upload and its preview read a roster so.
 */
export async function* withExistingKeys(
  db: Db,
  dialect: BulkDialect,
  campaignId: number,
  entries: Iterable<UploadEntry>,
  empty: boolean,
): AsyncGenerator<{ chunk: readonly UploadEntry[]; existing: ReadonlySet<string> }> {
  const none: ReadonlySet<string> = new Set();
  for (const chunk of chunked(entries)) {
    yield {
      chunk,
      existing: empty
        ? none
        : await existingUpnKeys(
            db,
            dialect,
            campaignId,
            chunk.map((e) => e.upn_key),
          ),
    };
  }
}

/** What a roster may say about a user besides the UPN (PROFILE_HEADERS in roster-csv.ts), as the reader gives it: no copy per row. */
export type UploadProfile = RosterProfile;

/** A user as an upload names them: the spelling given, its key, the line of the file, and the profile columns if any. */
export interface UploadEntry {
  upn: string;
  upn_key: string;
  row: number;
  profile?: UploadProfile | undefined;
}

export interface UploadRow {
  upn: string;
  upn_key: string;
  link_secret: string;
  correlation_id: string;
  profile?: UploadProfile | undefined;
}

const UPLOAD_COLUMNS = [
  'campaign_id',
  'upn',
  'upn_key',
  'invite_status',
  'link_secret',
  'correlation_id',
  'source_batch_id',
  'created_at',
  'updated_at',
  'display_name',
  'department',
  'job_title',
  'manager_upn',
] as const;
const PROFILE_COLUMNS = ['display_name', 'department', 'job_title', 'manager_upn'] as const;
const EVENT_COLUMNS = ['tracked_user_id', 'at', 'type', 'actor', 'detail'] as const;

export type BulkDialect = Pick<DialectCapabilities, 'parameters' | 'jsonRows' | 'columnRows' | 'inList' | 'rowLocks'>;

interface WrittenUser {
  id: number;
  upn_key: string;
}

/**
 * Inserts new users or resets existing ones (`resetForNewCycle`, when the upload asks for it), one chunk,
 * returning each row's id and key. The first-given spelling of the UPN is kept. However many rows it
 * holds, the chunk is a handful of parameters: the rows travel as one JSON array (jsonb on
 * PostgreSQL, json_each() on SQLite), which V8 writes natively and both engines read in one pass; the
 * statement text, and so SQLite's compiled plan, is the same for every chunk. (node-postgres escapes
 * text[] parameters element by element in JavaScript: a third of the upload's time on 100,000 rows.
 * PostgreSQL's plain json re-reads an element's text for each `->>`: twice jsonb's cost.) `known:
 * false` promises that none of the rows is in the campaign yet (see `lockCampaignForUpload`): a plain
 * INSERT then spares PostgreSQL the per-row speculative insertion of ON CONFLICT (a fifth of a first
 * upload's time).
 */
function usersStatement(
  dialect: BulkDialect,
  upload: { campaignId: number; batchId: string; now: string },
  chunk: readonly UploadRow[],
  known: boolean,
): CompiledQuery<WrittenUser> {
  const p = dialect.parameters();
  // A row without profile columns ends after its fourth cell: reading a cell past the end gives null on
  // both engines, so a plain roster's JSON is no bigger for them.
  const u = dialect.jsonRows(
    'u',
    ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'text'],
    chunk.map((r) =>
      r.profile
        ? [r.upn, r.upn_key, r.link_secret, r.correlation_id, r.profile.displayName, r.profile.department, r.profile.jobTitle, r.profile.managerUpn]
        : [r.upn, r.upn_key, r.link_secret, r.correlation_id],
    ),
  );
  const { campaignId, batchId, now } = upload;
  // The statement is written in the order its placeholders bind. `where true`: SQLite needs it to tell
  // an upsert's ON CONFLICT from a join's ON.
  let text =
    `insert into tracked_user (${UPLOAD_COLUMNS.join(', ')}) ` +
    `select ${p.bind(campaignId)}, ${u.cell(0)}, ${u.cell(1)}, ${p.bind(USER_STATUS.Pending)}, ${u.cell(2)}, ${u.cell(3)}, ${p.bind(batchId)}, ${p.bind(now)}, ${p.bind(now)}, ` +
    `${u.cell(4)}, ${u.cell(5)}, ${u.cell(6)}, ${u.cell(7)} ` +
    `from ${u.from(p)} where true`;
  if (known) {
    const reset = Object.entries(resetForNewCycle('', '')).filter(([column]) => column !== 'link_secret' && column !== 'previous_link_secret');
    // A reset user keeps the profile they had where the file says nothing (the directory's, once found).
    text +=
      ` on conflict (campaign_id, upn_key) do update set ${reset.map(([column, value]) => `${column} = ${p.bind(value)}`).join(', ')}, ` +
      'previous_link_secret = tracked_user.link_secret, link_secret = excluded.link_secret, source_batch_id = excluded.source_batch_id, ' +
      `${PROFILE_COLUMNS.map((c) => `${c} = coalesce(excluded.${c}, tracked_user.${c})`).join(', ')}, ` +
      'updated_at = excluded.updated_at, version = tracked_user.version + 1';
  }
  return CompiledQuery.raw(`${text} returning id, upn_key`, p.values);
}

/**
 * One `uploaded` (or `reuploaded`) event per user a users statement wrote, by id: no lookup by key.
 * Each detail is `{"batchId":…,"row":N}`, assembled in SQL around the row number, so the parameters are
 * numbers only (PostgreSQL: two number arrays, which node-postgres writes cheaply; SQLite: one JSON
 * array) and the database unescapes no nested JSON.
 */
function historyStatement(
  dialect: BulkDialect,
  upload: { batchId: string; now: string; actor: string },
  type: UserEventType,
  rowOf: ReadonlyMap<string, number>,
  users: readonly WrittenUser[],
): CompiledQuery {
  const detailPrefix = JSON.stringify({ batchId: upload.batchId }).slice(0, -1) + ',"row":';
  const p = dialect.parameters();
  const u = dialect.columnRows(
    'u',
    ['bigint', 'int'],
    users.map((user) => [user.id, rowOf.get(user.upn_key)!]),
  );
  return CompiledQuery.raw(
    `insert into user_event (${EVENT_COLUMNS.join(', ')}) ` +
      `select ${u.cell(0)}, ${p.bind(upload.now)}, ${p.bind(type)}, ${p.bind(upload.actor)}, ${p.bind(detailPrefix)} || ${u.cell(1)} || '}' from ${u.from(p)}`,
    p.values,
  );
}

/** Inserts or resets users (as an upload does) and returns the id and key of every row. */
export async function upsertUploadedUsers(
  db: Db,
  dialect: BulkDialect,
  campaignId: number,
  batchId: string,
  rows: readonly UploadRow[],
  now: string,
): Promise<Array<{ id: number; upn_key: string }>> {
  const out: WrittenUser[] = [];
  for (const chunk of chunked(rows)) out.push(...(await db.executeQuery(usersStatement(dialect, { campaignId, batchId, now }, chunk, true))).rows);
  return out;
}

/**
 * Uploads to one campaign take turns on PostgreSQL (SQLite has one writer anyway), so the keys an
 * upload reads at its start stay the campaign's keys until it commits. A row lock on the campaign, not
 * a table lock: clicks, opens and the invitation workflow go on writing users meanwhile.
 */
export async function lockCampaignForUpload(db: Db, dialect: BulkDialect, campaignId: number): Promise<void> {
  if (!dialect.rowLocks) return;
  const p = dialect.parameters();
  await db.executeQuery(CompiledQuery.raw(`select id from campaign where id = ${p.bind(campaignId)} for no key update`, p.values));
}

function* chunked<T>(items: Iterable<T>): Generator<readonly T[]> {
  let chunk: T[] = [];
  for (const item of items) {
    chunk.push(item);
    if (chunk.length === UPLOAD_CHUNK) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

interface Upload {
  campaignId: number;
  batchId: string;
  now: string;
  actor: string;
  /** Read lazily, chunk by chunk; an error they throw leaves the transaction to roll back. */
  entries: Iterable<UploadEntry>;
  /** The campaign had no users when the upload started (read after `lockCampaignForUpload`). */
  campaignWasEmpty: boolean;
  /**
   * Of a chunk, given those of its keys the campaign has, the users to write: the new ones, and the
   * known ones to reset (the caller records which are which for its answer).
   */
  select(chunk: readonly UploadEntry[], existing: ReadonlySet<string>): readonly UploadEntry[];
}

/** Part of a chunk, ready to write: users all new or all known to the campaign, and each one's line. */
interface PreparedPart {
  users: CompiledQuery<WrittenUser>;
  event: UserEventType;
  rowOf: ReadonlyMap<string, number>;
}

/** A chunk's users already in the campaign (reset) and new ones (inserted), each with a new link secret and correlation id. */
function prepareChunk(dialect: BulkDialect, upload: Upload, chunk: readonly UploadEntry[], existing: ReadonlySet<string>): PreparedPart[] {
  const known = chunk.filter((e) => existing.has(e.upn_key));
  const fresh = known.length === 0 ? chunk : chunk.filter((e) => !existing.has(e.upn_key));
  const parts: PreparedPart[] = [];
  for (const [part, isKnown] of [
    [known, true],
    [fresh, false],
  ] as const) {
    if (part.length === 0) continue;
    const secrets = newLinkSecrets(part.length);
    const rows = part.map((e, i) => ({ upn: e.upn, upn_key: e.upn_key, link_secret: secrets[i]!, correlation_id: randomUUID(), profile: e.profile }));
    parts.push({
      users: usersStatement(dialect, upload, rows, isKnown),
      event: isKnown ? USER_EVENT.Reuploaded : USER_EVENT.Uploaded,
      rowOf: new Map(part.map((e) => [e.upn_key, e.row])),
    });
  }
  return parts;
}

/** Writes a prepared chunk: each part's users, then their history by the ids that statement returned. */
async function writeChunk(db: Db, dialect: BulkDialect, upload: Upload, parts: readonly PreparedPart[]): Promise<void> {
  for (const part of parts) {
    const written = (await db.executeQuery(part.users)).rows;
    await db.executeQuery(historyStatement(dialect, upload, part.event, part.rowOf, written));
  }
}

/**
 * An upload, users and their history, written in the caller's transaction as its entries come, a chunk
 * at a time: the chunk's keys looked up in the campaign (`withExistingKeys`), the caller's `select`
 * choosing whom to write, users already in the campaign reset, new ones inserted (each with a new link
 * secret and correlation id), and one event per user (`{ batchId, row }`) by the ids the users
 * statements return. Memory holds a chunk or two, whatever the file's and the campaign's size.
 *
 * Each chunk is read from the roster and prepared (its rows, secrets and JSON) while the database still
 * writes the one before: on two cores the upload's JavaScript then hides behind the database's work
 * instead of adding to it.
 */
export async function storeUpload(db: Db, dialect: BulkDialect, upload: Upload): Promise<void> {
  let writing: Promise<void> = Promise.resolve();
  try {
    for await (const { chunk, existing } of withExistingKeys(db, dialect, upload.campaignId, upload.entries, upload.campaignWasEmpty)) {
      const selected = upload.select(chunk, existing);
      const parts = prepareChunk(dialect, upload, selected, existing);
      await writing;
      writing = writeChunk(db, dialect, upload, parts);
    }
  } catch (err) {
    // A write failed, or reading the roster did (a file that stops being CSV): let the write on the wire
    // finish, so the caller's rollback finds the connection idle; its outcome no longer matters.
    await writing.catch(() => {});
    throw err;
  }
  await writing;
}

/** Rows per bulk upload statement (one JSON text, so no parameter limit applies). Larger chunks were no faster and left the server ~20 MiB bigger after a 100,000-row upload. */
const UPLOAD_CHUNK = 5_000;
/** Events per statement: they travel as a few bound values, so only memory bounds it. */
const EVENT_CHUNK = 20_000;

export async function appendEvents(db: Db, events: readonly NewUserEvent[], dialect: BulkDialect): Promise<void> {
  for (let i = 0; i < events.length; i += EVENT_CHUNK) {
    const chunk = events.slice(i, i + EVENT_CHUNK);
    const p = dialect.parameters();
    const e = dialect.columnRows(
      'e',
      ['bigint', 'text', 'text', 'text', 'text'],
      chunk.map((event) => [event.tracked_user_id, event.at, event.type, event.actor, JSON.stringify(event.detail)]),
    );
    const text = `insert into user_event (${EVENT_COLUMNS.join(', ')}) select ${EVENT_COLUMNS.map((_, c) => e.cell(c)).join(', ')} from ${e.from(p)}`;
    await db.executeQuery(CompiledQuery.raw(text, p.values));
  }
}

export type LinkHolder = Pick<TrackedUserRow, 'upn' | 'in_group' | 'link_secret' | 'invite_status' | 'preferred_language'>;

/** The owners of links, by record id, with their secrets for the caller to check; unknown ids are absent. */
export async function findLinkHolders(db: Db, dialect: BulkDialect, ids: readonly number[]): Promise<Map<number, LinkHolder>> {
  // One bound value whatever the count, so the statement text is reused.
  const p = dialect.parameters();
  const text = `select id, upn, in_group, link_secret, invite_status, preferred_language from tracked_user where ${dialect.inList('id', 'bigint', ids, p)}`;
  const rows = (await db.executeQuery<LinkHolder & { id: number }>(CompiledQuery.raw(text, p.values))).rows;
  return new Map(
    rows.map((r) => [
      r.id,
      { upn: r.upn, in_group: r.in_group, link_secret: r.link_secret, invite_status: r.invite_status, preferred_language: r.preferred_language },
    ]),
  );
}

/** What the replaced-link check reads of a record (the previous secret stays here). */
export async function previousLinkOf(db: Db, id: number): Promise<Pick<TrackedUserRow, 'upn' | 'previous_link_secret'> | undefined> {
  return db.selectFrom('tracked_user').select(['upn', 'previous_link_secret']).where('id', '=', id).executeTakeFirst();
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
export async function updateUser(
  db: Db,
  id: number,
  expectedVersion: number,
  patch: TrackedUserPatch | Updateable<Database['tracked_user']>,
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('tracked_user')
    .set({ ...patch, updated_at: now, version: expectedVersion + 1 })
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export interface OpenStamp extends LinkToken {
  at: string;
}

/**
 * The pixel's writes, many at once: stamps each link's user whose email was not opened before, in
 * one UPDATE by primary key (links whose secret is not the user's stamp nothing). Returns the users
 * stamped (id and stamp), so the event is appended once each. Links must be distinct.
 */
export async function stampFirstOpens(db: Db, dialect: BulkDialect, stamps: readonly OpenStamp[]): Promise<Array<{ id: number; at: string }>> {
  if (stamps.length === 0) return [];
  const p = dialect.parameters();
  const v = dialect.columnRows(
    'v',
    ['bigint', 'text', 'text'],
    stamps.map((s) => [s.id, s.secret, s.at]),
  );
  const text =
    `update tracked_user set email_opened_date = ${v.cell(2)}, updated_at = ${v.cell(2)}, version = tracked_user.version + 1 from ${v.from(p)} ` +
    `where tracked_user.id = ${v.cell(0)} and tracked_user.link_secret = ${v.cell(1)} and tracked_user.email_opened_date is null ` +
    'returning id, email_opened_date as at';
  return (await db.executeQuery<{ id: number; at: string }>(CompiledQuery.raw(text, p.values))).rows;
}

/**
 * A user whose UPN, display name or department contains `search`, case-insensitively; LIKE wildcards in
 * it are matched literally. The users list and the reports search alike.
 */
export function matchesSearch(eb: ExpressionBuilder<Database, 'tracked_user'>, search: string): Expression<SqlBool> {
  const text = `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const pattern = sql<string>`${text} escape '\\'`;
  return eb.or([eb('upn_key', 'like', pattern), eb(eb.fn('lower', ['display_name']), 'like', pattern), eb(eb.fn('lower', ['department']), 'like', pattern)]);
}

export interface UserListFilter {
  campaignId: number;
  status?: string | undefined;
  batchId?: string | undefined;
  department?: string | undefined;
  /** Matched (case-insensitively) against UPN, display name and department. */
  search?: string | undefined;
}

export const USER_SORT_COLUMNS = [
  'upn_key',
  'invite_status',
  'updated_at',
  'created_at',
  'department',
  'display_name',
  'reminder_count',
  'source_batch_id',
] as const;
export type UserSortColumn = (typeof USER_SORT_COLUMNS)[number];

function filtered(db: Db, f: UserListFilter) {
  let q = db.selectFrom('tracked_user').where('campaign_id', '=', f.campaignId);
  if (f.status !== undefined) q = q.where('invite_status', '=', f.status);
  if (f.batchId !== undefined) q = q.where('source_batch_id', '=', f.batchId);
  if (f.department !== undefined) q = q.where('department', '=', f.department);
  if (f.search !== undefined && f.search !== '') {
    const search = f.search;
    q = q.where((eb) => matchesSearch(eb, search));
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

/** One key of the user counters (migration 0017): a batch (null: none), a status, an Excluded user's reason. */
export interface UserCount {
  batchId: string | null;
  status: string;
  /** The reason of Excluded users ('' when none was recorded); '' for every other status. */
  reason: string;
  users: number;
}

/** The part of a filter the counters answer: campaign, batch and status. Anything else needs the rows. */
export interface CountedScope {
  campaignId?: number | undefined;
  batchId?: string | undefined;
  status?: string | undefined;
}

/** Whether a filter is only campaign, batch and status, so the counters answer its counts. */
export function countersAnswer(filter: CountedScope & { department?: string | undefined; search?: string | undefined }): boolean {
  // A batch filter of '' selects nobody in the rows, but is the counters' key for users of no batch.
  return filter.department === undefined && (filter.search === undefined || filter.search === '') && filter.batchId !== '';
}

/** Deltas per campaign beyond which the reports fold PostgreSQL's counters up (see compactUserCounts). */
export const COUNTER_ROWS_BEFORE_COMPACTION = 2_000;

/**
 * The counters of a scope, one entry per key with users; `rows` is how many counter rows were summed
 * (PostgreSQL appends deltas; see COUNTER_ROWS_BEFORE_COMPACTION). A few rows however many users.
 */
export async function userCounts(db: Db, scope: CountedScope): Promise<{ counts: UserCount[]; rows: number }> {
  let q = db
    .selectFrom('tracked_user_count')
    .select(['batch_key', 'invite_status', 'reason_key', (eb) => eb.fn.sum<number>('users').as('n'), (eb) => eb.fn.countAll<number>().as('parts')]);
  if (scope.campaignId !== undefined) q = q.where('campaign_id', '=', scope.campaignId);
  if (scope.batchId !== undefined) q = q.where('batch_key', '=', scope.batchId);
  if (scope.status !== undefined) q = q.where('invite_status', '=', scope.status);
  const found = await q.groupBy(['batch_key', 'invite_status', 'reason_key']).execute();
  let rows = 0;
  const counts: UserCount[] = [];
  for (const r of found) {
    rows += Number(r.parts);
    const users = Number(r.n);
    if (users !== 0) counts.push({ batchId: r.batch_key === '' ? null : r.batch_key, status: r.invite_status, reason: r.reason_key, users });
  }
  return { counts, rows };
}

/**
 * Folds PostgreSQL's appended counter deltas into one row per key, in one statement: rows a concurrent
 * transaction appends meanwhile are not yet visible to it, so they stay, and a second compaction at
 * the same moment skips the rows the first deleted. SQLite's counters are one row per key already.
 */
export async function compactUserCounts(db: Db, dialect: Pick<DialectCapabilities, 'statementTriggers'>): Promise<void> {
  if (!dialect.statementTriggers) return;
  const columns = 'campaign_id, batch_key, invite_status, reason_key';
  await sql
    .raw(
      `with folded as (delete from tracked_user_count returning ${columns}, users) ` +
        `insert into tracked_user_count (${columns}, users) select ${columns}, sum(users) from folded group by ${columns} having sum(users) <> 0`,
    )
    .execute(db);
}

export async function countUsers(db: Db, filter: UserListFilter): Promise<number> {
  if (countersAnswer(filter)) return (await userCounts(db, filter)).counts.reduce((sum, c) => sum + c.users, 0);
  const row = await filtered(db, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
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

/** The ids of a filter's users, oldest first (bulk actions act on exactly these). */
export async function matchingUserIds(db: Db, filter: UserListFilter): Promise<number[]> {
  const rows = await filtered(db, filter).select('id').orderBy('id').execute();
  return rows.map((r) => Number(r.id));
}

/**
 * A new invitation cycle (`resetForNewCycle`) for many users at once, each with their own new secret
 * and the old one kept as the previous; Active users are left as they are. Returns the ids reset.
 */
export async function resetUsers(db: Db, dialect: BulkDialect, ids: readonly number[], now: string): Promise<number[]> {
  if (ids.length === 0) return [];
  const p = dialect.parameters();
  const reset = Object.entries(resetForNewCycle('', '')).filter(([column]) => column !== 'link_secret' && column !== 'previous_link_secret');
  const secrets = newLinkSecrets(ids.length);
  const v = dialect.columnRows(
    'v',
    ['bigint', 'text'],
    ids.map((id, i) => [id, secrets[i]!]),
  );
  const text =
    `update tracked_user set ${reset.map(([column, value]) => `${column} = ${p.bind(value)}`).join(', ')}, ` +
    `previous_link_secret = tracked_user.link_secret, link_secret = ${v.cell(1)}, updated_at = ${p.bind(now)}, version = tracked_user.version + 1 ` +
    `from ${v.from(p)} where tracked_user.id = ${v.cell(0)} and tracked_user.invite_status <> ${p.bind(USER_STATUS.Active)} returning tracked_user.id as id`;
  return (await db.executeQuery<{ id: number }>(CompiledQuery.raw(text, p.values))).rows.map((r) => Number(r.id));
}

/** Marks users Excluded with a reason (the workflow leaves Excluded users alone); returns the ids changed. */
export async function excludeUsers(db: Db, dialect: BulkDialect, ids: readonly number[], reason: string, now: string): Promise<number[]> {
  if (ids.length === 0) return [];
  const p = dialect.parameters();
  const text =
    `update tracked_user set invite_status = ${p.bind(USER_STATUS.Excluded)}, status_reason = ${p.bind(reason)}, updated_at = ${p.bind(now)}, ` +
    `version = version + 1 where ${dialect.inList('id', 'bigint', ids, p)} and invite_status <> ${p.bind(USER_STATUS.Excluded)} returning id`;
  return (await db.executeQuery<{ id: number }>(CompiledQuery.raw(text, p.values))).rows.map((r) => Number(r.id));
}

/** Removes users and their history; returns how many were removed. */
export async function deleteUsers(db: Db, dialect: BulkDialect, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const events = dialect.parameters();
  await db.executeQuery(CompiledQuery.raw(`delete from user_event where ${dialect.inList('tracked_user_id', 'bigint', ids, events)}`, events.values));
  const users = dialect.parameters();
  const result = await db.executeQuery(CompiledQuery.raw(`delete from tracked_user where ${dialect.inList('id', 'bigint', ids, users)}`, users.values));
  return Number(result.numAffectedRows ?? 0);
}

/** Pauses a batch (again: no change); returns whether it was running. */
export async function pauseBatch(db: Db, campaignId: number, batchId: string, actor: string, now: string): Promise<boolean> {
  const result = await db
    .insertInto('paused_batch')
    .values({ campaign_id: campaignId, batch_id: batchId, paused_at: now, paused_by: actor })
    .onConflict((oc) => oc.columns(['campaign_id', 'batch_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** Resumes a batch; returns whether it was paused. */
export async function resumeBatch(db: Db, campaignId: number, batchId: string): Promise<boolean> {
  const result = await db.deleteFrom('paused_batch').where('campaign_id', '=', campaignId).where('batch_id', '=', batchId).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function pausedBatches(db: Db, campaignId: number): Promise<Array<{ batch_id: string; paused_at: string; paused_by: string }>> {
  return db.selectFrom('paused_batch').select(['batch_id', 'paused_at', 'paused_by']).where('campaign_id', '=', campaignId).orderBy('batch_id').execute();
}
