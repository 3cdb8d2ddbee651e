/** Local copy of the directory the device API answers from, kept current by Graph delta sync. */
export interface DirectoryUserTable {
  /** Entra object id. */
  id: string;
  upn_lower: string;
  account_enabled: number;
  /** The DirectoryProfile as JSON. */
  profile: string;
  synced_at: string;
  /** The manager's object id, from users/delta (`manager@delta`). */
  manager_id: string | null;
  /** The profile's mail, lower-cased: how mailboxes are found and paged. */
  mail_lower: string | null;
}

/** A group rules or variables name; its transitive user members are refreshed by a recurring job. */
export interface DirectoryGroupTable {
  id: string;
  display_name: string;
  /** End of the last successful refresh; null until the first. */
  refreshed_at: string | null;
  last_error: string | null;
}

export interface DirectoryGroupMemberTable {
  group_id: string;
  user_id: string;
}

/** One row per sync stream ('users'). */
export interface DirectorySyncStateTable {
  name: string;
  delta_link: string | null;
  /** End of the last completed round; null until the first full round completes. */
  last_sync_at: string | null;
  last_error: string | null;
}

export interface DirectoryTables {
  directory_user: DirectoryUserTable;
  directory_sync_state: DirectorySyncStateTable;
  directory_group: DirectoryGroupTable;
  directory_group_member: DirectoryGroupMemberTable;
}
