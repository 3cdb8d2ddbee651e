import type { Generated } from 'kysely';

/** Every autoSetWebSignature call: what was asked and what happened. */
export interface WebSignatureUpdateTable {
  id: Generated<number>;
  mailbox: string;
  /** SHA-256 of the sanitised HTML and text. */
  content_hash: string;
  requested_at: string;
  /** 'set' | 'skipped' | 'failed' */
  result: string;
  error: string | null;
  request_id: string;
}

export interface SignaturesTables {
  web_signature_update: WebSignatureUpdateTable;
}
