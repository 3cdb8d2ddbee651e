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
    for (const { managerId, ...p } of upserted) {
      const upnLower = p.userPrincipalName.toLowerCase();
      await trx.deleteFrom('directory_user').where('upn_lower', '=', upnLower).where('id', '!=', p.id).execute();
      // A page that says nothing of the manager (undefined) keeps the one stored.
      const values = {
        upn_lower: upnLower,
        account_enabled: p.accountEnabled ? 1 : 0,
        profile: JSON.stringify(p),
        mail_lower: p.mail?.toLowerCase() ?? null,
        synced_at: now,
        ...(managerId === undefined ? {} : { manager_id: managerId }),
      };
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

// ------------------------------------------------------------------ what signature rules and templates read

export interface DirectoryEntryRow {
  id: string;
  account_enabled: number;
  profile: string;
  manager_id: string | null;
}

const ENTRY = ['id', 'account_enabled', 'profile', 'manager_id'] as const;

/** A user by UPN or, failing that, by mail address (lower-cased key), enabled or not. */
export async function entryByUpnOrMail(db: Kysely<Database>, key: string): Promise<DirectoryEntryRow | undefined> {
  const rows = await db
    .selectFrom('directory_user')
    .select([...ENTRY, 'upn_lower'])
    .where((eb) => eb.or([eb('upn_lower', '=', key), eb('mail_lower', '=', key)]))
    .execute();
  // The UPN wins; among mail matches an enabled account does.
  const best = rows.find((r) => r.upn_lower === key) ?? rows.sort((a, b) => b.account_enabled - a.account_enabled)[0];
  if (!best) return undefined;
  const { upn_lower: _, ...entry } = best;
  return entry;
}

export async function entryById(db: Kysely<Database>, id: string): Promise<DirectoryEntryRow | undefined> {
  return db.selectFrom('directory_user').select(ENTRY).where('id', '=', id).executeTakeFirst();
}

/** Enabled users' mail addresses (lower-cased) after `after`, in order: one page of mailboxes. */
export async function mailboxPage(db: Kysely<Database>, after: string | null, limit: number): Promise<string[]> {
  let q = db.selectFrom('directory_user').select('mail_lower').distinct().where('account_enabled', '=', 1).where('mail_lower', 'is not', null);
  if (after !== null) q = q.where('mail_lower', '>', after);
  const rows = await q.orderBy('mail_lower').limit(limit).execute();
  return rows.map((r) => r.mail_lower!);
}

/** Enabled users' mail addresses (lower-cased) whose manager is one of `managerIds`. */
export async function mailboxesReportingTo(db: Kysely<Database>, managerIds: readonly string[]): Promise<string[]> {
  if (managerIds.length === 0) return [];
  const rows = await db
    .selectFrom('directory_user')
    .select('mail_lower')
    .where('manager_id', 'in', managerIds)
    .where('account_enabled', '=', 1)
    .where('mail_lower', 'is not', null)
    .execute();
  return rows.map((r) => r.mail_lower!);
}

export async function groupIdsOfUser(db: Kysely<Database>, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('directory_group_member').select('group_id').where('user_id', '=', userId).execute();
  return rows.map((r) => r.group_id);
}

/** Makes sure these groups are tracked (their names kept current); returns the ids that were new. */
export async function trackGroups(db: Kysely<Database>, groups: ReadonlyArray<{ id: string; displayName: string }>): Promise<string[]> {
  const added: string[] = [];
  for (const g of groups) {
    const r = await db
      .insertInto('directory_group')
      .values({ id: g.id, display_name: g.displayName, refreshed_at: null, last_error: null })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (r) added.push(g.id);
    else
      await db.updateTable('directory_group').set({ display_name: g.displayName }).where('id', '=', g.id).where('display_name', '!=', g.displayName).execute();
  }
  return added;
}

/** Tracked groups whose members have been read at least once. */
export async function refreshedGroupIds(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('directory_group').select('id').where('refreshed_at', 'is not', null).execute();
  return rows.map((r) => r.id);
}

export async function trackedGroupIds(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('directory_group').select('id').orderBy('id').execute();
  return rows.map((r) => r.id);
}

/** Stops tracking groups nothing names any more (their members go with them). */
export async function untrackGroupsExcept(db: Kysely<Database>, keep: readonly string[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const gone = (await trx.selectFrom('directory_group').select('id').execute()).map((r) => r.id).filter((id) => !keep.includes(id));
    if (gone.length === 0) return;
    await trx.deleteFrom('directory_group_member').where('group_id', 'in', gone).execute();
    await trx.deleteFrom('directory_group').where('id', 'in', gone).execute();
  });
}

/** Replaces a group's members with what Graph answered, in one transaction; true when they changed. */
export async function replaceGroupMembers(db: Kysely<Database>, groupId: string, userIds: ReadonlySet<string>, now: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('directory_group_member').select('user_id').where('group_id', '=', groupId).execute();
    const changed = before.length !== userIds.size || before.some((r) => !userIds.has(r.user_id));
    await trx.deleteFrom('directory_group_member').where('group_id', '=', groupId).execute();
    const ids = [...userIds];
    for (let i = 0; i < ids.length; i += 500) {
      await trx
        .insertInto('directory_group_member')
        .values(ids.slice(i, i + 500).map((user_id) => ({ group_id: groupId, user_id })))
        .execute();
    }
    await trx.updateTable('directory_group').set({ refreshed_at: now, last_error: null }).where('id', '=', groupId).execute();
    return changed;
  });
}

export async function markGroupFailed(db: Kysely<Database>, groupId: string, error: string): Promise<void> {
  await db.updateTable('directory_group').set({ last_error: error }).where('id', '=', groupId).execute();
}
