/**
 * The signature screens' view of the admin API: the paths in one place and the answers' types.
 * Provisional: written before src/signatures/admin.schemas.ts and deployment.schemas.ts existed; the
 * types are replaced by the schemas' static types as they land, the screens keep their names.
 */

/** As src/signatures/model.ts declares them (that module uses Node's Buffer, which the SPA has not). */
export interface TemplateProblem {
  line: number;
  column: number;
  message: string;
}
export interface RuleVerdict {
  ruleId: number;
  ruleName: string;
  matched: boolean;
  reasons: string[];
}

export const PATHS = {
  templates: '/api/signatures/templates',
  template: (id: number | string) => `/api/signatures/templates/${id}`,
  versions: (id: number | string) => `/api/signatures/templates/${id}/versions`,
  version: (id: number | string, version: number) => `/api/signatures/templates/${id}/versions/${version}`,
  diff: (id: number | string, from: number, to: number) => `/api/signatures/templates/${id}/diff?from=${from}&to=${to}`,
  rollback: (id: number | string) => `/api/signatures/templates/${id}/rollback`,
  preview: '/api/signatures/preview',
  rules: '/api/signatures/rules',
  rule: (id: number) => `/api/signatures/rules/${id}`,
  ruleOrder: '/api/signatures/rules/order',
  explain: (user: string, at?: string) => `/api/signatures/explain?user=${encodeURIComponent(user)}${at ? `&at=${encodeURIComponent(at)}` : ''}`,
  assets: '/api/signatures/assets',
  asset: (hash: string) => `/api/signatures/assets/${hash}`,
  deployment: '/api/signatures/deployment',
  deploymentStart: '/api/signatures/deployment/start',
  deploymentRetry: '/api/signatures/deployment/retry',
  deploymentFailures: '/api/signatures/deployment/failures',
  mailboxState: (mailbox: string) => `/api/signatures/mailboxes/${encodeURIComponent(mailbox)}/state`,
  directoryUsers: (search: string) => `/api/signatures/users?search=${encodeURIComponent(search)}`,
} as const;

export interface TemplateSummary {
  id: number;
  name: string;
  description: string;
  currentVersion: number;
  updatedAt: string;
  updatedBy: string;
}
export interface TemplatesAnswer {
  templates: TemplateSummary[];
}
export interface TemplateDetail extends TemplateSummary {
  source: string;
}
export interface TemplateVersion {
  version: number;
  createdAt: string;
  createdBy: string;
  comment: string | null;
}
export interface VersionsAnswer {
  versions: TemplateVersion[];
}
export interface VersionDetail extends TemplateVersion {
  source: string;
}
export interface DiffAnswer {
  from: number;
  to: number;
  /** A unified diff of the two sources. */
  patch: string;
}

export interface PreviewAnswer {
  webHtml: string;
  htm: string;
  rtf: string;
  txt: string;
  files: Array<{ path: string; contentType: string; size: number }>;
}

export type RuleDefaults = 'new' | 'reply' | 'both' | 'none';
export type AttributeOperator = 'equals' | 'contains' | 'startsWith' | 'empty' | 'notEmpty';
export interface RuleConditions {
  groups?: Array<{ id: string; displayName: string }>;
  departments?: string[];
  offices?: string[];
  countries?: string[];
  companies?: string[];
  attributes?: Array<{ attribute: string; operator: AttributeOperator; value?: string }>;
  users?: string[];
  mailboxes?: string[];
}
export interface RuleInput {
  name: string;
  enabled: boolean;
  templateId: number;
  defaults: RuleDefaults;
  conditions: RuleConditions;
  exclusions: RuleConditions;
}
export interface Rule extends RuleInput {
  id: number;
  priority: number;
}
export interface RulesAnswer {
  rules: Rule[];
}
export interface ExplainAnswer {
  user: string;
  verdicts: RuleVerdict[];
}

export interface Asset {
  hash: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
  originalName: string;
  uploadedAt: string;
}
export interface AssetsAnswer {
  assets: Asset[];
  /** The upload limit (signatures setting), so the screen can refuse a file before sending it. */
  maxBytes?: number;
}

export interface DeploymentRun {
  id: number;
  trigger: string;
  state: 'running' | 'done' | 'failed' | 'blocked';
  total: number;
  done: number;
  set: number;
  unchanged: number;
  failed: number;
  startedAt: string;
  finishedAt: string | null;
}
export interface DeploymentAnswer {
  run: DeploymentRun | null;
  /** Exchange ignores pushed web signatures while roaming signatures are on for the tenant. */
  roamingSignatures: boolean | null;
}
export interface DeploymentFailure {
  mailbox: string;
  reason: string;
  at: string;
}
export interface FailuresAnswer {
  failures: DeploymentFailure[];
}
export interface MailboxStateAnswer {
  mailbox: string;
  expected: { setHash: string; signatures: Array<{ name: string; templateId: number; templateVersion: number; hash: string }> } | null;
  deployed: Array<{ where: string; hash: string | null; result: string; at: string }>;
}
