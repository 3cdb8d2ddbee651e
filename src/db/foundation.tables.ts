/** Tables every feature relies on. */
export interface FoundationTables {
  /** Time-limited ownership of a named job, so one instance runs it at a time across a cluster. */
  lease: {
    name: string;
    holder: string;
    expires_at: string;
  };
}
