/**
 * The answers of the signature deployment admin API (/api/signatures/deployment…, /api/signatures/mailboxes…)
 * and of the device route (/api/signatures), declared once as TypeBox schemas: the routes serialise with
 * them and the SPA (portal/) imports their `Static` types. TypeBox only, as admin.schemas.ts in
 * onboarding: portal/ compiles this file for the browser.
 *
 * Every field the routes send is declared: Fastify's serialiser drops fields a schema does not name.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Timestamp = Type.String({ description: 'ISO-8601 UTC' });

export const DEPLOYMENT_TRIGGERS = ['change', 'directory', 'schedule', 'manual', 'retry'] as const;
export type DeploymentTrigger = (typeof DEPLOYMENT_TRIGGERS)[number];
export const DEPLOYMENT_STATES = ['queued', 'running', 'done', 'blocked', 'failed'] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];
/** What the last push did for a mailbox. */
export const MAILBOX_RESULTS = ['set', 'unchanged', 'failed', 'blocked', 'none', 'gone'] as const;
export type MailboxResult = (typeof MAILBOX_RESULTS)[number];

const literals = <T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v)));

/** The command that turns roaming signatures off, shown wherever a run is blocked by them. */
export const ROAMING_FIX = 'Set-OrganizationConfig -PostponeRoamingSignaturesUntilLater $true';

export const DeploymentRun = Type.Object({
  id: Type.Integer(),
  trigger: literals(DEPLOYMENT_TRIGGERS),
  state: literals(DEPLOYMENT_STATES),
  requestedBy: Nullable(Type.String()),
  requestedAt: Timestamp,
  startedAt: Nullable(Timestamp),
  finishedAt: Nullable(Timestamp),
  /** Mailboxes a scoped run covers (directory change, retry); null: every mailbox in scope. */
  scopeSize: Nullable(Type.Integer()),
  total: Type.Integer({ description: 'Mailboxes the run covers (known once it started)' }),
  processed: Type.Integer(),
  set: Type.Integer({ description: 'Web signature set in Exchange' }),
  unchanged: Type.Integer({ description: 'Already had this content: no call made' }),
  failed: Type.Integer(),
  blocked: Type.Integer({ description: 'Not pushed: roaming signatures are on for the tenant' }),
  /** What Get-OrganizationConfig said at the start: true roaming on, null not asked yet. */
  roamingEnabled: Nullable(Type.Boolean()),
  note: Nullable(Type.String()),
});
export type DeploymentRun = Static<typeof DeploymentRun>;

export const RoamingState = Type.Object({
  /** null: not known yet (no run has asked Exchange). */
  enabled: Nullable(Type.Boolean()),
  checkedAt: Nullable(Timestamp),
  /** What an Exchange admin runs to let onramp set web signatures. */
  fix: Type.String(),
  explanation: Type.String(),
});
export type RoamingState = Static<typeof RoamingState>;

export const DeploymentStatus = Type.Object({
  /** The run in progress, else the latest one; null before the first. */
  current: Nullable(DeploymentRun),
  recent: Type.Array(DeploymentRun),
  roaming: RoamingState,
});
export type DeploymentStatus = Static<typeof DeploymentStatus>;

export const MailboxOutcome = Type.Object({
  mailbox: Type.String(),
  userPrincipalName: Nullable(Type.String()),
  result: literals(MAILBOX_RESULTS),
  reason: Nullable(Type.String()),
  attemptedAt: Timestamp,
  pushedAt: Nullable(Timestamp),
  /** Exchange holds what the mailbox is expected to have. */
  upToDate: Type.Boolean(),
  /** The reply default differs from the new-mail one; Exchange holds one web signature (the new-mail one). */
  replyDiffers: Type.Boolean(),
  runId: Nullable(Type.Integer()),
});
export type MailboxOutcome = Static<typeof MailboxOutcome>;

export const MailboxOutcomePage = Type.Object({
  items: Type.Array(MailboxOutcome),
  /** Pass as `after` for the next page; null on the last. */
  nextAfter: Nullable(Type.String()),
});
export type MailboxOutcomePage = Static<typeof MailboxOutcomePage>;

export const ExpectedSignatureSummary = Type.Object({
  templateId: Type.Integer(),
  templateVersion: Type.Integer(),
  name: Type.String(),
  defaultFor: Type.Array(Type.Union([Type.Literal('new'), Type.Literal('reply')])),
  hash: Type.String(),
});
export type ExpectedSignatureSummary = Static<typeof ExpectedSignatureSummary>;

export const DeviceSignatureReport = Type.Object({
  hostname: Type.String(),
  newSignatureVersion: Type.String(),
  replySignatureVersion: Type.String(),
  webSignatureVersion: Type.String(),
  lastSeenAt: Timestamp,
});
export type DeviceSignatureReport = Static<typeof DeviceSignatureReport>;

/** A mailbox's expected signatures (now, from the planner) against what was deployed where and when. */
export const MailboxState = Type.Object({
  mailbox: Type.String(),
  userPrincipalName: Nullable(Type.String()),
  expected: Nullable(Type.Object({ setHash: Type.String(), signatures: Type.Array(ExpectedSignatureSummary) })),
  /** The last Exchange push; null before the first. */
  exchange: Nullable(MailboxOutcome),
  /** Versions the mailbox user's devices reported in their beacons (signew/sigreply/sigweb). */
  devices: Type.Array(DeviceSignatureReport),
  roaming: RoamingState,
});
export type MailboxState = Static<typeof MailboxState>;

/** POST /api/signatures/deployments: every mailbox in scope, or the ones named. */
export const StartDeploymentBody = Type.Object(
  {
    mailboxes: Type.Optional(
      Type.Array(Type.String({ minLength: 3, maxLength: 320, pattern: '^[^@\\s]+@[^@\\s]+$' }), { minItems: 1, maxItems: 1000, uniqueItems: true }),
    ),
  },
  { additionalProperties: false },
);
export type StartDeploymentBody = Static<typeof StartDeploymentBody>;

/** One signature of the device route's answer: every file Outlook classic needs, and the web form. */
export const DeviceSignature = Type.Object({
  name: Type.String(),
  templateId: Type.Integer(),
  templateVersion: Type.Integer(),
  defaultForNew: Type.Boolean(),
  defaultForReply: Type.Boolean(),
  /** The rendered signature's hash: its version. */
  version: Type.String(),
  htm: Type.String(),
  rtf: Type.String(),
  txt: Type.String(),
  webHtml: Type.String(),
  /** `<name>_files/…` images, base64. */
  files: Type.Array(Type.Object({ path: Type.String(), contentType: Type.String(), base64: Type.String() })),
});
export type DeviceSignature = Static<typeof DeviceSignature>;

export const DeviceSignatureSet = Type.Object({
  upn: Type.String(),
  mailbox: Type.String(),
  /** The set's version; also the answer's ETag. */
  setHash: Type.String(),
  signatures: Type.Array(DeviceSignature),
});
export type DeviceSignatureSet = Static<typeof DeviceSignatureSet>;
