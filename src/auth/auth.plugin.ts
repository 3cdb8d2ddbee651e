/**
 * Sign-in and authorisation for the public listener.
 *
 * HOW FEATURES PROTECT A ROUTE (the one API other folders need):
 *
 *   import { requireRole, recordAudit } from '../auth/auth.plugin.js';
 *   app.post('/api/upload-users', { preHandler: requireRole('admin') }, async (req) => {
 *     req.principal;                                  // who is calling (set by requireRole)
 *     await recordAudit(req, 'users.upload', batchId, { added: 12 });
 *   });
 *
 * `requireRole('viewer')` lets viewers and admins in (read-only routes); `requireRole('admin')` only
 * admins (anything that changes state). A caller proves who they are with either
 * - `Authorization: Bearer onr_…` (an API token from `onramp token create`), or
 * - the portal's session cookie; then every non-GET/HEAD/OPTIONS request must also carry the
 *   session's CSRF token in `x-csrf-token` (synchronizer token, from GET /api/auth/session).
 * Failures are catalogue errors: 401 ONRAMP_ERR_UNAUTHENTICATED, 403 ONRAMP_ERR_FORBIDDEN,
 * 403 ONRAMP_ERR_CSRF.
 *
 * `authPlugin` must be registered on the app before the routes that use `requireRole` are called
 * (src/app.ts does it first). It registers @fastify/cookie on the whole app, so features must not
 * register it again.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { OnrampContext } from '../context.js';
import { OnrampError } from '../errors.js';
import { roleSatisfies, type AuditEntry, type Principal, type Role } from './auth.model.js';
import { AuditLog, AuthService, MIN_PASSWORD_LENGTH, USERNAME_PATTERN } from './auth.service.js';
import { randomId, sameSecret } from './secrets.js';
import { clientNetworkKey } from '../lib/client-address.js';
import { WindowRateLimiter } from '../lib/rate-limit.js';
import { OidcSignIn, oidcConfigured } from './oidc.js';
import { SessionAnswer, SignedIn } from './auth.schemas.js';

declare module 'fastify' {
  /** Route documentation picked up by /api/openapi.json. */
  interface FastifySchema {
    tags?: string[];
    summary?: string;
  }
  interface FastifyInstance {
    onrampAuth: AuthRuntime;
  }
  interface FastifyRequest {
    /** Set by `requireRole` once the caller is authenticated and authorised. */
    principal?: Principal;
  }
}

export interface AuthRuntime {
  service: AuthService;
  audit: AuditLog;
  oidc?: OidcSignIn;
  /** While no local admin exists: the one-time code the first-run setup asks for (also logged). */
  setupCode?: string;
  cookieName: string;
  /** Who the request is from, or undefined; throws 401 for a malformed or unknown Bearer token. */
  authenticate(req: FastifyRequest): Promise<Principal | undefined>;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_HEADER = 'x-csrf-token';

/** The sign-in screen's notice for an account that signed in but holds no onramp role (`/?signin=no-role`). */
export const NO_ROLE_NOTICE = 'no-role';

/** A preHandler that lets the request through only for a caller holding `role` (admin ⊇ viewer). */
export function requireRole(role: Role): preHandlerAsyncHookHandler {
  return async function checkRole(req: FastifyRequest) {
    const auth = req.server.onrampAuth;
    const principal = await auth.authenticate(req);
    if (!principal) throw new OnrampError('ONRAMP_ERR_UNAUTHENTICATED');
    if (principal.kind === 'session' && !SAFE_METHODS.has(req.method)) checkCsrf(req, principal);
    if (!roleSatisfies(principal.role, role)) throw new OnrampError('ONRAMP_ERR_FORBIDDEN', [role]);
    req.principal = principal;
  };
}

function checkCsrf(req: FastifyRequest, principal: Principal): void {
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !principal.csrfToken || !sameSecret(sent, principal.csrfToken)) {
    throw new OnrampError('ONRAMP_ERR_CSRF');
  }
}

