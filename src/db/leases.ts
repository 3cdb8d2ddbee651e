import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Cluster-wide "only one at a time" for recurring jobs, on both engines: a row per job name whose
 * holder may renew it until it expires. An instance that dies stops renewing, and the lease passes on
 * after `ttlMs`. The conditional upsert is atomic on SQLite and PostgreSQL alike.
 */
export async function tryAcquireLease(db: Kysely<Database>, name: string, holder: string, ttlMs: number, now: Date = new Date()): Promise<boolean> {
  const nowIso = now.toISOString();
  const expires = new Date(now.getTime() + ttlMs).toISOString();
  const result = await db
    .insertInto('lease')
    .values({ name, holder, expires_at: expires })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, expires_at: expires })
        .where((eb) => eb.or([eb('lease.holder', '=', holder), eb('lease.expires_at', '<', nowIso)])),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function releaseLease(db: Kysely<Database>, name: string, holder: string): Promise<void> {
  await db.deleteFrom('lease').where('name', '=', name).where('holder', '=', holder).execute();
}

/** Who holds a lease and until when; undefined when nobody does (never taken, or released). */
export async function leaseHolder(db: Kysely<Database>, name: string): Promise<{ holder: string; expiresAt: string } | undefined> {
  const row = await db.selectFrom('lease').select(['holder', 'expires_at']).where('name', '=', name).executeTakeFirst();
  return row && { holder: row.holder, expiresAt: row.expires_at };
}
