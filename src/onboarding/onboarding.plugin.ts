import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { OnrampContext } from '../context.js';
import { OnrampError } from '../errors.js';
import { errorBody, HOT_ROUTE_LOG_LEVEL, toOnrampError } from '../http/common.js';
import { HOUR_MS } from '../lib/clock.js';
import { OnboardingService, type EnrolOutcome, type UploadResult } from './onboarding.service.js';
import type { GraphPort } from '../graph/graph-port.js';
import { OnboardingPages, type Page } from './onboarding.pages.js';
import { languageFromAcceptLanguage, languageOf } from './languages.js';
import { clientNetworkKey } from '../lib/client-address.js';
import { WindowRateLimiter } from '../lib/rate-limit.js';
import type { LinkOwner } from './link-lookups.js';
import { onboardingAdminRoutes, type AdminRoutesOptions } from './admin.routes.js';
import { emailTemplateRoutes } from './email-templates.routes.js';
import type { ReportService } from './reports.service.js';
import { brandingFrom, createReportService } from './invitations.scheduler.js';
import { decodeRoster } from './roster-csv.js';

export interface OnboardingPluginOptions {
  ctx: OnrampContext;
  service: OnboardingService;
  /**
   * Hook that admits admins only (src/auth `requireRole('admin')`), run as the request arrives, before
   * its body is read. Without it the upload route is not registered at all: an anonymous upload (the
   * seed's defect) is never served.
   */
  adminGuard?: preHandlerAsyncHookHandler | undefined;
  /** Names the caller in the user history (e.g. the authenticated principal). */
  actorOf?: ((req: FastifyRequest) => string) | undefined;
  /** Told of every stored upload, e.g. to write the admin audit log. */
  onUploaded?: ((req: FastifyRequest, result: UploadResult) => Promise<void>) | undefined;
}

/** The 43-byte transparent 1×1 GIF every open-pixel request gets. */
export const TRANSPARENT_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

/**
 * The link routes take whatever query they are given: a token that is missing, repeated or too long is
 * simply not one (the not-recognised page, the same GIF), never a validation error that would answer
 * differently from an unknown token.
 */
const LinkQuery = Type.Object({ token: Type.Optional(Type.Unknown()) });
const linkTokenText = (token: unknown): string => (typeof token === 'string' && token.length <= 200 ? token : '');
/** A missing or stale `csrf` shows the confirmation again (below), so only its size is checked here. */
const EnrolForm = Type.Object({ token: Type.String({ maxLength: 200 }), csrf: Type.Optional(Type.String({ maxLength: 200 })) });
/** Names the replaced-link page's form in its CSRF value, so an enrol form's value is not one. */
const FRESH_LINK_FORM = 'fresh-link';
/** The public forms' bodies are a token and a code, or an address. */
const FORM_BODY_LIMIT = 4096;
const ResendForm = Type.Object({ email: Type.String({ maxLength: 320 }) });
const BATCH_ID = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9 ._:@-]*$' });
const UploadOptions = {
  batchId: Type.Optional(BATCH_ID),
  resetExisting: Type.Optional(
    Type.Boolean({ description: 'Start a new invitation cycle (new link) for users already in the campaign; default: leave them as they are' }),
  ),
  dryRun: Type.Optional(Type.Boolean({ description: 'Answer what the upload would do, per user, without storing anything' })),
};
const UploadJson = Type.Object({ csv: Type.String(), ...UploadOptions }, { additionalProperties: false });
// Query strings are text (the app does not coerce types): the flags are matched as text.
const QueryFlag = Type.Union([Type.Literal('true'), Type.Literal('false')]);
const UploadQuery = Type.Object({ batchId: Type.Optional(BATCH_ID), resetExisting: Type.Optional(QueryFlag), dryRun: Type.Optional(QueryFlag) });

/** The seed answered JSON to `Accept: application/json` and to callers without a User-Agent (scripts). */
function wantsJson(req: FastifyRequest): boolean {
  return (req.headers.accept ?? '').includes('application/json') || !req.headers['user-agent'];
}

/**
 * Public onboarding routes at the seed's paths: upload (admins only), the enrol link and its seed alias,
 * the open pixel and the resend form.
 */