/** Writes an audit entry for the request's caller (after `requireRole`), with address and request id. */
export async function recordAudit(req: FastifyRequest, action: string, target?: string | null, details?: unknown): Promise<void> {
  const p = req.principal;
  await req.server.onrampAuth.audit.write({
    actor: p?.subject ?? 'anonymous',
    actorKind: p?.kind ?? 'anonymous',
    action,
    target: target ?? null,
    details,
    ip: req.ip,
    requestId: String(req.id),
  });
}

async function auditAs(req: FastifyRequest, actor: string, actorKind: AuditEntry['actorKind'], action: string, details?: unknown) {
  await req.server.onrampAuth.audit.write({ actor, actorKind, action, details, ip: req.ip, requestId: String(req.id) });
}

/** False also when the database is not migrated yet: /readyz reports that, the app must still build. */
async function needsFirstRunSetup(service: AuthService): Promise<boolean> {
  try {
    return !(await service.localAdminExists());
  } catch {
    return false;
  }
}

/** How a failed sign-in with a name that is no admin's appears in the audit log. */
const UNKNOWN_USER_NAME = '(unknown user name)';

/** Sign-in attempts allowed per window: generous for people, tight for a guessing script. */
const SIGN_IN_WINDOW_MS = 15 * 60_000;
const SIGN_IN_ATTEMPTS_PER_USER = 10;
const SIGN_IN_ATTEMPTS_PER_NETWORK = 30;

export interface AuthPluginOptions {
  ctx: OnrampContext;
}

