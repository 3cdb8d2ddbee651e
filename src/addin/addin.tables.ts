/** The add-in's last report per mailbox, Outlook platform and kind of mail (all lower-case keys). */
export interface AddinSignatureStateTable {
  mailbox: string;
  /** Office.context.diagnostics.platform: OfficeOnline, PC, Mac, iOS, Android, Universal. */
  platform: string;
  /** new, reply or appointment. */
  compose: string;
  /** inserted, none (no signature for this kind of mail) or failed. */
  outcome: string;
  /** The inserted signature's version (its rendered hash), when one was inserted. */
  version: string | null;
  /** Why it failed (the add-in's short reason), when it did. */
  reason: string | null;
  /** Office.context.diagnostics.version. */
  host_version: string | null;
  /** The token's user who reported it. */
  reported_by: string;
  reported_at: string;
}

export interface AddinTables {
  addin_signature_state: AddinSignatureStateTable;
}
