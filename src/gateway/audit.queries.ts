import type { Insertable, Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DeviceAuditTable } from './gateway.tables.js';

export type AuditRecord = Insertable<DeviceAuditTable>;

export async function insertAuditRecords(db: Kysely<Database>, records: readonly AuditRecord[]): Promise<void> {
  if (records.length > 0)
    await db
      .insertInto('device_audit')
      .values([...records])
      .execute();
}

export async function deleteAuditBefore(db: Kysely<Database>, cutoffIso: string): Promise<number> {
  const result = await db.deleteFrom('device_audit').where('at', '<', cutoffIso).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function listAuditRecords(db: Kysely<Database>, limit = 1000) {
  return db.selectFrom('device_audit').selectAll().orderBy('id').limit(limit).execute();
}
