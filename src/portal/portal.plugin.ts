import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { OnrampContext } from '../context.js';
import { redactConfig } from '../config/config.js';
import { OnrampError } from '../errors.js';
import { recordAudit, requireRole } from '../auth/auth.plugin.js';
import * as onboarding from '../onboarding/onboarding.queries.js';
import { USER_STATUS } from '../onboarding/onboarding.domain.js';
import * as reports from './portal.queries.js';
import { ReportService } from '../onboarding/reports.service.js';
import { Readable } from 'node:stream';

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

const ReportQuery = Type.Object(
  {
    batch: Type.Optional(Type.String({ maxLength: 200 })),
    department: Type.Optional(Type.String({ maxLength: 200 })),
    from: Type.Optional(Type.String({ format: 'date', description: 'Uploaded on or after this day (YYYY-MM-DD, UTC)' })),
    to: Type.Optional(Type.String({ format: 'date', description: 'Uploaded on or before this day (YYYY-MM-DD, UTC)' })),
    days: Type.Optional(Count('Days of activity in the chart, 1-366 (default 30)')),
  },
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

  typed.get('/api/admin/reports', { preHandler: requireRole('viewer'), schema: { tags: ['reports'], summary: 'Totals by status, completion, per-batch and per-day activity', querystring: ReportQuery } }, async (req) => {
    const q = req.query;
    const filter: reports.ReportFilter = {
      campaignId: await campaignId(),
      batchId: q.batch,
      department: q.department,
      from: q.from ? `${q.from}T00:00:00.000Z` : undefined,
      to: q.to ? nextDay(q.to) : undefined,
    };
    const byStatus = await reports.countsByStatus(db, filter);
    const total = byStatus.reduce((sum, r) => sum + r.n, 0);
    const active = byStatus.find((r) => r.status === USER_STATUS.Active)?.n ?? 0;
    const days = bounded(q.days, 30, 1, 366);
    const since = new Date(ctx.clock.now().getTime() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
    const activity: Record<string, Array<{ day: string; n: number }>> = {};
    for (const kind of ['invited', 'opened', 'clicked', 'activated'] as const) activity[kind] = await reports.perDay(db, filter, kind, since);
    return {
      total,
      byStatus: Object.fromEntries(byStatus.map((r) => [r.status, r.n])),
      completionRate: total === 0 ? 0 : Math.round((active / total) * 1000) / 10,
      perBatch: await reports.countsByBatch(db, filter, USER_STATUS.Active),
      activity: { since, ...activity },
      filters: await reports.filterValues(db, filter.campaignId),
    };
  });

  const b = ctx.config.onboarding.branding;
  const reportService = new ReportService({
    db,
    clock: ctx.clock,
    log: ctx.log,
    settings: ctx.config.reports,
    branding: { companyName: b.companyName, supportTeam: b.supportTeam, supportEmail: b.supportAddress || ctx.config.mail.from, primaryColor: b.primaryColor },
  });

  typed.get(
    '/api/admin/reports/export.csv',
    {
      preHandler: requireRole('viewer'),
      schema: { tags: ['reports'], summary: 'CSV of every tracked user in scope, with the seed\'s column names (streamed; formulas neutralised)', querystring: Type.Object({ batch: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }) },
    },
    async (req, reply) => {
      const filter = { campaignId: await campaignId(), batchId: req.query.batch };
      await recordAudit(req, 'report.export', req.query.batch ?? null);
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="${reportService.csvFileName(filter)}"`);
      reply.header('cache-control', 'no-store');
      return reply.send(Readable.from(reportService.csv(filter)));
    },
  );

  typed.get('/api/admin/users', { preHandler: requireRole('viewer'), schema: { tags: ['users'], summary: 'Tracked users, filtered, sorted and paged on the server', querystring: UsersQuery } }, async (req) => {
    const q = req.query;
    const filter: onboarding.UserListFilter = { campaignId: await campaignId(), status: q.status, batchId: q.batch, department: q.department, search: q.search };
    const page = { offset: bounded(q.offset, 0, 0, 100_000_000), limit: bounded(q.limit, 50, 1, 500), sort: q.sort ?? 'updated_at', descending: q.desc !== 'false' };
    const [rows, total] = await Promise.all([onboarding.listUsers(db, filter, page), onboarding.countUsers(db, filter)]);
    return { total, offset: page.offset, limit: page.limit, users: rows.map(userView) };
  });

  typed.get('/api/admin/users/:id', { preHandler: requireRole('viewer'), schema: { tags: ['users'], summary: 'One user with the timeline of events', params: IdParams } }, async (req) => {
    const user = await onboarding.findById(db, Number(req.params.id));
    if (!user) throw new OnrampError('ONRAMP_ERR_NOT_FOUND', [`user ${req.params.id}`]);
    const events = await onboarding.userEvents(db, Number(user.id));
    return {
      user: userView(user),
      timeline: events.map((e) => ({ at: e.at, type: e.type, actor: e.actor, detail: JSON.parse(e.detail) as unknown })),
    };
  });

  typed.delete('/api/admin/users/:id', { preHandler: requireRole('admin'), schema: { tags: ['users'], summary: 'Remove a user from the campaign (and its history)', params: IdParams } }, async (req, reply) => {
    const user = await onboarding.findById(db, Number(req.params.id));
    if (!user || !(await onboarding.deleteUser(db, Number(user.id)))) throw new OnrampError('ONRAMP_ERR_NOT_FOUND', [`user ${req.params.id}`]);
    await recordAudit(req, 'user.remove', user.upn, { id: Number(user.id), batch: user.source_batch_id, status: user.invite_status });
    return reply.code(204).send();
  });

  typed.get('/api/admin/audit', { preHandler: requireRole('viewer'), schema: { tags: ['audit'], summary: 'Audit log, newest first (keyset paging with beforeId)', querystring: AuditQuery } }, async (req) => {
    const q = req.query;
    const entries = await app.onrampAuth.audit.list({ limit: bounded(q.limit, 100, 1, 500), beforeId: q.beforeId === undefined ? undefined : Number(q.beforeId), actor: q.actor, action: q.action });
    return { entries };
  });

  typed.get('/api/admin/settings', { preHandler: requireRole('viewer'), schema: { tags: ['settings'], summary: 'Effective configuration, secrets redacted' } }, async () => {
    return { demo: ctx.demo, config: redactConfig(ctx.config) };
  });

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