export async function authPlugin(app: FastifyInstance, { ctx }: AuthPluginOptions): Promise<void> {
  const config = ctx.config.auth;
  const service = new AuthService(ctx.storage.db, config, ctx.clock);
  const audit = new AuditLog(ctx.storage.db, ctx.clock);
  // The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and Path=/.
  const cookieName = config.cookieSecure ? '__Host-onramp_session' : 'onramp_session';
  const runtime: AuthRuntime = {
    service,
    audit,
    cookieName,
    async authenticate(req) {
      const header = req.headers.authorization;
      if (header !== undefined) {
        const match = /^Bearer (\S+)$/i.exec(header);
        const principal = match ? await service.authenticateToken(match[1]!) : undefined;
        // A wrong token is an error even if a cookie is present too: automation should fail loudly.
        if (!principal) throw new OnrampError('ONRAMP_ERR_UNAUTHENTICATED');
        return principal;
      }
      const cookie = req.cookies[cookieName];
      return cookie ? service.authenticateSession(cookie) : undefined;
    },
  };
  if (oidcConfigured(config.oidc)) runtime.oidc = new OidcSignIn(config.oidc, ctx.log);
  else if (ctx.demoTenant) {
    const { caPem, ...signIn } = ctx.demoTenant.signIn;
    runtime.oidc = new OidcSignIn({ ...config.oidc, ...signIn, clientCertificateKeyFile: undefined, caFile: undefined }, ctx.log, caPem);
  }
  if (config.localAdmin && (await needsFirstRunSetup(service))) {
    runtime.setupCode = randomId(9);
    ctx.log.warn({ setupCode: runtime.setupCode }, 'no local admin yet: open the portal and finish first-run setup with this code');
  }
  app.decorate('onrampAuth', runtime);
  await app.register(fastifyCookie);

  // Password guessing: sign-in and setup attempts per client network and per user name. Each attempt
  // also costs ~200 ms of scrypt on libuv's shared threads, so the limit protects the server too.
  const attemptsPerNetwork = new WindowRateLimiter(ctx.clock, SIGN_IN_ATTEMPTS_PER_NETWORK, SIGN_IN_WINDOW_MS);
  const attemptsPerUser = new WindowRateLimiter(ctx.clock, SIGN_IN_ATTEMPTS_PER_USER, SIGN_IN_WINDOW_MS);
  const limitAttempts = (req: FastifyRequest, username: string) => {
    if (!attemptsPerNetwork.take(clientNetworkKey(req.ip)) || !attemptsPerUser.take(username.toLowerCase())) throw new OnrampError('ONRAMP_ERR_RATE_LIMITED');
  };

  const typed = app.withTypeProvider<TypeBoxTypeProvider>();

  const setSessionCookie = (reply: FastifyReply, value: string, expiresAt: Date) =>
    reply.setCookie(cookieName, value, {
      path: '/',
      httpOnly: true,
      secure: config.cookieSecure,
      sameSite: 'lax',
      expires: expiresAt,
    });

  typed.get(
    '/api/auth/session',
    { schema: { tags: ['auth'], summary: 'Who is signed in, how one can sign in, and the CSRF token', response: { 200: SessionAnswer } } },
    async (req) => {
      const principal = await runtime.authenticate(req);
      return {
        signedIn: principal !== undefined,
        user: principal ? { subject: principal.subject, displayName: principal.displayName, role: principal.role, kind: principal.kind } : null,
        csrfToken: principal?.csrfToken ?? null,
        methods: { local: config.localAdmin, oidc: runtime.oidc !== undefined },
        setupRequired: config.localAdmin && runtime.setupCode !== undefined,
        demo: ctx.demo,
        /** The demo's Mailbox screen exists (the tenant simulator runs in-process). */
        mailbox: ctx.demoTenant !== undefined,
      };
    },
  );

  const credentials = Type.Object(
    {
      username: Type.String({ pattern: USERNAME_PATTERN }),
      password: Type.String({ minLength: 1, maxLength: 1024 }),
    },
    { additionalProperties: false },
  );

  typed.post(
    '/api/auth/setup',
    {
      schema: {
        tags: ['auth'],
        summary: 'First-run setup: create the first local admin (needs the setup code from the log)',
        body: Type.Object(
          {
            username: Type.String({ pattern: USERNAME_PATTERN }),
            password: Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 1024 }),
            setupCode: Type.String({ minLength: 1, maxLength: 64 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: SignedIn },
      },
    },
    async (req, reply) => {
      if (!config.localAdmin) throw new OnrampError('ONRAMP_ERR_LOCAL_ADMIN_DISABLED');
      const code = runtime.setupCode;
      if (!code) throw new OnrampError('ONRAMP_ERR_SETUP_DONE');
      limitAttempts(req, req.body.username);
      if (!sameSecret(req.body.setupCode, code)) throw new OnrampError('ONRAMP_ERR_SETUP_CODE');
      if (!(await service.setupFirstLocalAdmin(req.body.username, req.body.password))) {
        runtime.setupCode = undefined;
        throw new OnrampError('ONRAMP_ERR_SETUP_DONE');
      }
      runtime.setupCode = undefined;
      await auditAs(req, req.body.username, 'session', 'auth.setup');
      const session = await service.createSession({ subject: req.body.username, displayName: req.body.username, role: 'admin', method: 'local' });
      setSessionCookie(reply, session.cookieValue, session.expiresAt);
      return reply.code(201).send({ csrfToken: session.csrfToken });
    },
  );

  typed.post(
    '/api/auth/login',
    { schema: { tags: ['auth'], summary: 'Sign in as a local admin', body: credentials, response: { 200: SignedIn } } },
    async (req, reply) => {
      if (!config.localAdmin) throw new OnrampError('ONRAMP_ERR_LOCAL_ADMIN_DISABLED');
      limitAttempts(req, req.body.username);
      const check = await service.verifyLocalAdmin(req.body.username, req.body.password);
      if (!check.ok) {
        // An unknown name is not written down: it is often a password typed into the wrong field.
        await auditAs(req, check.known ? req.body.username : UNKNOWN_USER_NAME, 'anonymous', 'auth.login.failed');
        throw new OnrampError('ONRAMP_ERR_LOGIN_FAILED');
      }
      const session = await service.createSession({ subject: req.body.username, displayName: req.body.username, role: 'admin', method: 'local' });
      await auditAs(req, req.body.username, 'session', 'auth.login', { method: 'local' });
      setSessionCookie(reply, session.cookieValue, session.expiresAt);
      return { csrfToken: session.csrfToken };
    },
  );

  typed.post('/api/auth/logout', { schema: { tags: ['auth'], summary: 'End the portal session' }, preHandler: requireRole('viewer') }, async (req, reply) => {
    const cookie = req.cookies[cookieName];
    if (cookie) await service.endSession(cookie);
    await recordAudit(req, 'auth.logout');
    reply.clearCookie(cookieName, { path: '/', secure: config.cookieSecure, httpOnly: true, sameSite: 'lax' });
    return reply.code(204).send();
  });

  if (runtime.oidc) {
    const oidc = runtime.oidc;
    // __Secure-, not __Host-: this cookie is scoped to a path, which the __Host- prefix forbids.
    const flowCookie = config.cookieSecure ? '__Secure-onramp_oidc' : 'onramp_oidc';
    const publicUrl = ctx.config.server.publicUrl;
    const origin = (req: FastifyRequest) => publicUrl ?? `${req.protocol}://${req.host}`;
    // Normalised through URL (a default port dropped), as openid-client sends it back at the token
    // endpoint: the identity provider compares the two as strings.
    const redirectUri = (req: FastifyRequest) => new URL(`${origin(req)}/api/auth/oidc/callback`).href;

    typed.get(
      '/api/auth/oidc/login',
      { schema: { tags: ['auth'], summary: 'Start single sign-on (redirects to the identity provider)' } },
      async (req, reply) => {
        const { url, state } = await oidc.start(redirectUri(req));
        // The PKCE verifier, state and nonce wait in a short-lived httpOnly cookie, signed by being
        // unguessable: nothing about the flow is stored server-side until it completes.
        reply.setCookie(flowCookie, state, { path: '/api/auth/oidc', httpOnly: true, secure: config.cookieSecure, sameSite: 'lax', maxAge: 600 });
        return reply.redirect(url.href, 302);
      },
    );

    typed.get('/api/auth/oidc/callback', { schema: { tags: ['auth'], summary: 'Single sign-on callback' } }, async (req, reply) => {
      const flow = req.cookies[flowCookie];
      reply.clearCookie(flowCookie, { path: '/api/auth/oidc', secure: config.cookieSecure, httpOnly: true, sameSite: 'lax' });
      // The callback as the browser reached it: the redirect URI (which may sit under a proxy prefix) plus the answer's query.
      const currentUrl = new URL(redirectUri(req));
      currentUrl.search = new URL(req.url, 'http://callback').search;
      const identity = await oidc.finish(currentUrl, flow);
      if (!identity.role) {
        await auditAs(req, identity.subject, 'anonymous', 'auth.oidc.no-role');
        // A browser lands on the portal's own page saying so (with a way back); scripts get the JSON error.
        if ((req.headers.accept ?? '').includes('text/html')) return reply.redirect(`/?signin=${NO_ROLE_NOTICE}`, 302);
        throw new OnrampError('ONRAMP_ERR_NO_ROLE');
      }
      const session = await service.createSession({ subject: identity.subject, displayName: identity.displayName, role: identity.role, method: 'oidc' });
      await auditAs(req, identity.subject, 'session', 'auth.login', { method: 'oidc', role: identity.role });
      setSessionCookie(reply, session.cookieValue, session.expiresAt);
      return reply.redirect('/', 302);
    });
  }
}
// Decorators, the cookie parser and requireRole must reach every sibling plugin (fastify-plugin's marker).
(authPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