export async function onboardingRoutes(instance: FastifyInstance, options: OnboardingPluginOptions): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { ctx, service } = options;
  const config = ctx.config.onboarding;
  const pages = new OnboardingPages(config);
  const linkKey = config.linkSecret ? Buffer.from(config.linkSecret) : randomBytes(32);
  const perIp = new WindowRateLimiter(ctx.clock, config.resendPerIpPerHour, HOUR_MS);
  const perAddress = new WindowRateLimiter(ctx.clock, config.resendPerAddressPerHour, HOUR_MS);

  await app.register(formbody, { bodyLimit: FORM_BODY_LIMIT });

  /** The enrol form's CSRF value: bound to the link's token, unforgeable without the server key. */
  const csrfFor = (token: string, form = 'enrol') => createHmac('sha256', linkKey).update(`${form}:${token}`).digest('base64url');
  const csrfValid = (token: string, sent: string, form = 'enrol') => {
    const expected = Buffer.from(csrfFor(token, form));
    const given = Buffer.from(sent);
    return expected.length === given.length && timingSafeEqual(expected, given);
  };

  const defaultLanguage = languageOf(config.defaultLanguage, 'en');
  /** Pages that are about no known user, or must not tell whether they are (resend, fresh link), follow the browser. */
  const browserLanguage = (req: FastifyRequest) => languageFromAcceptLanguage(req.headers['accept-language'], defaultLanguage);
  /** A link's owner sees their directory language; one the run has not read yet, the browser's. */
  const userLanguage = (req: FastifyRequest, stored: string | null) => languageOf(stored, browserLanguage(req));

  function sendPage(reply: FastifyReply, page: Page) {
    return reply
      .code(page.status)
      .header('vary', 'accept-language')
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', pages.csp)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .send(page.html);
  }

  async function sendOutcome(req: FastifyRequest, reply: FastifyReply, outcome: EnrolOutcome, token: string) {
    if (wantsJson(req)) {
      const body = (() => {
        switch (outcome.kind) {
          case 'unknown':
            return { status: 404, success: false, message: 'Link not recognised', userEmail: null, addedToGroup: false, alreadyInGroup: false };
          case 'already-registered':
            return { status: 200, success: true, message: 'Already registered', userEmail: outcome.upn, addedToGroup: false, alreadyInGroup: outcome.inGroup };
          case 'enrolled':
            return {
              status: 200,
              success: true,
              message: 'Enrolled: continue to MFA setup',
              userEmail: outcome.upn,
              addedToGroup: !outcome.alreadyInGroup,
              alreadyInGroup: outcome.alreadyInGroup,
            };
          case 'failed':
            return {
              status: 503,
              success: false,
              message: 'Could not finish enrolment; please try again later',
              userEmail: outcome.upn,
              addedToGroup: false,
              alreadyInGroup: false,
            };
        }
      })();
      const { status, ...json } = body;
      return reply.code(status).header('cache-control', 'no-store').send(json);
    }
    switch (outcome.kind) {
      case 'unknown':
        // The link of an email a newer one replaced: offer a fresh link rather than a dead end.
        if (await service.isReplacedLink(token)) return sendPage(reply, pages.replaced(browserLanguage(req), token, csrfFor(token, FRESH_LINK_FORM)));
        return sendPage(reply, pages.notRecognised(browserLanguage(req)));
      case 'already-registered':
        return sendPage(reply, pages.alreadyRegistered(userLanguage(req, outcome.language), outcome.upn));
      case 'enrolled':
        return sendPage(reply, pages.enrolled(userLanguage(req, outcome.language), outcome.upn));
      case 'failed':
        return sendPage(reply, pages.failed(userLanguage(req, outcome.language), token, csrfFor(token)));
    }
  }

  const enrolLink = async (req: FastifyRequest<{ Querystring: { token?: unknown } }>, reply: FastifyReply) => {
    const token = linkTokenText(req.query.token);
    if (config.oneClickEnrol) return sendOutcome(req, reply, await service.enrol(token), token);
    // Scanner-safe default: a GET only shows the confirmation; the button's POST enrols.
    const user = await service.linkHolder(token);
    if (!user) return sendOutcome(req, reply, { kind: 'unknown' }, token);
    return sendConfirmation(req, reply, user, token);
  };

  function sendConfirmation(req: FastifyRequest, reply: FastifyReply, user: LinkOwner, token: string) {
    if (wantsJson(req)) {
      return reply.header('cache-control', 'no-store').send({
        success: true,
        message: 'Confirmation required: POST token and csrf to /api/enrol',
        userEmail: user.upn,
        addedToGroup: false,
        alreadyInGroup: user.in_group === 1,
        confirm: { method: 'POST', url: '/api/enrol', token, csrf: csrfFor(token) },
      });
    }
    return sendPage(reply, pages.confirm(userLanguage(req, user.preferred_language), user.upn, token, csrfFor(token)));
  }
  app.get('/api/enrol', { logLevel: HOT_ROUTE_LOG_LEVEL, schema: { querystring: LinkQuery } }, enrolLink);
  app.get('/api/track-mfa-click', { logLevel: HOT_ROUTE_LOG_LEVEL, schema: { querystring: LinkQuery } }, enrolLink);

  app.post('/api/enrol', { bodyLimit: FORM_BODY_LIMIT, schema: { body: EnrolForm } }, async (req, reply) => {
    const { token, csrf = '' } = req.body;
    const user = await service.userForToken(token);
    if (!user) return sendOutcome(req, reply, { kind: 'unknown' }, token);
    // A forged, stale or missing form value shows the confirmation again rather than an error.
    if (!csrfValid(token, csrf)) return sendConfirmation(req, reply, user, token);
    return sendOutcome(req, reply, await service.enrol(token), token);
  });

  // Answered from memory: the stamp is buffered (the service writes it shortly after), so the answer
  // cannot depend on whether the token exists, nor fail when the database does.
  app.get('/api/track-open', { logLevel: HOT_ROUTE_LOG_LEVEL, schema: { querystring: LinkQuery } }, (req, reply) => {
    service.recordOpen(linkTokenText(req.query.token));
    return reply
      .header('content-type', 'image/gif')
      .header('cache-control', 'no-store, no-cache, must-revalidate, max-age=0')
      .header('pragma', 'no-cache')
      .header('expires', '0')
      .send(TRANSPARENT_GIF);
  });

  // The replaced link's offer: a fresh link to the address on file. The answer is the same page whatever
  // the token, and the work is queued with the resend form's, so neither tells whether it was one.
  app.post('/api/fresh-link', { bodyLimit: FORM_BODY_LIMIT, schema: { body: EnrolForm } }, async (req, reply) => {
    const { token, csrf = '' } = req.body;
    if (!perIp.take(clientNetworkKey(req.ip)) || !perAddress.take(`link:${token}`)) return sendPage(reply, pages.tooManyRequests(browserLanguage(req)));
    if (csrfValid(token, csrf, FRESH_LINK_FORM)) await service.queueFreshLink(token);
    return sendPage(reply, pages.freshLinkRequested(browserLanguage(req)));
  });

  app.get('/api/resend', async (req, reply) => sendPage(reply, pages.resendForm(browserLanguage(req))));

  app.post('/api/resend', { bodyLimit: FORM_BODY_LIMIT, schema: { body: ResendForm } }, async (req, reply) => {
    const email = req.body.email.trim().toLowerCase();
    if (!perIp.take(clientNetworkKey(req.ip)) || !perAddress.take(email)) {
      if (wantsJson(req)) return reply.code(429).send(errorBody(reply, new OnrampError('ONRAMP_ERR_RATE_LIMITED')));
      return sendPage(reply, pages.tooManyRequests(browserLanguage(req)));
    }
    // Queued, not looked up: the answer's bytes and timing cannot depend on the address.
    service.queueResend(email);
    if (wantsJson(req)) return reply.header('cache-control', 'no-store').send({ message: 'Request received' });
    return sendPage(reply, pages.resendReceived(browserLanguage(req)));
  });

  if (options.adminGuard) {
    const guard = options.adminGuard;
    const actorOf = options.actorOf ?? (() => 'admin');
    await app.register(async (child) => {
      const upload = child.withTypeProvider<TypeBoxTypeProvider>();
      const limit = config.uploadLimitBytes;
      await upload.register(multipart, { limits: { fileSize: limit, files: 1, fields: 5, fieldSize: 1024 } });
      // Bytes, not a string: the file's encoding (UTF-8, or Excel's UTF-16 "Unicode text") is read from them.
      upload.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'buffer', bodyLimit: limit }, (_req, body, done) => {
        try {
          done(null, rosterText(body as Buffer));
        } catch (err) {
          done(err as Error, undefined);
        }
      });
      // The upload's 413 names the upload limit, not the server's ordinary body limit.
      upload.setErrorHandler((error, req, reply) => {
        const err = toOnrampError(error as FastifyError, limit);
        if (err.statusCode >= 500) req.log.error({ err: error }, 'request failed');
        return reply.code(err.statusCode).send(errorBody(reply, err));
      });
      upload.post(
        '/api/upload-users',
        {
          // Before the body is read: an anonymous caller must not get 20 MB parsed and validated first.
          onRequest: guard,
          bodyLimit: limit,
          schema: {
            querystring: UploadQuery,
            body: { content: { 'application/json': { schema: UploadJson }, 'text/csv': { schema: Type.String() }, 'text/plain': { schema: Type.String() } } },
          },
        },
        async (req) => {
          let csv: string | undefined;
          let batchId = req.query.batchId;
          let resetExisting = req.query.resetExisting === 'true';
          let dryRun = req.query.dryRun === 'true';
          if (req.isMultipart()) {
            for await (const part of req.parts()) {
              if (part.type === 'file') {
                if (csv === undefined) csv = rosterText(await part.toBuffer());
                else await part.toBuffer();
              } else if (part.fieldname === 'batchId' && typeof part.value === 'string' && part.value !== '') {
                batchId = part.value;
              }
            }
            if (csv === undefined) throw new OnrampError('ONRAMP_ERR_VALIDATION', ['multipart upload has no file part']);
          } else if (typeof req.body === 'string') {
            csv = req.body;
          } else {
            const body = req.body as { csv: string; batchId?: string; resetExisting?: boolean; dryRun?: boolean };
            csv = body.csv;
            batchId = body.batchId ?? batchId;
            resetExisting = body.resetExisting ?? resetExisting;
            dryRun = body.dryRun ?? dryRun;
          }
          if (batchId !== undefined && !/^[A-Za-z0-9][A-Za-z0-9 ._:@-]{0,99}$/.test(batchId)) {
            throw new OnrampError('ONRAMP_ERR_VALIDATION', ['batchId must be 1-100 letters, digits, spaces or ._:@-']);
          }
          const result = await service.upload(csv, { batchId, actor: actorOf(req), resetExisting, dryRun });
          if (!dryRun) await options.onUploaded?.(req, result);
          return result;
        },
      );
    });
  }
}

