import type { Insertable, Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { WebSignatureUpdateTable } from './signatures.tables.js';

export async function lastSetSignature(db: Kysely<Database>, mailbox: string): Promise<{ content_hash: string; requested_at: string } | undefined> {
  return db
    .selectFrom('web_signature_update')
    .select(['content_hash', 'requested_at'])
    .where('mailbox', '=', mailbox)
    .where('result', '=', 'set')
    .orderBy('requested_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function recordSignatureUpdate(db: Kysely<Database>, row: Insertable<WebSignatureUpdateTable>): Promise<void> {
  await db.insertInto('web_signature_update').values(row).execute();
}

export async function listSignatureUpdates(db: Kysely<Database>, mailbox: string) {
  return db.selectFrom('web_signature_update').selectAll().where('mailbox', '=', mailbox).orderBy('id').execute();
}
