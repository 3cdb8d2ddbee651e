import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database } from '../db/schema.js';
import type { SignatureDeploymentRunTable, SignatureMailboxDeploymentTable, SignaturePhotoTable } from './deployment.tables.js';

export type RunRow = Selectable<SignatureDeploymentRunTable>;
export type MailboxRow = Selectable<SignatureMailboxDeploymentTable>;
export type PhotoRow = Selectable<SignaturePhotoTable>;

export async function insertRun(db: Kysely<Database>, row: Insertable<SignatureDeploymentRunTable>): Promise<RunRow> {
  return db.insertInto('signature_deployment_run').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function getRun(db: Kysely<Database>, id: number): Promise<RunRow | undefined> {
  return db.selectFrom('signature_deployment_run').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateRun(db: Kysely<Database>, id: number, patch: Updateable<SignatureDeploymentRunTable>): Promise<void> {
  await db.updateTable('signature_deployment_run').set(patch).where('id', '=', id).execute();
}

/** The run to work on: one already under way (resumed after a crash) before the oldest queued one. */
export async function nextUnfinishedRun(db: Kysely<Database>): Promise<RunRow | undefined> {
  return db
    .selectFrom('signature_deployment_run')
    .selectAll()
    .where('state', 'in', ['running', 'queued'])
    .orderBy('state', 'desc')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

/** A queued run not started yet, which a new request can join instead of adding another. */
export async function queuedRun(db: Kysely<Database>): Promise<RunRow | undefined> {
  return db.selectFrom('signature_deployment_run').selectAll().where('state', '=', 'queued').orderBy('id', 'desc').limit(1).executeTakeFirst();
}

export async function recentRuns(db: Kysely<Database>, limit: number): Promise<RunRow[]> {
  return db.selectFrom('signature_deployment_run').selectAll().orderBy('id', 'desc').limit(limit).execute();
}

/** The organisation's roaming flag as the latest run that asked Exchange saw it. */
export async function lastRoamingCheck(db: Kysely<Database>): Promise<{ roaming_enabled: number; started_at: string | null } | undefined> {
  const row = await db
    .selectFrom('signature_deployment_run')
    .select(['roaming_enabled', 'started_at'])
    .where('roaming_enabled', 'is not', null)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { roaming_enabled: row.roaming_enabled!, started_at: row.started_at } : undefined;
}

export async function mailboxRows(db: Kysely<Database>, mailboxes: readonly string[]): Promise<Map<string, MailboxRow>> {
  if (mailboxes.length === 0) return new Map();
  const rows = await db.selectFrom('signature_mailbox_deployment').selectAll().where('mailbox', 'in', mailboxes).execute();
  return new Map(rows.map((r) => [r.mailbox, r]));
}

export async function getMailboxRow(db: Kysely<Database>, mailbox: string): Promise<MailboxRow | undefined> {
  return db.selectFrom('signature_mailbox_deployment').selectAll().where('mailbox', '=', mailbox).executeTakeFirst();
}

export async function saveMailboxRow(db: Kysely<Database>, row: Insertable<SignatureMailboxDeploymentTable>): Promise<void> {
  const { mailbox: _key, ...values } = row;
  await db
    .insertInto('signature_mailbox_deployment')
    .values(row)
    .onConflict((oc) => oc.column('mailbox').doUpdateSet(values))
    .execute();
}

/** Mailboxes in address order after `after`, optionally of one result or one run. */
export async function listMailboxRows(
  db: Kysely<Database>,
  filter: { after: string | null; limit: number; result?: string; runId?: number },
): Promise<MailboxRow[]> {
  let q = db.selectFrom('signature_mailbox_deployment').selectAll();
  if (filter.after !== null) q = q.where('mailbox', '>', filter.after);
  if (filter.result !== undefined) q = q.where('result', '=', filter.result);
  if (filter.runId !== undefined) q = q.where('run_id', '=', filter.runId);
  return q.orderBy('mailbox').limit(filter.limit).execute();
}

export async function failedMailboxesOf(db: Kysely<Database>, runId: number): Promise<string[]> {
  const rows = await db.selectFrom('signature_mailbox_deployment').select('mailbox').where('run_id', '=', runId).where('result', '=', 'failed').execute();
  return rows.map((r) => r.mailbox);
}

export async function getPhoto(db: Kysely<Database>, userId: string): Promise<PhotoRow | undefined> {
  return db.selectFrom('signature_photo').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

export async function savePhoto(db: Kysely<Database>, row: Insertable<SignaturePhotoTable>): Promise<void> {
  const { user_id: _key, ...values } = row;
  await db
    .insertInto('signature_photo')
    .values(row)
    .onConflict((oc) => oc.column('user_id').doUpdateSet(values))
    .execute();
}

/** A directory change of these users: their photos are asked for again at next use. */
export async function markPhotosStale(db: Kysely<Database>, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await db.updateTable('signature_photo').set({ stale: 1 }).where('user_id', 'in', userIds).execute();
}
