/**
 * All of branding's SQL: file descriptions, assignments, and the manifests devices were served.
 * Portable across SQLite and PostgreSQL; each function takes the database or a transaction.
 */
import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export type AssetRow = Selectable<Database['branding_asset']>;
export type AssignmentRow = Selectable<Database['branding_assignment']>;
export type ServedManifestRow = Selectable<Database['branding_served_manifest']>;

// --------------------------------------------------------------------------------------------- assets

/** Inserts a file's description unless the same content is already there; true when it was new. */
export async function insertAsset(db: Db, row: Insertable<Database['branding_asset']>): Promise<boolean> {
  const r = await db
    .insertInto('branding_asset')
    .values(row)
    .onConflict((oc) => oc.column('sha256').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

export function listAssets(db: Db): Promise<AssetRow[]> {
  return db.selectFrom('branding_asset').selectAll().orderBy('uploaded_at', 'desc').orderBy('sha256').execute();
}

export function assetsByHash(db: Db, hashes: readonly string[]): Promise<AssetRow[]> {
  if (hashes.length === 0) return Promise.resolve([]);
  return db.selectFrom('branding_asset').selectAll().where('sha256', 'in', hashes).execute();
}

/** What a device may download by hash: an uploaded file or a generated thumbnail. */
export async function servableFile(db: Db, sha256: string): Promise<{ contentType: string; size: number } | undefined> {
  const asset = await db.selectFrom('branding_asset').select(['content_type', 'size']).where('sha256', '=', sha256).executeTakeFirst();
  if (asset) return { contentType: asset.content_type, size: Number(asset.size) };
  const thumb = await db.selectFrom('branding_asset').select('thumbnail_size').where('thumbnail_sha256', '=', sha256).executeTakeFirst();
  return thumb?.thumbnail_size == null ? undefined : { contentType: 'image/png', size: Number(thumb.thumbnail_size) };
}

export async function deleteAsset(db: Db, sha256: string): Promise<boolean> {
  const r = await db.deleteFrom('branding_asset').where('sha256', '=', sha256).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** Whether another file still uses this thumbnail (the same picture uploaded twice in other encodings may share it). */
export async function thumbnailInUse(db: Db, sha256: string): Promise<boolean> {
  const row = await db.selectFrom('branding_asset').select('sha256').where('thumbnail_sha256', '=', sha256).executeTakeFirst();
  return row !== undefined;
}

// ---------------------------------------------------------------------------------------- assignments

export type AssignmentValues = Omit<Insertable<Database['branding_assignment']>, 'id' | 'priority' | 'created_at'>;

export function listAssignments(db: Db): Promise<AssignmentRow[]> {
  return db.selectFrom('branding_assignment').selectAll().orderBy('priority').orderBy('id').execute();
}

export function getAssignment(db: Db, id: number): Promise<AssignmentRow | undefined> {
  return db.selectFrom('branding_assignment').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Inserts an assignment last (lowest priority). */
export async function insertAssignment(trx: Db, values: AssignmentValues): Promise<number> {
  const last = await trx
    .selectFrom('branding_assignment')
    .select((eb) => eb.fn.max('priority').as('p'))
    .executeTakeFirst();
  const row = await trx
    .insertInto('branding_assignment')
    .values({ ...values, priority: Number(last?.p ?? 0) + 1, created_at: values.updated_at })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function updateAssignment(db: Db, id: number, values: AssignmentValues): Promise<boolean> {
  const r = await db.updateTable('branding_assignment').set(values).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deleteAssignment(db: Db, id: number): Promise<boolean> {
  const r = await db.deleteFrom('branding_assignment').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export async function assignmentIds(db: Db): Promise<number[]> {
  const rows = await db.selectFrom('branding_assignment').select('id').orderBy('priority').orderBy('id').execute();
  return rows.map((r) => Number(r.id));
}

/** Priorities 1…n in the given order (assignments are tens, so one update each). */
export async function setAssignmentOrder(trx: Db, ids: readonly number[]): Promise<void> {
  for (const [index, id] of ids.entries())
    await trx
      .updateTable('branding_assignment')
      .set({ priority: index + 1 })
      .where('id', '=', id)
      .execute();
}

// ----------------------------------------------------------------------------------- served manifests

const SERVED_COLUMNS = [
  'manifest_version',
  'background_version',
  'lock_screen_version',
  'teams_background_version',
  'screensaver_version',
  'new_signature_version',
  'reply_signature_version',
  'web_signature_version',
  'served_at',
] as const;
/** Rows per statement: 11 columns stay well under both engines' bound-parameter limits. */
const ROWS_PER_STATEMENT = 500;

/** Upserts each device's last served manifest; a batch holds each device at most once (the caller keeps the latest). */
export async function recordServedManifests(db: Kysely<Database>, rows: ReadonlyArray<ServedManifestRow>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      await trx
        .insertInto('branding_served_manifest')
        .values(rows.slice(i, i + ROWS_PER_STATEMENT))
        .onConflict((oc) =>
          oc.columns(['upn_lower', 'hostname_lower']).doUpdateSet((eb) => Object.fromEntries(SERVED_COLUMNS.map((c) => [c, eb.ref(`excluded.${c}`)]))),
        )
        .execute();
    }
  });
}

/** Devices in (upn, hostname) order after the given one: keyset pages, so 100,000 devices cost n/limit index scans. */
export function servedManifestPage(db: Db, after: { upn: string; hostname: string } | null, limit: number): Promise<ServedManifestRow[]> {
  let query = db.selectFrom('branding_served_manifest').selectAll();
  if (after)
    query = query.where((eb) => eb.or([eb('upn_lower', '>', after.upn), eb.and([eb('upn_lower', '=', after.upn), eb('hostname_lower', '>', after.hostname)])]));
  return query.orderBy('upn_lower').orderBy('hostname_lower').limit(limit).execute();
}

export function servedManifestsOf(db: Db, upns: readonly string[]): Promise<ServedManifestRow[]> {
  if (upns.length === 0) return Promise.resolve([]);
  return db.selectFrom('branding_served_manifest').selectAll().where('upn_lower', 'in', upns).orderBy('upn_lower').orderBy('hostname_lower').execute();
}
