/**
 * The answers of onboarding's admin API (/api/admin/reports, /api/admin/users…), declared once as TypeBox
 * schemas: the routes (admin.routes.ts) serialise with them and /api/openapi.json publishes them, and the
 * SPA (portal/) imports their `Static` types. Only TypeBox is imported here, never Node or the server's
 * modules, because portal/ compiles this file with its own tsconfig (no Node types) for the browser.
 *
 * Every field the routes send is declared: Fastify's serialiser (fast-json-stringify) drops fields a
 * response schema does not name, so a field missing here would silently vanish from the answer.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** ISO-8601 UTC timestamps, as the database stores them (text on both engines). */
const Timestamp = Type.String({ description: 'ISO-8601 UTC' });

export const DayActivity = Type.Object({
  day: Type.String({ description: 'UTC day, YYYY-MM-DD' }),
  invites: Type.Integer(),
  opens: Type.Integer(),
  clicks: Type.Integer(),
  activations: Type.Integer(),
});
export type DayActivity = Static<typeof DayActivity>;

export const AttentionUser = Type.Object({
  id: Type.Integer(),
  upn: Type.String(),
  display_name: Nullable(Type.String()),
  department: Nullable(Type.String()),
  invite_status: Type.String(),
  status_reason: Nullable(Type.String({ description: 'Why the user is Excluded, in Error or Overdue' })),
  invite_sent_date: Nullable(Timestamp),
  clicked_link_date: Nullable(Timestamp),
  reminder_count: Type.Integer(),
  manager_upn: Nullable(Type.String()),
});
export type AttentionUser = Static<typeof AttentionUser>;

export const ATTENTION_KINDS = ['noClick', 'clickedNotActive', 'escalated', 'overdue', 'unreachable', 'error'] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];
const AttentionList = Type.Object({
  count: Type.Integer(),
  users: Type.Array(AttentionUser, { description: 'The longest-waiting ones (reports.attentionListSize)' }),
});

export const BatchCompletion = Type.Object({
  batchId: Nullable(Type.String()),
  total: Type.Integer(),
  active: Type.Integer(),
  excluded: Type.Integer(),
  notFound: Type.Integer({ description: 'Excluded: not found in the directory' }),
  disabled: Type.Integer({ description: 'Excluded: account disabled' }),
  pending: Type.Integer({ description: 'Not yet looked at by the invitation run' }),
  completionRate: Type.Number({ description: 'Percent, one decimal' }),
  paused: Type.Boolean({ description: 'Paused: the invitation run leaves its users alone until resumed' }),
});
export type BatchCompletion = Static<typeof BatchCompletion>;

/** GET /api/admin/reports */
export const ReportAnswer = Type.Object({
  total: Type.Integer(),
  byStatus: Type.Record(Type.String(), Type.Integer(), { description: 'Users per status, every status listed' }),
  completionRate: Type.Number({ description: 'Active ÷ (total − Excluded), percent with one decimal' }),
  completionOfAll: Type.Number({ description: 'Active ÷ total, percent with one decimal' }),
  excludedReasons: Type.Array(Type.Object({ reason: Type.String(), count: Type.Integer() }), {
    description: 'Excluded users per reason (not found in the directory, account disabled…), most first',
  }),
  needsAttention: Type.Object(Object.fromEntries(ATTENTION_KINDS.map((k) => [k, AttentionList])) as Record<AttentionKind, typeof AttentionList>),
  perBatch: Type.Array(BatchCompletion),
  activity: Type.Array(DayActivity, { description: 'One entry per UTC day of the asked window, oldest first' }),
  filters: Type.Object({ batches: Type.Array(Type.String()), departments: Type.Array(Type.String()) }, { description: 'Values for the filter pickers' }),
});

/** GET /api/admin/users/filters: the values the Users screen's pickers offer. */
export const UserFilters = Type.Object({ batches: Type.Array(Type.String()), departments: Type.Array(Type.String()) });
export type UserFilters = Static<typeof UserFilters>;
export type ReportAnswer = Static<typeof ReportAnswer>;

/** POST /api/admin/reports/send */
export const ReportSent = Type.Object({
  recipients: Type.Array(Type.String()),
  total: Type.Integer(),
  completionRate: Type.Number(),
  scope: Nullable(Type.String({ description: 'The users it covered, in words; null: the whole campaign' })),
});
export type ReportSent = Static<typeof ReportSent>;

