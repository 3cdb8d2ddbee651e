import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { OnrampContext } from '../context.js';
import { OnrampError } from '../errors.js';
import { bounded, CountText } from '../http/query-text.js';
import { MailDeliveryError, createMailTransport, type MailTransport } from '../mail/transports.js';
import * as onboarding from './onboarding.queries.js';
import { filterValues } from './reports.queries.js';
import type { ReportFilter, ReportService } from './reports.service.js';
import type { OnboardingService } from './onboarding.service.js';
import {
  BatchPaused,
  BulkDone,
  CampaignRun,
  ReportAnswer,
  ReportSent,
  UserDetail,
  UserFilters,
  UserResent,
  UsersAdded,
  UsersPage,
  type UserView,
} from './admin.schemas.js';

export interface AdminRoutesOptions {
  ctx: OnrampContext;
  service: OnboardingService;
  reports: ReportService;
  /** Hooks from src/auth (`requireRole`): viewers read, admins change. */
  viewerGuard: preHandlerAsyncHookHandler;
  adminGuard: preHandlerAsyncHookHandler;
  /** Names the caller in the user history. */
  actorOf: (req: FastifyRequest) => string;
  /** Writes the admin audit log (src/auth `recordAudit`). */
  audit: (req: FastifyRequest, action: string, target: string | null, details?: unknown) => Promise<void>;
}

// Query strings are text (the app does not coerce types), so flags are matched as text too.
const Flag = Type.Union([Type.Literal('true'), Type.Literal('false')]);

const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) });

/** The report scope as the Reports screen sets it; the tiles and the CSV export take the same one. */
const ReportScope = {
  batch: Type.Optional(Type.String({ maxLength: 200 })),
  status: Type.Optional(Type.String({ maxLength: 40 })),
  department: Type.Optional(Type.String({ maxLength: 200 })),
  from: Type.Optional(Type.String({ format: 'date', description: 'Uploaded on or after this day (YYYY-MM-DD, UTC)' })),
  to: Type.Optional(Type.String({ format: 'date', description: 'Uploaded on or before this day (YYYY-MM-DD, UTC)' })),
  search: Type.Optional(Type.String({ maxLength: 200, description: 'Part of the UPN, name or department' })),
};
const ReportQuery = Type.Object(
  { ...ReportScope, days: Type.Optional(CountText('Days of activity in the chart, 1-366 (default 30)')) },
  { additionalProperties: false },
);
const ExportQuery = Type.Object(ReportScope, { additionalProperties: false });
const SendReportBody = Type.Object(
  {
    recipients: Type.Optional(Type.Array(Type.String({ format: 'email', maxLength: 320 }), { maxItems: 50, description: 'Default: reports.recipients' })),
    ...ReportScope,
  },
  { additionalProperties: false },
);

