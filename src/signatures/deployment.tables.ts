import type { Generated } from 'kysely';

/**
 * One deployment of the expected web signatures to Exchange Online: what asked for it, how far it got
 * (cursor: the last mailbox done, in mailbox order, so a crash resumes after it) and what happened.
 */
export interface SignatureDeploymentRunTable {
  id: Generated<number>;
  /** 'change' (template or rule) | 'directory' | 'schedule' | 'manual' | 'retry' */
  trigger: string;
  /** 'queued' | 'running' | 'done' | 'blocked' (roaming signatures on: nothing pushed) | 'failed' */
  state: string;
  requested_by: string | null;
  requested_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** JSON array of mailboxes (lower-cased) for a directory change or a retry; null: every mailbox in scope. */
  scope: string | null;
  cursor: string | null;
  total: number;
  processed: number;
  set_count: number;
  unchanged_count: number;
  failed_count: number;
  blocked_count: number;
  /** What Get-OrganizationConfig said when the run started: 1 roaming on, 0 off, null not asked yet. */
  roaming_enabled: number | null;
  /** Why the run stopped or is blocked, for people. */
  note: string | null;
}

/** Per mailbox: what it should have and what the last push did. */
export interface SignatureMailboxDeploymentTable {
  /** Lower-cased mailbox address. */
  mailbox: string;
  user_principal_name: string | null;
  /** The planner's set hash when last planned. */
  expected_set_hash: string | null;
  /** SHA-256 of the web signature payload the set asks for (HTML, text, auto-add flags). */
  expected_web_hash: string | null;
  /** JSON: [{templateId, templateVersion, name, defaultFor, hash}]. */
  expected_signatures: string;
  /** The payload hash Exchange last accepted for this mailbox while roaming was off. */
  pushed_web_hash: string | null;
  pushed_at: string | null;
  /** 'set' | 'unchanged' | 'failed' | 'blocked' | 'none' (no new-mail default: nothing to push) | 'gone' (not in the directory) */
  result: string;
  reason: string | null;
  /** 1 when the reply default differs from the new-mail one: Exchange holds one web signature, the new-mail one is pushed. */
  reply_differs: number;
  run_id: number | null;
  attempted_at: string;
}

/** People's photos as signatures use them: fetched from Graph, resized, kept with their Graph etag. */
export interface SignaturePhotoTable {
  /** Entra object id. */
  user_id: string;
  /** Graph's @odata.mediaEtag; null when the user has no photo. */
  etag: string | null;
  /** SHA-256 of the resized bytes; null when the user has no photo. */
  hash: string | null;
  content_type: string | null;
  width: number | null;
  height: number | null;
  /** Resized bytes as base64: a few kilobytes, and text keeps the column portable. */
  bytes: string | null;
  fetched_at: string;
  /** Set by a directory change of the user: the next use asks Graph again whatever the age. */
  stale: number;
}

export interface SignatureDeploymentTables {
  signature_deployment_run: SignatureDeploymentRunTable;
  signature_mailbox_deployment: SignatureMailboxDeploymentTable;
  signature_photo: SignaturePhotoTable;
}