/** A tracked user as the admin API shows it (the link secret and bookkeeping columns stay in the database). */
export const UserView = Type.Object({
  id: Type.Integer(),
  upn: Type.String(),
  displayName: Nullable(Type.String()),
  department: Nullable(Type.String()),
  jobTitle: Nullable(Type.String()),
  managerUpn: Nullable(Type.String()),
  status: Type.String(),
  statusReason: Nullable(Type.String()),
  mfaRegistrationState: Type.String(),
  inGroup: Type.Boolean(),
  batchId: Nullable(Type.String()),
  reminderCount: Type.Integer(),
  inviteSentDate: Nullable(Timestamp),
  emailOpenedDate: Nullable(Timestamp),
  clickedLinkDate: Nullable(Timestamp),
  addedToGroupDate: Nullable(Timestamp),
  mfaRegistrationDate: Nullable(Timestamp),
  lastReminderDate: Nullable(Timestamp),
  escalatedToManager: Type.Boolean(),
  escalationDate: Nullable(Timestamp),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type UserView = Static<typeof UserView>;

/** GET /api/admin/users */
export const UsersPage = Type.Object({ total: Type.Integer(), offset: Type.Integer(), limit: Type.Integer(), users: Type.Array(UserView) });
export type UsersPage = Static<typeof UsersPage>;

export const TimelineEntry = Type.Object({
  at: Timestamp,
  type: Type.String(),
  actor: Type.String(),
  detail: Type.Unknown({ description: "The event's details as recorded (an object, or null)" }),
});
export type TimelineEntry = Static<typeof TimelineEntry>;

/** GET /api/admin/users/:id */
export const UserDetail = Type.Object({ user: UserView, timeline: Type.Array(TimelineEntry, { description: 'Oldest first' }) });
export type UserDetail = Static<typeof UserDetail>;

/** POST /api/admin/users/:id/resend */
export const UserResent = Type.Object({ user: UserView });
export type UserResent = Static<typeof UserResent>;

const Issue = Type.Object({ upn: Type.String(), row: Type.Integer(), reason: Type.String() });

/** POST /api/admin/users/from-group (and, undeclared, POST /api/upload-users): what adding users did or would do. */
export const UsersAdded = Type.Object({
  batchId: Type.String(),
  added: Type.Array(Type.String(), { description: 'New to the campaign' }),
  unchanged: Type.Array(Type.String(), { description: 'Already in the campaign, left as they were' }),
  reset: Type.Array(Type.String(), { description: 'Already in the campaign, started again with a new link' }),
  skipped: Type.Array(Issue),
  errors: Type.Array(Type.Object({ upn: Type.String(), row: Type.Integer(), error: Type.String() })),
  total: Type.Integer(),
  triggered: Type.Boolean(),
  dryRun: Type.Boolean(),
});
export type UsersAdded = Static<typeof UsersAdded>;

/** GET/POST /api/admin/campaign/run: the invitation run's state on this instance. */
export const CampaignRun = Type.Object({
  available: Type.Boolean({ description: 'Whether this instance runs the invitation job (false: a test app or no jobs)' }),
  running: Type.Boolean(),
  nextRunAt: Nullable(Timestamp),
  lastFinishedAt: Nullable(Timestamp),
  lastError: Nullable(Type.String()),
  lastSummary: Nullable(
    Type.Object({
      finishedAt: Timestamp,
      summary: Type.Record(Type.String(), Type.Integer(), {
        description: 'processed, invited, reminded, escalated, activated, excluded, overdue, skipped, failed, errored',
      }),
      phasesMs: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), {
        description:
          "Where the run's time went, in ms: dueReads, directory, registrations, groupMembers, groupAdds, planning, writes, enqueue (each summed over the chunks run in parallel) and wall",
      }),
    }),
  ),
  /** Set by POST: whether a run was started or scheduled. */
  triggered: Type.Optional(Type.Boolean()),
});
export type CampaignRun = Static<typeof CampaignRun>;

/** POST /api/admin/users/bulk */
export const BulkDone = Type.Object({
  action: Type.Union([Type.Literal('resend'), Type.Literal('exclude'), Type.Literal('remove')]),
  selected: Type.Integer({ description: 'Users the filter selected (the confirmed count)' }),
  changed: Type.Integer({ description: 'Users changed (Active users are not resent, Excluded ones not excluded again)' }),
});
export type BulkDone = Static<typeof BulkDone>;

/** POST /api/admin/batches/pause and /resume */
export const BatchPaused = Type.Object({
  batch: Type.String(),
  paused: Type.Boolean(),
  changed: Type.Boolean({ description: 'False when it already was so' }),
});
export type BatchPaused = Static<typeof BatchPaused>;
