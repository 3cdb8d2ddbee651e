/**
 * What other features (signature rules and templates) read of the directory copy: people by UPN, mail
 * address or id, with their manager's id, the tracked groups they are in, and the mailboxes in it. The
 * directory's SQL stays in directory.queries.ts; this module is its face to other features.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DirectoryProfile } from '../graph/graph-port.js';
import {
  entryById,
  entryByUpnOrMail,
  groupIdsOfUser,
  mailboxPage,
  refreshedGroupIds,
  type DirectoryEntryRow,
  mailboxesReportingTo,
} from './directory.queries.js';

export interface DirectoryPerson {
  id: string;
  userPrincipalName: string;
  mail: string | null;
  accountEnabled: boolean;
  managerId: string | null;
  /** The profile by attribute name: `businessPhone` is the first of `businessPhones`, lists are joined with ", ". */
  attributes: Readonly<Record<string, string | null>>;
}

export function personAttributes(profile: DirectoryProfile): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(profile)) {
    if (name === 'id' || name === 'accountEnabled' || name === 'managerId') continue;
    if (name === 'businessPhones') out.businessPhone = (value as string[])[0] ?? null;
    else if (Array.isArray(value)) out[name] = value.length > 0 ? value.join(', ') : null;
    else out[name] = value === null || value === undefined || value === '' ? null : String(value);
  }
  return out;
}

function toPerson(row: DirectoryEntryRow): DirectoryPerson {
  const profile = JSON.parse(row.profile) as DirectoryProfile;
  return {
    id: row.id,
    userPrincipalName: profile.userPrincipalName,
    mail: profile.mail,
    accountEnabled: row.account_enabled === 1,
    managerId: row.manager_id,
    attributes: personAttributes(profile),
  };
}

export class DirectoryFacts {
  constructor(private readonly db: Kysely<Database>) {}

  /** By UPN or mail address (case-insensitive), disabled accounts included (shared mailboxes are disabled users). */
  async person(upnOrMail: string): Promise<DirectoryPerson | null> {
    const row = await entryByUpnOrMail(this.db, upnOrMail.trim().toLowerCase());
    return row ? toPerson(row) : null;
  }

  async personById(id: string): Promise<DirectoryPerson | null> {
    const row = await entryById(this.db, id);
    return row ? toPerson(row) : null;
  }

  /** The tracked groups (those rules and variables name) the user is in, nested membership included. */
  async groupIdsOf(userId: string): Promise<Set<string>> {
    return new Set(await groupIdsOfUser(this.db, userId));
  }

  /** The groups whose members have been read from Graph at least once (until then nobody is a member). */
  async knownGroups(): Promise<Set<string>> {
    return new Set(await refreshedGroupIds(this.db));
  }

  /** The mail addresses of the enabled users these people manage (their signatures may show the manager). */
  async mailboxesReportingTo(managerIds: readonly string[]): Promise<string[]> {
    return mailboxesReportingTo(this.db, managerIds);
  }

  /** Enabled users' mail addresses (lower-cased), in order, after `after`. */
  async mailboxes(after: string | null, limit: number): Promise<string[]> {
    return mailboxPage(this.db, after, limit);
  }
}