/** The uploaded file's text in its own encoding, or the 400 that names why it cannot be read. */
function rosterText(bytes: Buffer): string {
  const decoded = decodeRoster(bytes);
  if (!decoded.ok) throw new OnrampError('ONRAMP_ERR_CSV_UNREADABLE', [decoded.line, decoded.reason]);
  return decoded.text;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The onboarding service of this app: the workflow subscribes to `onUsersPending`. */
    onboarding: OnboardingService;
    /**
     * The one ReportService of this process: the admin API reads and sends with it, and src/main.ts hands
     * it to the background jobs (createOnboardingJobs), whose scheduled report runs on it.
     */
    onboardingReports: ReportService;
  }
}

/** What the admin API needs from its host: the viewer hook and the audit log (src/auth), besides `adminGuard`. */
export type OnboardingAdminHost = Pick<AdminRoutesOptions, 'viewerGuard' | 'audit'>;

/**
 * Builds the onboarding service and the report service for this app, exposes them as `app.onboarding`
 * and `app.onboardingReports`, and registers the routes: the public ones, and the admin API
 * (admin.routes.ts) when the host gives the role hooks and the audit log.
 */
export async function registerOnboarding(
  app: FastifyInstance,
  ctx: OnrampContext,
  extra: Pick<OnboardingPluginOptions, 'adminGuard' | 'actorOf' | 'onUploaded'> & {
    graph?: GraphPort | undefined;
    admin?: OnboardingAdminHost | undefined;
  } = {},
): Promise<OnboardingService> {
  // ctx.graph is being added to OnrampContext by the Graph feature; read it when present so enrolment
  // works as soon as it lands, without another edit here.
  const graph = extra.graph ?? (ctx as OnrampContext & { graph?: GraphPort }).graph;
  const service = new OnboardingService({ storage: ctx.storage, config: ctx.config, clock: ctx.clock, log: ctx.log, graph });
  app.decorate('onboarding', service);
  app.addHook('onClose', async () => service.idle());
  const reports = createReportService(ctx);
  app.decorate('onboardingReports', reports);
  await app.register(onboardingRoutes, { ctx, service, adminGuard: extra.adminGuard, actorOf: extra.actorOf, onUploaded: extra.onUploaded });
  if (extra.admin && extra.adminGuard) {
    const actorOf = extra.actorOf ?? (() => 'admin');
    await app.register(onboardingAdminRoutes, { ctx, service, reports, adminGuard: extra.adminGuard, actorOf, ...extra.admin });
    const inv = ctx.config.invitations;
    await app.register(emailTemplateRoutes, {
      ctx,
      branding: brandingFrom(ctx.config),
      subjects: { invitation: inv.subjectInvitation, reminder: inv.subjectReminder, escalation: inv.subjectEscalation },
      publicUrl: ctx.config.server.publicUrl ?? '',
      adminGuard: extra.adminGuard,
      actorOf,
      viewerGuard: extra.admin.viewerGuard,
      audit: extra.admin.audit,
    });
  }
  return service;
}