/** The scope of a report in words, for its email ("batch wave-1, department Sales"); undefined: the whole campaign. */
function scopeText(q: { batch?: string; status?: string; department?: string; from?: string; to?: string; search?: string }): string | undefined {
  const parts = [
    q.batch && `batch ${q.batch}`,
    q.status && `status ${q.status}`,
    q.department && `department ${q.department}`,
    q.from && `uploaded from ${q.from}`,
    q.to && `uploaded to ${q.to}`,
    q.search && `matching “${q.search}”`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

const FromGroupBody = Type.Object(
  {
    groupId: Type.String({ pattern: '^[0-9A-Za-z-]{1,64}$', description: 'Object id of the Entra group' }),
    batchId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9 ._:@-]*$' })),
    resetExisting: Type.Optional(Type.Boolean()),
    dryRun: Type.Optional(Type.Boolean({ description: 'Answer what it would do, storing nothing' })),
  },
  { additionalProperties: false },
);

const BatchBody = Type.Object({ batch: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

const BulkBody = Type.Object(
  {
    action: Type.Union([Type.Literal('resend'), Type.Literal('exclude'), Type.Literal('remove')]),
    /** The Users screen's filter, as its list query takes it. */
    status: Type.Optional(Type.String({ maxLength: 40 })),
    batch: Type.Optional(Type.String({ maxLength: 200 })),
    department: Type.Optional(Type.String({ maxLength: 200 })),
    search: Type.Optional(Type.String({ maxLength: 200 })),
    expectedCount: Type.Integer({ minimum: 1, description: 'The number of users the admin confirmed; another count by now changes nothing (409)' }),
  },
  { additionalProperties: false },
);

const UsersQuery = Type.Object(
  {
    offset: Type.Optional(CountText('Rows to skip')),
    limit: Type.Optional(CountText('Rows per page, 1-500 (default 50)')),
    sort: Type.Optional(Type.Union(onboarding.USER_SORT_COLUMNS.map((c) => Type.Literal(c)))),
    desc: Type.Optional(Flag),
    status: Type.Optional(Type.String({ maxLength: 40 })),
    batch: Type.Optional(Type.String({ maxLength: 200 })),
    department: Type.Optional(Type.String({ maxLength: 200 })),
    search: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

/**
 * Declared for the OpenAPI document only, as plain JSON Schema so the type provider leaves the reply
 * untyped: the export is a stream, which Fastify sends as it is (no serialiser runs), and 204 has no body.
 */
const CsvAnswer = {
  content: {
    'text/csv': { schema: { type: 'string', description: "UTF-8 with a byte-order mark (for Excel), RFC 4180, CRLF line ends, the seed's column names" } },
  },
};
const NoContent = { type: 'null', description: 'Removed; no content' };

/** UTF-8's byte-order mark first: without it Excel reads the file in the local code page ("mÃ¼ller"). */
async function* withByteOrderMark(rows: AsyncIterable<string>): AsyncGenerator<string> {
  yield '\ufeff';
  yield* rows;
}

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + 86_400_000).toISOString();
}

function userView(u: onboarding.TrackedUserRow): UserView {
  return {
    id: Number(u.id),
    upn: u.upn,
    displayName: u.display_name,
    department: u.department,
    jobTitle: u.job_title,
    managerUpn: u.manager_upn,
    status: u.invite_status,
    statusReason: u.status_reason,
    mfaRegistrationState: u.mfa_registration_state,
    inGroup: u.in_group === 1,
    batchId: u.source_batch_id,
    reminderCount: Number(u.reminder_count),
    inviteSentDate: u.invite_sent_date,
    emailOpenedDate: u.email_opened_date,
    clickedLinkDate: u.clicked_link_date,
    addedToGroupDate: u.added_to_group_date,
    mfaRegistrationDate: u.mfa_registration_date,
    lastReminderDate: u.last_reminder_date,
    escalatedToManager: u.escalated_to_manager === 1,
    escalationDate: u.escalation_date,
    createdAt: u.created_at,
    updatedAt: u.updated_at,
  };
}

/**
 * Onboarding's admin API: the reports (tiles, CSV export, "send report now") and the tracked users
 * (paged list, timeline, resend now, removal). Every change is audited. Response shapes: admin.schemas.ts.
 */
export async function onboardingAdminRoutes(parent: FastifyInstance, options: AdminRoutesOptions): Promise<void> {
  const { ctx, service, reports, viewerGuard, adminGuard, actorOf, audit } = options;
  const db = ctx.storage.db;
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  const campaignId = async () => Number((await onboarding.defaultCampaign(db)).id);
  const reportFilter = async (q: {
    batch?: string;
    status?: string;
    department?: string;
    from?: string;
    to?: string;
    search?: string;
  }): Promise<ReportFilter> => ({
    campaignId: await campaignId(),
    batchId: q.batch,
    status: q.status,
    department: q.department,
    uploadedFrom: q.from ? `${q.from}T00:00:00.000Z` : undefined,
    uploadedBefore: q.to ? nextDay(q.to) : undefined,
    search: q.search,
  });

  app.get(
    '/api/admin/reports',
    {
      preHandler: viewerGuard,
      schema: {
        tags: ['reports'],
        summary: 'Totals by status, completion, needs attention, per-batch and per-day activity',
        querystring: ReportQuery,
        response: { 200: ReportAnswer },
      },
    },
    async (req) => {
      const filter = await reportFilter(req.query);
      const [summary, filters, paused] = await Promise.all([
        reports.summary(filter, bounded(req.query.days, 30, 1, 366)),
        filterValues(db, filter.campaignId!),
        onboarding.pausedBatches(db, filter.campaignId!),
      ]);
      const pausedIds = new Set(paused.map((p) => p.batch_id));
      return {
        total: summary.total,
        byStatus: summary.byStatus,
        completionRate: summary.completionRate,
        completionOfAll: summary.completionOfAll,
        excludedReasons: summary.excludedReasons,
        needsAttention: summary.needsAttention,
        perBatch: summary.batches.map((b) => ({ ...b, paused: b.batchId !== null && pausedIds.has(b.batchId) })),
        activity: summary.recent.perDay,
        filters,
      };
    },
  );

  app.get(
    '/api/admin/reports/export.csv',
    {
      preHandler: viewerGuard,
      schema: {
        tags: ['reports'],
        summary: "CSV of the tracked users the report filters select, with the seed's column names (streamed; formulas neutralised)",
        querystring: ExportQuery,
        response: { 200: CsvAnswer },
      },
    },
    async (req, reply) => {
      const filter = await reportFilter(req.query);
      await audit(req, 'report.export', req.query.batch ?? null, req.query);
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="${reports.csvFileName(filter)}"`);
      reply.header('cache-control', 'no-store');
      return reply.send(Readable.from(withByteOrderMark(reports.csv(filter))));
    },
  );

  // Made on first use (an SMTP pool or the Graph sender), closed with the app.
  let transport: MailTransport | undefined;
  app.addHook('onClose', async () => transport?.close());
  app.post(
    '/api/admin/reports/send',
    {
      preHandler: adminGuard,
      schema: {
        tags: ['reports'],
        summary: 'Send the admin report email now (to the configured or the given recipients), of the whole campaign or of the scope given',
        body: SendReportBody,
        response: { 200: ReportSent },
      },
    },
    async (req) => {
      const { recipients: given, ...scope } = req.body;
      const recipients = given ?? ctx.config.reports.recipients;
      if (recipients.length === 0) {
        throw new OnrampError('ONRAMP_ERR_VALIDATION', ['no recipients given, and no usual recipients are configured (the reports.recipients setting)']);
      }
      transport ??= createMailTransport(ctx.config.mail, ctx.graph, ctx.demoTenant?.sharedMailbox);
      const summary = await reports.send(transport, recipients, await reportFilter(scope), scopeText(scope)).catch((err: unknown) => {
        if (!(err instanceof MailDeliveryError)) throw err;
        req.log.warn({ err }, 'report email not accepted by the mail transport');
        throw new OnrampError('ONRAMP_ERR_MAIL_UNAVAILABLE', [], { cause: err });
      });
      const scopeWords = scopeText(scope);
      await audit(req, 'report.send', recipients.join(', '), {
        total: summary.total,
        completionRate: summary.completionRate,
        ...(scopeWords ? { scope: scopeWords } : {}),
      });
      return { recipients, total: summary.total, completionRate: summary.completionRate, scope: scopeWords ?? null };
    },
  );

  app.get(
    '/api/admin/users',
    {
      preHandler: viewerGuard,
      schema: { tags: ['users'], summary: 'Tracked users, filtered, sorted and paged on the server', querystring: UsersQuery, response: { 200: UsersPage } },
    },
    async (req) => {
      const q = req.query;
      const filter: onboarding.UserListFilter = {
        campaignId: await campaignId(),
        status: q.status,
        batchId: q.batch,
        department: q.department,
        search: q.search,
      };
      const page = {
        offset: bounded(q.offset, 0, 0, 100_000_000),
        limit: bounded(q.limit, 50, 1, 500),
        sort: q.sort ?? 'updated_at',
        descending: q.desc !== 'false',
      };
      const [rows, total] = await Promise.all([onboarding.listUsers(db, filter, page), onboarding.countUsers(db, filter)]);
      return { total, offset: page.offset, limit: page.limit, users: rows.map(userView) };
    },
  );

  const runState = (): CampaignRun => {
    const control = service.runControl;
    if (!control) return { available: false, running: false, nextRunAt: null, lastFinishedAt: null, lastError: null, lastSummary: null };
    return { available: true, ...control.status() };
  };
  app.get(
    '/api/admin/campaign/run',
    {
      preHandler: viewerGuard,
      schema: {
        tags: ['campaign'],
        summary: "The invitation run: running now, the next scheduled run, the last run's outcome",
        response: { 200: CampaignRun },
      },
    },
    async () => runState(),
  );
  app.post(
    '/api/admin/campaign/run',
    {
      preHandler: adminGuard,
      schema: { tags: ['campaign'], summary: 'Run invitations now (a run starts within the trigger debounce)', response: { 200: CampaignRun } },
    },
    async (req) => {
      const triggered = service.runControl?.runNow() ?? false;
      await audit(req, 'campaign.run', null, { triggered });
      return { ...runState(), triggered };
    },
  );

  app.post(
    '/api/admin/users/from-group',
    {
      preHandler: adminGuard,
      schema: {
        tags: ['users'],
        summary: "Add the members of an Entra group (nested groups' too) to the campaign; again later, only those who joined since",
        body: FromGroupBody,
        response: { 200: UsersAdded },
      },
    },
    async (req) => {
      const { groupId, batchId, resetExisting, dryRun } = req.body;
      const result = await service.addGroup(groupId, { batchId, actor: actorOf(req), resetExisting, dryRun });
      if (!dryRun) {
        await audit(req, 'users.add-group', groupId, {
          batch: result.batchId,
          total: result.total,
          added: result.added.length,
          unchanged: result.unchanged.length,
          reset: result.reset.length,
        });
      }
      return result;
    },
  );

  for (const [verb, pause] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    app.post(
      `/api/admin/batches/${verb}`,
      {
        preHandler: adminGuard,
        schema: {
          tags: ['campaign'],
          summary: pause ? 'Pause a batch: the invitation run leaves its users alone (no emails, no checks) until it is resumed' : 'Resume a paused batch',
          body: BatchBody,
          response: { 200: BatchPaused },
        },
      },
      async (req) => {
        const id = await campaignId();
        const { batch } = req.body;
        const changed = pause
          ? await onboarding.pauseBatch(db, id, batch, actorOf(req), ctx.clock.now().toISOString())
          : await onboarding.resumeBatch(db, id, batch);
        if (changed) await audit(req, `batch.${verb}`, batch);
        // Resumed users are due at once, not a whole interval later.
        if (changed && !pause) service.runControl?.runNow();
        return { batch, paused: pause, changed };
      },
    );
  }

  app.post(
    '/api/admin/users/bulk',
    {
      preHandler: adminGuard,
      schema: {
        tags: ['users'],
        summary: 'Resend, exclude or remove the users a filter selects, all or none, once the count is confirmed',
        body: BulkBody,
        response: { 200: BulkDone },
      },
    },
    async (req) => {
      const { action, expectedCount, status, batch, department, search } = req.body;
      const done = await service.bulk(action, { status, batchId: batch, department, search }, expectedCount, actorOf(req));
      await audit(req, `users.bulk-${action}`, null, { filter: { status, batch, department, search }, selected: done.selected, changed: done.changed });
      return done;
    },
  );

  app.get(
    '/api/admin/users/filters',
    {
      preHandler: viewerGuard,
      schema: {
        tags: ['users'],
        summary: 'Batches and departments of the campaign, for the filter pickers (500 each at most)',
        response: { 200: UserFilters },
      },
    },
    async () => filterValues(db, await campaignId()),
  );

  app.get(
    '/api/admin/users/:id',
    { preHandler: viewerGuard, schema: { tags: ['users'], summary: 'One user with the timeline of events', params: IdParams, response: { 200: UserDetail } } },
    async (req) => {
      const user = await onboarding.findById(db, Number(req.params.id));
      if (!user) throw new OnrampError('ONRAMP_ERR_TRACKED_USER_NOT_FOUND', [req.params.id]);
      const events = await onboarding.userEvents(db, Number(user.id));
      return {
        user: userView(user),
        timeline: events.map((e) => ({ at: e.at, type: e.type, actor: e.actor, detail: JSON.parse(e.detail) as unknown })),
      };
    },
  );

  app.delete(
    '/api/admin/users/:id',
    {
      preHandler: adminGuard,
      schema: { tags: ['users'], summary: 'Remove a user from the campaign (and its history)', params: IdParams, response: { 204: NoContent } },
    },
    async (req, reply) => {
      const user = await onboarding.findById(db, Number(req.params.id));
      if (!user) throw new OnrampError('ONRAMP_ERR_TRACKED_USER_NOT_FOUND', [req.params.id]);
      await service.removeUser(Number(user.id), actorOf(req));
      await audit(req, 'user.remove', user.upn, { id: Number(user.id), batch: user.source_batch_id, status: user.invite_status });
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/admin/users/:id/resend',
    {
      preHandler: adminGuard,
      schema: {
        tags: ['users'],
        summary: 'Resend now: a new invitation cycle (Pending, new link; the old link stops working)',
        params: IdParams,
        response: { 200: UserResent },
      },
    },
    async (req) => {
      const before = await onboarding.findById(db, Number(req.params.id));
      if (!before) throw new OnrampError('ONRAMP_ERR_TRACKED_USER_NOT_FOUND', [req.params.id]);
      const user = await service.resendNow(Number(before.id), actorOf(req));
      await audit(req, 'user.resend', user.upn, { id: Number(user.id), previousStatus: before.invite_status });
      return { user: userView(user) };
    },
  );
}
