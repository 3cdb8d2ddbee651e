import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { OnrampContext } from '../context.js';
import { redactConfig } from '../onramp-config.js';
import { OnrampError } from '../errors.js';
import { recordAudit, requireRole } from '../auth/auth.plugin.js';
import * as onboarding from '../onboarding/onboarding.queries.js';
import { filterValues } from '../onboarding/reports.queries.js';
import { ReportService, type ReportFilter } from '../onboarding/reports.service.js';
import { brandingFrom } from '../onboarding/invitations.scheduler.js';
import { MailDeliveryError, createMailTransport, type MailTransport } from '../mail/transports.js';
import { Readable } from 'node:stream';
import { mailboxRoutes } from './mailbox.routes.js';

/** The built SPA (vite build portal → portal/dist), the same path from src/portal and dist/portal. */
const PORTAL_DIST = fileURLToPath(new URL('../../portal/dist/', import.meta.url));

/**
 * Strict CSP for the SPA: scripts and styles only from our origin (no inline script), no framing,
 * no plugins; the API is same-origin.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'no-referrer');
}

// Query strings are text (the app does not coerce types), so numbers and flags are matched as text.
const Count = (description: string) => Type.String({ pattern: '^[0-9]{1,9}$', description });
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
const ReportQuery = Type.Object({ ...ReportScope, days: Type.Optional(Count('Days of activity in the chart, 1-366 (default 30)')) }, { additionalProperties: false });
const ExportQuery = Type.Object(ReportScope, { additionalProperties: false });
const SendReportBody = Type.Object(
  { recipients: Type.Optional(Type.Array(Type.String({ format: 'email', maxLength: 320 }), { maxItems: 50, description: 'Default: reports.recipients' })) },
  { additionalProperties: false },
);

const UsersQuery = Type.Object(
  {
    offset: Type.Optional(Count('Rows to skip')),
    limit: Type.Optional(Count('Rows per page, 1-500 (default 50)')),
    sort: Type.Optional(Type.Union(onboarding.USER_SORT_COLUMNS.map((c) => Type.Literal(c)))),
    desc: Type.Optional(Flag),
    status: Type.Optional(Type.String({ maxLength: 40 })),
    batch: Type.Optional(Type.String({ maxLength: 200 })),
    department: Type.Optional(Type.String({ maxLength: 200 })),
    search: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const AuditQuery = Type.Object(
  {
    limit: Type.Optional(Count('Entries, 1-500 (default 100)')),
    beforeId: Type.Optional(Count('Entries older than this id')),
    actor: Type.Optional(Type.String({ maxLength: 200 })),
    action: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

function bounded(text: string | undefined, fallback: number, min: number, max: number): number {
  return text === undefined ? fallback : Math.min(max, Math.max(min, Number(text)));
}

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + 86_400_000).toISOString();
}

function userView(u: onboarding.TrackedUserRow) {
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

export interface PortalPluginOptions {
  ctx: OnrampContext;
}

/** The admin JSON API under /api/admin and the SPA at `/`. */
export async function portalPlugin(app: FastifyInstance, { ctx }: PortalPluginOptions): Promise<void> {
  const db = ctx.storage.db;
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  const allowedOrigins = new Set(ctx.config.portal.allowedOrigins);

  // CORS: only the configured origins, with credentials; everyone else gets no CORS headers at all.
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (!origin || !allowedOrigins.has(origin) || !req.url.startsWith('/api/')) return;
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-credentials', 'true');
    reply.header('vary', 'Origin');
    if (req.method === 'OPTIONS') {
      reply.header('access-control-allow-methods', 'GET, POST, DELETE');
      reply.header('access-control-allow-headers', 'content-type, authorization, x-csrf-token');
      reply.header('access-control-max-age', '600');
      return reply.code(204).send();
    }
  });

  const campaignId = async () => Number((await onboarding.defaultCampaign(db)).id);

  const reportService = new ReportService({ db, dialect: ctx.storage.dialect, clock: ctx.clock, log: ctx.log, settings: ctx.config.reports, branding: brandingFrom(ctx.config), instanceId: ctx.instanceId });
  const reportFilter = async (q: { batch?: string; status?: string; department?: string; from?: string; to?: string; search?: string }): Promise<ReportFilter> => ({
    campaignId: await campaignId(),
    batchId: q.batch,
    status: q.status,
    department: q.department,
    uploadedFrom: q.from ? `${q.from}T00:00:00.000Z` : undefined,
    uploadedBefore: q.to ? nextDay(q.to) : undefined,
    search: q.search,
  });

  typed.get('/api/admin/reports', { preHandler: requireRole('viewer'), schema: { tags: ['reports'], summary: 'Totals by status, completion, needs attention, per-batch and per-day activity', querystring: ReportQuery } }, async (req) => {
    const filter = await reportFilter(req.query);
    const [summary, filters] = await Promise.all([reportService.summary(filter, bounded(req.query.days, 30, 1, 366)), filterValues(db, filter.campaignId!)]);
    return {
      total: summary.total,
      byStatus: summary.byStatus,
      completionRate: summary.completionRate,
      needsAttention: summary.needsAttention,
      perBatch: summary.batches,
      activity: summary.recent.perDay,
      filters,
    };
  });

  typed.get(
    '/api/admin/reports/export.csv',
    {
      preHandler: requireRole('viewer'),
      schema: { tags: ['reports'], summary: 'CSV of the tracked users the report filters select, with the seed\'s column names (streamed; formulas neutralised)', querystring: ExportQuery },
    },
    async (req, reply) => {
      const filter = await reportFilter(req.query);
      await recordAudit(req, 'report.export', req.query.batch ?? null, req.query);
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="${reportService.csvFileName(filter)}"`);
      reply.header('cache-control', 'no-store');
      return reply.send(Readable.from(reportService.csv(filter)));
    },
  );

  // Made on first use (an SMTP pool or the Graph sender), closed with the app.
  let transport: MailTransport | undefined;
  app.addHook('onClose', async () => transport?.close());
  typed.post('/api/admin/reports/send', { preHandler: requireRole('admin'), schema: { tags: ['reports'], summary: 'Send the admin report email now (to the configured or the given recipients)', body: SendReportBody } }, async (req) => {
    const recipients = req.body.recipients ?? ctx.config.reports.recipients;
    if (recipients.length === 0) throw new OnrampError('ONRAMP_ERR_VALIDATION', ['no recipients given and none configured (reports.recipients)']);
    transport ??= createMailTransport(ctx.config.mail, ctx.graph, ctx.demoTenant?.sharedMailbox);
    const summary = await reportService.send(transport, recipients).catch((err: unknown) => {
      if (!(err instanceof MailDeliveryError)) throw err;
      req.log.warn({ err }, 'report email not accepted by the mail transport');
      throw new OnrampError('ONRAMP_ERR_MAIL_UNAVAILABLE', [], { cause: err });
    });
    await recordAudit(req, 'report.send', recipients.join(', '), { total: summary.total, completionRate: summary.completionRate });
    return { recipients, total: summary.total, completionRate: summary.completionRate };
  });

  typed.get('/api/admin/users', { preHandler: requireRole('viewer'), schema: { tags: ['users'], summary: 'Tracked users, filtered, sorted and paged on the server', querystring: UsersQuery } }, async (req) => {
    const q = req.query;
    const filter: onboarding.UserListFilter = { campaignId: await campaignId(), status: q.status, batchId: q.batch, department: q.department, search: q.search };
    const page = { offset: bounded(q.offset, 0, 0, 100_000_000), limit: bounded(q.limit, 50, 1, 500), sort: q.sort ?? 'updated_at', descending: q.desc !== 'false' };
    const [rows, total] = await Promise.all([onboarding.listUsers(db, filter, page), onboarding.countUsers(db, filter)]);
    return { total, offset: page.offset, limit: page.limit, users: rows.map(userView) };
  });

  typed.get('/api/admin/users/:id', { preHandler: requireRole('viewer'), schema: { tags: ['users'], summary: 'One user with the timeline of events', params: IdParams } }, async (req) => {
    const user = await onboarding.findById(db, Number(req.params.id));
    if (!user) throw new OnrampError('ONRAMP_ERR_TRACKED_USER_NOT_FOUND', [req.params.id]);
    const events = await onboarding.userEvents(db, Number(user.id));
    return {
      user: userView(user),
      timeline: events.map((e) => ({ at: e.at, type: e.type, actor: e.actor, detail: JSON.parse(e.detail) as unknown })),
    };
  });

  typed.delete('/api/admin/users/:id', { preHandler: requireRole('admin'), schema: { tags: ['users'], summary: 'Remove a user from the campaign (and its history)', params: IdParams } }, async (req, reply) => {
    const user = await onboarding.findById(db, Number(req.params.id));
    if (!user) throw new OnrampError('ONRAMP_ERR_TRACKED_USER_NOT_FOUND', [req.params.id]);
    await app.onboarding.removeUser(Number(user.id), req.principal!.subject);
    await recordAudit(req, 'user.remove', user.upn, { id: Number(user.id), batch: user.source_batch_id, status: user.invite_status });
    return reply.code(204).send();
  });

  typed.post(
    '/api/admin/users/:id/resend',
    { preHandler: requireRole('admin'), schema: { tags: ['users'], summary: 'Resend now: a new invitation cycle (Pending, new link; the old link stops working)', params: IdParams } },
    async (req) => {
      const before = await onboarding.findById(db, Number(req.params.id));
      if (!before) throw new OnrampError('ONRAMP_ERR_TRACKED_USER_NOT_FOUND', [req.params.id]);
      const user = await app.onboarding.resendNow(Number(before.id), req.principal!.subject);
      await recordAudit(req, 'user.resend', user.upn, { id: Number(user.id), previousStatus: before.invite_status });
      return { user: userView(user) };
    },
  );

  typed.get('/api/admin/audit', { preHandler: requireRole('viewer'), schema: { tags: ['audit'], summary: 'Audit log, newest first (keyset paging with beforeId)', querystring: AuditQuery } }, async (req) => {
    const q = req.query;
    const entries = await app.onrampAuth.audit.list({ limit: bounded(q.limit, 100, 1, 500), beforeId: q.beforeId === undefined ? undefined : Number(q.beforeId), actor: q.actor, action: q.action });
    return { entries };
  });

  typed.get('/api/admin/settings', { preHandler: requireRole('viewer'), schema: { tags: ['settings'], summary: 'Effective configuration, secrets redacted' } }, async () => {
    return { demo: ctx.demo, config: redactConfig(ctx.config) };
  });

  if (ctx.demoTenant) await app.register(mailboxRoutes, { receivedMail: ctx.demoTenant.receivedMail });

  // The SPA uses hash routes (#/users/12), so `/` is its only page and unknown paths stay JSON 404s.
  const indexFile = `${PORTAL_DIST}index.html`;
  const indexHtml = existsSync(indexFile) ? readFileSync(indexFile) : undefined;
  if (indexHtml) {
    await app.register(fastifyStatic, {
      root: PORTAL_DIST,
      prefix: '/',
      wildcard: false,
      index: false,
      setHeaders: (res) => {
        res.setHeader('content-security-policy', CSP);
        res.setHeader('x-content-type-options', 'nosniff');
      },
    });
  }
  app.get('/', async (_req, reply) => {
    securityHeaders(reply);
    reply.header('cache-control', 'no-cache');
    if (!indexHtml) return reply.type('text/plain; charset=utf-8').code(503).send('The portal is not built. Run `npm run build` (npm ci does it).');
    return reply.type('text/html; charset=utf-8').send(indexHtml);
  });
}
// The CORS hook must also see requests no route matches (preflights), so this plugin is not encapsulated.
(portalPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
