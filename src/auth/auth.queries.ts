import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/schema.js';
import type { AuditEntry, Role } from './auth.model.js';

/** All SQL of src/auth. */

export async function insertApiToken(
  db: Kysely<Database>,
  row: { name: string; role: Role; tokenHash: string; tokenPrefix: string; createdAt: string; createdBy: string },
): Promise<number> {
  const result = await db
    .insertInto('auth_api_token')
    .values({
      name: row.name,
      role: row.role,
      token_hash: row.tokenHash,
      token_prefix: row.tokenPrefix,
      created_at: row.createdAt,
      created_by: row.createdBy,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(result.id);
}

export async function findActiveApiToken(db: Kysely<Database>, tokenHash: string) {
  return db
    .selectFrom('auth_api_token')
    .select(['id', 'name', 'role', 'last_used_at'])
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function touchApiToken(db: Kysely<Database>, id: number, at: string): Promise<void> {
  await db.updateTable('auth_api_token').set({ last_used_at: at }).where('id', '=', id).execute();
}

export async function listApiTokens(db: Kysely<Database>) {
  return db
    .selectFrom('auth_api_token')
    .select(['id', 'name', 'role', 'token_prefix', 'created_at', 'created_by', 'last_used_at', 'revoked_at'])
    .orderBy('id')
    .execute();
}

export async function revokeApiToken(db: Kysely<Database>, id: number, at: string): Promise<boolean> {
  const result = await db.updateTable('auth_api_token').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function countLocalAdmins(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('auth_local_admin')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findLocalAdmin(db: Kysely<Database>, username: string) {
  return db.selectFrom('auth_local_admin').select(['id', 'username', 'password_hash']).where('username', '=', username).executeTakeFirst();
}

/** Inserts or replaces the password of a local admin. */
export async function upsertLocalAdmin(db: Kysely<Database>, username: string, passwordHash: string, at: string): Promise<void> {
  await db
    .insertInto('auth_local_admin')
    .values({ username, password_hash: passwordHash, created_at: at })
    .onConflict((oc) => oc.column('username').doUpdateSet({ password_hash: passwordHash }))
    .execute();
}

/**
 * Creates the first local admin only if there is none yet, atomically: two setup requests racing
 * cannot both succeed.
 */
export async function insertFirstLocalAdmin(db: Kysely<Database>, username: string, passwordHash: string, at: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if ((await countLocalAdmins(trx)) > 0) return false;
    await trx.insertInto('auth_local_admin').values({ username, password_hash: passwordHash, created_at: at }).execute();
    return true;
  });
}

export type SessionRow = Selectable<Database['auth_session']>;

export async function insertSession(db: Kysely<Database>, row: SessionRow): Promise<void> {
  await db.insertInto('auth_session').values(row).execute();
}

export async function findSession(db: Kysely<Database>, idHash: string): Promise<SessionRow | undefined> {
  return db.selectFrom('auth_session').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
}

export async function touchSession(db: Kysely<Database>, idHash: string, at: string): Promise<void> {
  await db.updateTable('auth_session').set({ last_seen_at: at }).where('id_hash', '=', idHash).execute();
}

export async function deleteSession(db: Kysely<Database>, idHash: string): Promise<void> {
  await db.deleteFrom('auth_session').where('id_hash', '=', idHash).execute();
}

export async function deleteSessionsOf(db: Kysely<Database>, subject: string, method: string): Promise<void> {
  await db.deleteFrom('auth_session').where('subject', '=', subject).where('method', '=', method).execute();
}

export async function deleteExpiredSessions(db: Kysely<Database>, now: string, idleCutoff: string): Promise<void> {
  await db
    .deleteFrom('auth_session')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', idleCutoff)]))
    .execute();
}

export async function insertAudit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('auth_audit_log')
    .values({
      at: entry.at,
      actor: entry.actor,
      actor_kind: entry.actorKind,
      action: entry.action,
      target: entry.target ?? null,
      details: entry.details === undefined ? null : JSON.stringify(entry.details),
      ip: entry.ip ?? null,
      request_id: entry.requestId ?? null,
    })
    .execute();
}

export interface AuditQuery {
  limit: number;
  /** Entries with an id below this (keyset paging, newest first). */
  beforeId?: number;
  actor?: string;
  action?: string;
}

export async function listAudit(db: Kysely<Database>, q: AuditQuery) {
  let query = db.selectFrom('auth_audit_log').selectAll().orderBy('id', 'desc').limit(q.limit);
  if (q.beforeId !== undefined) query = query.where('id', '<', q.beforeId);
  if (q.actor) query = query.where('actor', '=', q.actor);
  if (q.action) query = query.where('action', '=', q.action);
  return query.execute();
}
