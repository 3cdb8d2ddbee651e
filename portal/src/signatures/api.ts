/**
 * The signature screens' view of the admin API: the paths in one place, and the answers' types.
 * Until src/signatures/admin.schemas.ts and deployment.schemas.ts are on this branch, the types below
 * copy their `Static` types field for field under the same names (read from the branches that write
 * them); then this file re-exports those instead and the screens stay as they are.
 */

export const PATHS = {
  templates: '/api/signatures/templates',
  template: (id: number | string) => `/api/signatures/templates/${id}`,
  versions: (id: number | string) => `/api/signatures/templates/${id}/versions`,
  diff: (id: number | string, from: number, to: number) => `/api/signatures/templates/${id}/diff?from=${from}&to=${to}`,
  rollback: (id: number | string) => `/api/signatures/templates/${id}/rollback`,
  preview: '/api/signatures/preview',
  rules: '/api/signatures/rules',
  rule: (id: number) => `/api/signatures/rules/${id}`,
  ruleOrder: '/api/signatures/rules/order',
  explain: (user: string, at?: string) => `/api/signatures/explain?user=${encodeURIComponent(user)}${at ? `&at=${encodeURIComponent(at)}` : ''}`,
  assets: '/api/signatures/assets',
  deployments: '/api/signatures/deployments',
  failures: '/api/signatures/mailboxes?result=failed',
  mailboxState: (mailbox: string) => `/api/signatures/mailboxes/${encodeURIComponent(mailbox)}/state`,
} as const;

// ---------------------------------------------------------------- admin.schemas.ts

export interface TemplateProblem {
  line: number;
  column: number;
  message: string;
}
export interface TemplateSummary {
  id: number;
  name: string;
  description: string;
  currentVersion: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}
export interface TemplateList {
  templates: TemplateSummary[];
}
export interface TemplateDetail extends TemplateSummary {
  source: string;
  placeholders: string[];
  usedBy: Array<{ id: number; name: string }>;
}
export interface TemplateVersionSummary {
  version: number;
  createdAt: string;
  createdBy: string;
  comment: string;
}
export interface TemplateVersionList {
  templateId: number;
  versions: TemplateVersionSummary[];
}
export interface TemplateDiff {
  templateId: number;
  from: number;
  to: number;
  unified: string;
  hunks: Array<{ oldStart: number; oldLines: number; newStart: number; newLines: number; lines: string[] }>;
}

export type RuleKind = 'signature' | 'banner';
export type RuleDefaults = 'new' | 'reply' | 'both' | 'none';
export type AttributeOperator = 'equals' | 'notEquals' | 'contains' | 'startsWith' | 'endsWith' | 'empty' | 'notEmpty';
export interface RuleCriteria {
  groups?: Array<{ id: string; displayName: string }>;
  departments?: string[];
  offices?: string[];
  countries?: string[];
  companies?: string[];
  attributes?: Array<{ attribute: string; operator: AttributeOperator; value?: string }>;
  users?: string[];
  mailboxes?: string[];
}
export interface TimeWindow {
  from: string;
  to: string;
  timeZone: string;
}
export interface RuleInput {
  name: string;
  enabled: boolean;
  kind: RuleKind;
  templateId: number;
  defaults: RuleDefaults;
  conditions: RuleCriteria;
  exclusions: RuleCriteria;
  window: TimeWindow | null;
}
export interface Rule extends RuleInput {
  id: number;
  priority: number;
  templateName: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}
export interface RuleList {
  rules: Rule[];
}
export interface RuleVerdict {
  ruleId: number;
  ruleName: string;
  matched: boolean;
  reasons: string[];
}
export interface ChosenTemplate {
  ruleId: number;
  ruleName: string;
  templateId: number;
  templateName: string;
}
export interface Explanation {
  user: string;
  mailbox: string;
  at: string;
  newMail: ChosenTemplate | null;
  reply: ChosenTemplate | null;
  offered: ChosenTemplate[];
  banners: ChosenTemplate[];
  verdicts: RuleVerdict[];
}
export interface Asset {
  hash: string;
  contentType: 'image/png' | 'image/jpeg' | 'image/gif';
  size: number;
  width: number;
  height: number;
  originalName: string;
  uploadedBy: string;
  uploadedAt: string;
  reference: string;
  url: string;
}
export interface AssetList {
  assets: Asset[];
}
export interface Preview {
  webHtml: string;
  htm: string;
  rtf: string;
  txt: string;
  files: Array<{ path: string; contentType: string; size: number; base64: string }>;
  hash: string;
  placeholders: string[];
}

// ---------------------------------------------------------------- deployment.schemas.ts

export type DeploymentState = 'queued' | 'running' | 'done' | 'blocked' | 'failed';
export interface DeploymentRun {
  id: number;
  trigger: 'change' | 'directory' | 'schedule' | 'manual' | 'retry';
  state: DeploymentState;
  requestedBy: string | null;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  scopeSize: number | null;
  total: number;
  processed: number;
  set: number;
  unchanged: number;
  failed: number;
  blocked: number;
  roamingEnabled: boolean | null;
  note: string | null;
}
export interface RoamingState {
  enabled: boolean | null;
  checkedAt: string | null;
  fix: string;
  explanation: string;
}
export interface DeploymentStatus {
  current: DeploymentRun | null;
  recent: DeploymentRun[];
  roaming: RoamingState;
}
export type MailboxResult = 'set' | 'unchanged' | 'failed' | 'blocked' | 'none' | 'gone';
export interface MailboxOutcome {
  mailbox: string;
  userPrincipalName: string | null;
  result: MailboxResult;
  reason: string | null;
  attemptedAt: string;
  pushedAt: string | null;
  upToDate: boolean;
  replyDiffers: boolean;
  runId: number | null;
}
export interface MailboxOutcomePage {
  items: MailboxOutcome[];
  nextAfter: string | null;
}
export interface MailboxState {
  mailbox: string;
  userPrincipalName: string | null;
  expected: {
    setHash: string;
    signatures: Array<{ templateId: number; templateVersion: number; name: string; defaultFor: Array<'new' | 'reply'>; hash: string }>;
  } | null;
  exchange: MailboxOutcome | null;
  devices: Array<{ hostname: string; newSignatureVersion: string; replySignatureVersion: string; webSignatureVersion: string; lastSeenAt: string }>;
  roaming: RoamingState;
}
