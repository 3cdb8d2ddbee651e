/**
 * The signature screens' view of the admin API: the paths in one place, and the answers' types as the
 * server declares them (src/signatures/admin.schemas.ts and deployment.schemas.ts, type-only imports).
 */
export type {
  Asset,
  AssetList,
  AttributeOperator,
  ChosenTemplate,
  Explanation,
  Preview,
  Rule,
  RuleCriteria,
  RuleDefaults,
  RuleInput,
  RuleKind,
  RuleList,
  RuleVerdict,
  SosImportReport,
  TemplateDetail,
  TemplateDiff,
  TemplateList,
  TemplateProblem,
  TemplateSummary,
  TemplateVersionList,
  TemplateVersionSummary,
  TimeWindow,
} from '../../../src/signatures/admin.schemas.ts';
export type {
  DeploymentRun,
  DeploymentState,
  DeploymentStatus,
  MailboxOutcome,
  MailboxOutcomePage,
  MailboxResult,
  MailboxState,
  RoamingState,
} from '../../../src/signatures/deployment.schemas.ts';

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
  importSos: '/api/signatures/import-sos',
  asset: (hash: string) => `/api/signatures/assets/${hash}`,
  deployment: '/api/signatures/deployment',
  deployments: '/api/signatures/deployments',
  failures: (run: number) => `/api/signatures/deployments/${run}/failures`,
  retry: (run: number) => `/api/signatures/deployments/${run}/retry`,
  mailboxState: (mailbox: string) => `/api/signatures/mailboxes/${encodeURIComponent(mailbox)}/state`,
} as const;
