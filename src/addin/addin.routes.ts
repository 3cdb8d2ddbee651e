/**
 * The Outlook add-in's API on the public listener (the add-in runs in Outlook's browser and is served
 * by onramp, so its calls are same-origin: no CORS). Every call carries the user's Entra ID access
 * token for onramp's API app; the token's user gets only their own mailbox's signatures.
 *
 * GET /api/addin/signatures?compose=new|reply&mailbox=<address>: the signature to insert for that kind
 * of mail (`signature: null` when none is the default for it, e.g. no signature on replies) and every
 * signature the user may pick instead in the taskpane. The mailbox is the user's own or a shared one they
 * may send as (send-as.ts). The ETag is the set's version and the compose
 * kind: an add-in holding it gets 304.
 *
 * POST /api/addin/events: what the add-in did on an event (inserted which version, nothing, or failed),
 * answered 202 at once and written in batches, the latest per mailbox, platform and kind of mail.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { OnrampError } from '../errors.js';
import { HOT_ROUTE_LOG_LEVEL } from '../http/common.js';
import type { ExpectedMailboxSignatures, SignaturePlanner } from '../signatures/model.js';
import { UpstreamError } from '../graph/graph-port.js';
import type { SendAsCheck, SendAsVerdict } from './send-as.js';
import type { AddinTokenValidator, AddinUser } from './token-validator.js';
import { ifNoneMatchHolds, NOT_MODIFIED } from '../http/conditional.js';

const Query = Type.Object(
  {
    compose: Type.Union([Type.Literal('new'), Type.Literal('reply')], { default: 'new', description: 'New mail (and appointments) or reply/forward' }),
    mailbox: Type.Optional(
      Type.String({ minLength: 3, maxLength: 320, description: "The account in use (Office's userProfile or the shared mailbox); default: the token's user" }),
    ),
  },
  { additionalProperties: false },
);

const AddinSignature = Type.Object({
  name: Type.String(),
  webHtml: Type.String({ description: 'HTML for item.body.setSignatureAsync' }),
  version: Type.String({ description: 'SHA-256 of the rendered signature, reported back with events' }),
});

export const AddinSignatures = Type.Object({
  mailbox: Type.String(),
  compose: Type.Union([Type.Literal('new'), Type.Literal('reply')]),
  setHash: Type.String(),
  signature: Type.Union([AddinSignature, Type.Null()], { description: 'What to insert; null: insert nothing for this kind of mail' }),
  alternatives: Type.Array(AddinSignature, { description: 'Every signature of the mailbox, for the taskpane' }),
});

export const AddinEvent = Type.Object(
  {
    mailbox: Type.String({ minLength: 3, maxLength: 320 }),
    compose: Type.Union([Type.Literal('new'), Type.Literal('reply'), Type.Literal('appointment')]),
    outcome: Type.Union([Type.Literal('inserted'), Type.Literal('none'), Type.Literal('failed')]),
    version: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$', description: 'The inserted signature version' })),
    reason: Type.Optional(Type.String({ maxLength: 200, description: "Why it failed (the add-in's short reason)" })),
    platform: Type.String({ minLength: 1, maxLength: 40, description: 'Office.context.diagnostics.platform' }),
    hostVersion: Type.Optional(Type.String({ maxLength: 40, description: 'Office.context.diagnostics.version' })),
  },
  { additionalProperties: false },
);
export type AddinEvent = Static<typeof AddinEvent>;

/** A report of the add-in, as recorded. */
export interface AddinReport extends AddinEvent {
  reportedBy: string;
  reportedAt: string;
}

/** The token's user, or the 401 (with the Bearer challenge RFC 6750 asks for) / 503 it earns. */
export async function authenticate(validator: AddinTokenValidator, authorization: string | undefined, reply: FastifyReply): Promise<AddinUser> {
  const verdict = await validator.verify(authorization);
  if (verdict.ok) return verdict.user;
  if (verdict.reason === 'keys_unavailable') throw new OnrampError('ONRAMP_ERR_ADDIN_KEYS_UNAVAILABLE', [verdict.detail]);
  const challenge = verdict.reason === 'missing_token' ? 'Bearer' : `Bearer error="invalid_token", error_description="${verdict.reason}"`;
  reply.header('www-authenticate', challenge);
  throw new OnrampError('ONRAMP_ERR_ADDIN_TOKEN_INVALID', [verdict.detail], { details: { reason: verdict.reason } });
}

