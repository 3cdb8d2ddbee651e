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

/** A template's identity; its text lives in immutable versions. */
export interface SignatureTemplateTable {
  id: Generated<number>;
  name: string;
  description: string;
  current_version: number;
  created_at: string;
  updated_at: string;
  updated_by: string;
}

/** One saved version of a template, never changed after insert (a rollback adds a new one). */
export interface SignatureTemplateVersionTable {
  template_id: number;
  version: number;
  source: string;
  created_at: string;
  created_by: string;
  comment: string;
}

export interface SignatureRuleTable {
  id: Generated<number>;
  /** 1 is the highest. */
  priority: number;
  name: string;
  enabled: number;
  /** 'signature' | 'banner' */
  kind: string;
  template_id: number;
  /** 'new' | 'reply' | 'both' | 'none' */
  defaults: string;
  /** RuleCriteria as JSON. */
  conditions: string;
  exclusions: string;
  window_from: string | null;
  window_to: string | null;
  window_time_zone: string | null;
  created_at: string;
  updated_at: string;
  updated_by: string;
}

export interface SignatureVariableTable {
  name: string;
  description: string;
  default_value: string;
  updated_at: string;
  updated_by: string;
}

export interface SignatureVariableUserValueTable {
  variable_name: string;
  upn_lower: string;
  value: string;
}

export interface SignatureVariableGroupValueTable {
  variable_name: string;
  /** Order of precedence: the lowest position among the user's groups wins. */
  position: number;
  group_id: string;
  group_name: string;
  value: string;
}

/** A template image, content-addressed. */
export interface SignatureAssetTable {
  hash: string;
  content_type: string;
  size: number;
  width: number;
  height: number;
  original_name: string;
  uploaded_by: string;
  uploaded_at: string;
  bytes: Buffer;
}

export interface SignaturesTables {
  web_signature_update: WebSignatureUpdateTable;
  signature_template: SignatureTemplateTable;
  signature_template_version: SignatureTemplateVersionTable;
  signature_rule: SignatureRuleTable;
  signature_variable: SignatureVariableTable;
  signature_variable_user_value: SignatureVariableUserValueTable;
  signature_variable_group_value: SignatureVariableGroupValueTable;
  signature_asset: SignatureAssetTable;
}
