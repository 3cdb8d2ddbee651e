import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { OnrampContext } from '../context.js';
import { requireRole } from '../auth/auth.plugin.js';
import { bounded, CountText } from '../http/query-text.js';
import { mailboxRoutes } from './mailbox.routes.js';
import { AuditPage, SettingsAnswer } from './portal.schemas.js';

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

const AuditQuery = Type.Object(
  {
    limit: Type.Optional(CountText('Entries, 1-500 (default 100)')),
    beforeId: Type.Optional(CountText('Entries older than this id')),
    actor: Type.Optional(Type.String({ maxLength: 200 })),
    action: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

export interface PortalPluginOptions {
  ctx: OnrampContext;
  /** The settings in effect with every secret redacted (the assembly knows the whole schema). */
  redactedConfig: () => Record<string, unknown>;
}

/**
 * The portal shell: the SPA at `/` under a strict CSP, CORS for the admin API, and the cross-feature
 * admin routes (audit log, settings, the demo mailbox). Each feature registers its own admin routes
 * (onboarding's: src/onboarding/admin.routes.ts).
 */
export async function portalPlugin(app: FastifyInstance, { ctx, redactedConfig }: PortalPluginOptions): Promise<void> {
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
      reply.header('access-control-allow-methods', 'GET, POST, PUT, DELETE');
      reply.header('access-control-allow-headers', 'content-type, authorization, x-csrf-token');
      reply.header('access-control-max-age', '600');
      return reply.code(204).send();
    }
  });

  typed.get(
    '/api/admin/audit',
    {
      preHandler: requireRole('viewer'),
      schema: { tags: ['audit'], summary: 'Audit log, newest first (keyset paging with beforeId)', querystring: AuditQuery, response: { 200: AuditPage } },
    },
    async (req) => {
      const q = req.query;
      const entries = await app.onrampAuth.audit.list({
        limit: bounded(q.limit, 100, 1, 500),
        beforeId: q.beforeId === undefined ? undefined : Number(q.beforeId),
        actor: q.actor,
        action: q.action,
      });
      return { entries };
    },
  );

  typed.get(
    '/api/admin/settings',
    {
      preHandler: requireRole('viewer'),
      schema: { tags: ['settings'], summary: 'Effective configuration, secrets redacted', response: { 200: SettingsAnswer } },
    },
    async () => {
      return { demo: ctx.demo, config: redactedConfig() };
    },
  );

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