/**
 * The signatures of the asked mailbox: the token user's own (the planner resolves an address to its
 * directory entry, whose UPN must be the token's), or a shared mailbox Exchange lets the user send as.
 * Any other address, known or not, gets the same 403; the Exchange check runs for unknown addresses too,
 * so the answer's timing does not tell them apart either.
 */
async function allowedMailbox(
  planner: Pick<SignaturePlanner, 'expectedFor'>,
  sendAs: SendAsCheck | undefined,
  user: AddinUser,
  mailbox: string | undefined,
  reply: FastifyReply,
): Promise<ExpectedMailboxSignatures> {
  const asked = (mailbox ?? user.userPrincipalName).trim().toLowerCase();
  const expected = await planner.expectedFor(asked);
  if (expected && expected.userPrincipalName.toLowerCase() === user.userPrincipalName) return expected;
  if (!sendAs) throw new OnrampError('ONRAMP_ERR_ADDIN_MAILBOX_NOT_ALLOWED', [asked]);
  let verdict: SendAsVerdict;
  try {
    verdict = await sendAs.check(asked, user.userPrincipalName);
  } catch (err) {
    // Exchange down or throttling: the runtime falls back to its cached signature.
    throw new OnrampError('ONRAMP_ERR_UPSTREAM_UNAVAILABLE', [err instanceof UpstreamError ? (err.requestId ?? err.code) : 'none'], { cause: err });
  }
  if ('throttledSeconds' in verdict) {
    reply.header('retry-after', String(verdict.throttledSeconds));
    throw new OnrampError('ONRAMP_ERR_THROTTLED', [verdict.throttledSeconds]);
  }
  if (!verdict.allowed || !expected) throw new OnrampError('ONRAMP_ERR_ADDIN_MAILBOX_NOT_ALLOWED', [asked]);
  return expected;
}

export async function addinRoutes(
  parent: FastifyInstance,
  opts: {
    planner: Pick<SignaturePlanner, 'expectedFor'>;
    validator: AddinTokenValidator;
    record: (report: AddinReport) => void;
    /** Shared mailboxes the user sends as; without it only the user's own mailbox is served. */
    sendAs?: SendAsCheck;
  },
): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/addin/signatures',
    {
      logLevel: HOT_ROUTE_LOG_LEVEL,
      schema: { querystring: Query, response: { 200: AddinSignatures, 304: NOT_MODIFIED } },
    },
    async (req, reply) => {
      const user = await authenticate(opts.validator, req.headers.authorization, reply);
      const expected = await allowedMailbox(opts.planner, opts.sendAs, user, req.query.mailbox, reply);
      const compose = req.query.compose;
      const etag = `"${expected.setHash}.${compose}"`;
      reply.header('etag', etag).header('cache-control', 'private, no-cache').header('vary', 'authorization');
      if (ifNoneMatchHolds(req.headers['if-none-match'], etag)) return reply.code(304).send();
      const shaped = expected.signatures.map((s) => ({ name: s.name, webHtml: s.rendered.webHtml, version: s.rendered.hash }));
      const chosen = expected.signatures.findIndex((s) => s.defaultFor.includes(compose));
      return { mailbox: expected.mailbox, compose, setHash: expected.setHash, signature: chosen === -1 ? null : shaped[chosen]!, alternatives: shaped };
    },
  );

  app.post(
    '/api/addin/events',
    { logLevel: HOT_ROUTE_LOG_LEVEL, bodyLimit: 4096, schema: { body: AddinEvent, response: { 202: Type.Null({ description: 'Recorded' }) } } },
    async (req, reply) => {
      const user = await authenticate(opts.validator, req.headers.authorization, reply);
      const expected = await allowedMailbox(opts.planner, opts.sendAs, user, req.body.mailbox, reply);
      opts.record({ ...req.body, mailbox: expected.mailbox, reportedBy: user.userPrincipalName, reportedAt: new Date().toISOString() });
      return reply.code(202).send(null);
    },
  );
}
