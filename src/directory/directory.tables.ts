/** Local copy of the directory the device API answers from, kept current by Graph delta sync. */
export interface DirectoryUserTable {
  /** Entra object id. */
  id: string;
  upn_lower: string;
  account_enabled: number;
  /** The DirectoryProfile as JSON. */
  profile: string;
  synced_at: string;
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
}
