import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DirectoryProfile } from '../graph/graph-port.js';

const STREAM = 'users';

export async function findProfileByUpn(db: Kysely<Database>, upnLower: string): Promise<DirectoryProfile | null> {
  const row = await db.selectFrom('directory_user').select(['profile', 'account_enabled']).where('upn_lower', '=', upnLower).executeTakeFirst();
  return row && row.account_enabled === 1 ? (JSON.parse(row.profile) as DirectoryProfile) : null;
}

export async function lastSyncAt(db: Kysely<Database>): Promise<string | null> {
  const row = await db.selectFrom('directory_sync_state').select('last_sync_at').where('name', '=', STREAM).executeTakeFirst();
  return row?.last_sync_at ?? null;
}

export async function getDeltaLink(db: Kysely<Database>): Promise<string | null> {
  const row = await db.selectFrom('directory_sync_state').select('delta_link').where('name', '=', STREAM).executeTakeFirst();
  return row?.delta_link ?? null;
}

/** Applies one page of changes. A UPN that moved to another object id replaces the old row. */
export async function applyDirectoryPage(
  db: Kysely<Database>,
  upserted: readonly DirectoryProfile[],
  removedIds: readonly string[],
  now: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (removedIds.length > 0)
      await trx
        .deleteFrom('directory_user')
        .where('id', 'in', [...removedIds])
        .execute();
    for (const p of upserted) {
      const upnLower = p.userPrincipalName.toLowerCase();
      await trx.deleteFrom('directory_user').where('upn_lower', '=', upnLower).where('id', '!=', p.id).execute();
      const values = { upn_lower: upnLower, account_enabled: p.accountEnabled ? 1 : 0, profile: JSON.stringify(p), synced_at: now };
      await trx
        .insertInto('directory_user')
        .values({ id: p.id, ...values })
        .onConflict((oc) => oc.column('id').doUpdateSet(values))
        .execute();
    }
  });
}

/** After a full round: rows not seen in it (synced before `roundStart`) left the directory. */
export async function deleteNotSyncedSince(db: Kysely<Database>, roundStart: string): Promise<number> {
  const r = await db.deleteFrom('directory_user').where('synced_at', '<', roundStart).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function saveSyncState(db: Kysely<Database>, state: { deltaLink: string | null; lastSyncAt?: string; lastError: string | null }): Promise<void> {
  const values = { delta_link: state.deltaLink, last_error: state.lastError, ...(state.lastSyncAt ? { last_sync_at: state.lastSyncAt } : {}) };
  await db
    .insertInto('directory_sync_state')
    .values({ name: STREAM, last_sync_at: state.lastSyncAt ?? null, ...values })
    .onConflict((oc) => oc.column('name').doUpdateSet(values))
    .execute();
}
