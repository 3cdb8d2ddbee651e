/**
 * The fleet's people-side admin API on the public listener (viewer role): a person's devices,
 * certificates and signature state; each mailbox's signature state and the list of them by state; the
 * device listener's audit log; the certificates it saw; the onboarding funnel over time. Read-only.
 * What viewers see of personal details (locations, addresses) follows fleet.viewersSeePersonalDetails.
 */
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { OnrampContext } from '../context.js';
import { ERROR_CATALOGUE, OnrampError, type OnrampErrorCode } from '../errors.js';
import { bounded, CountText } from '../http/query-text.js';
import { DAY_MS } from '../lib/clock.js';
import { userDevices } from '../devices/user-devices.js';
import { DirectoryFacts } from '../directory/directory-facts.js';
import { certificatesOfUser, certificateTotals, deviceCalls, refusalsByCode, seenCertificates, type SeenCertificate } from '../gateway/gateway-reads.js';
import { funnelOverTime, trackedUserIdOf } from '../onboarding/campaign-reads.js';
import type { DeploymentState } from '../signatures/deployment-state.js';
import type { SignaturePlanner } from '../signatures/model.js';
import { addinReportsOf } from '../addin/addin-states.js';
import { mailboxSignatureState } from './mailbox-state.js';
import {
  CertificateOverview,
  DeviceCallPage,
  FunnelAnswer,
  MailboxSignatureState,
  MailboxSignatureStatePage,
  PersonAnswer,
  SIGNATURE_STATES,
  type SeenCertificate as CertificateAnswer,
} from './people.schemas.js';

export interface PeopleHost {
  state: DeploymentState;
  planner: SignaturePlanner;
  viewerGuard: preHandlerAsyncHookHandler;
  /** The caller holds the admin role (from src/auth). */
  isAdmin: (req: FastifyRequest) => boolean;
}

const Address = Type.String({ minLength: 3, maxLength: 320, pattern: '^[^@\\s]+@[^@\\s]+$' });
const Instant = Type.String({
  maxLength: 40,
  pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?Z?)?$',
  description: 'ISO-8601 UTC date or date-time',
});
const DeviceCallsQuery = Type.Object(
  {
    refused: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    code: Type.Optional(Type.String({ pattern: '^ONRAMP_ERR_[A-Z_]{1,60}$' })),
    route: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    identity: Type.Optional(Type.String({ minLength: 1, maxLength: 320, description: 'A UPN or a certificate thumbprint' })),
    from: Type.Optional(Instant),
    to: Type.Optional(Instant),
    beforeId: Type.Optional(CountText('The nextBeforeId of the previous page')),
    limit: Type.Optional(CountText('Calls per page, 1-500 (default 100)')),
  },
  { additionalProperties: false },
);
const CertificatesQuery = Type.Object(
  {
    show: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('expiring'), Type.Literal('expired')])),
    withinDays: Type.Optional(CountText('What counts as expiring soon, 1-365 days (default 30)')),
    after: Type.Optional(Type.String({ maxLength: 120, pattern: '^[0-9T:.Z-]+\\|[0-9A-F]+$', description: 'The nextAfter of the previous page' })),
    limit: Type.Optional(CountText('Certificates per page, 1-500 (default 100)')),
  },
  { additionalProperties: false },
);
const MailboxesQuery = Type.Object(
  {
    state: Type.Optional(Type.Union(SIGNATURE_STATES.map((s) => Type.Literal(s)))),
    after: Type.Optional(Type.String({ maxLength: 320, description: 'The nextAfter of the previous page' })),
    limit: Type.Optional(CountText('Mailboxes per page, 1-100 (default 25)')),
  },
  { additionalProperties: false },
);

/** Mailboxes looked at per page when a state filter is set: a page costs a planner run per mailbox. */
const SCAN_PER_PAGE = 200;

/** "2026-12-04" reads as its start; a date-time as it is. */
const instant = (text: string) => new Date(text.length === 10 ? `${text}T00:00:00Z` : text.endsWith('Z') ? text : `${text}Z`);

/** A refusal code's meaning in words: its catalogue message with the specifics left out ("retry after … seconds"). */
function meaningOf(code: string): string {
  const entry = ERROR_CATALOGUE[code as OnrampErrorCode];
  return entry ? entry.message.replace(/: %s$/, '').replace(/%s/g, '…') : code;
}

export async function registerPeople(parent: FastifyInstance, ctx: OnrampContext, host: PeopleHost): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const db = ctx.storage.db;
  const directory = new DirectoryFacts(db);
  const detailsFor = (req: FastifyRequest) => host.isAdmin(req) || ctx.config.fleet.viewersSeePersonalDetails;

  const signatureStateOf = async (mailbox: string): Promise<MailboxSignatureState | null> => {
    const deployed = await host.state.mailbox(mailbox);
    return deployed ? mailboxSignatureState(deployed, await addinReportsOf(db, deployed.mailbox)) : null;
  };
  const certificate = (c: SeenCertificate, now: number, soon: number, details: boolean): CertificateAnswer => {
    const notAfter = Date.parse(c.notAfter);
    return { ...c, lastIp: details ? c.lastIp : null, validity: notAfter < now ? 'expired' : notAfter < soon ? 'expiring' : 'valid' };
  };

  app.get(
    '/api/fleet/people/:upn',
    { preHandler: host.viewerGuard, schema: { tags: ['fleet'], params: Type.Object({ upn: Address }), response: { 200: PersonAnswer } } },
    async (req) => {
      const upn = req.params.upn.trim().toLowerCase();
      const details = detailsFor(req);
      const person = await directory.person(upn);
      const now = ctx.clock.now().getTime();
      const [devices, certificates, signatures, trackedUserId] = await Promise.all([
        userDevices(db, upn),
        certificatesOfUser(db, upn),
        signatureStateOf(person?.mail ?? upn),
        trackedUserIdOf(db, upn),
      ]);
      return {
        upn,
        displayName: person?.attributes.displayName ?? null,
        trackedUserId,
        // As everywhere in the fleet view, a location only while devices.storeLocation is on (not rows kept before it was turned off).
        devices: devices.map((d) => ({ ...d, location: details && ctx.config.devices.storeLocation ? d.location : null })),
        certificates: certificates.map((c) => certificate(c, now, now + 30 * DAY_MS, details)),
        signatures,
        detailsHidden: !details,
      };
    },
  );

  app.get(
    '/api/fleet/mailboxes/:mailbox/signatures',
    { preHandler: host.viewerGuard, schema: { tags: ['fleet'], params: Type.Object({ mailbox: Address }), response: { 200: MailboxSignatureState } } },
    async (req) => {
      const state = await signatureStateOf(req.params.mailbox);
      if (!state) throw new OnrampError('ONRAMP_ERR_NO_SIGNATURES', [req.params.mailbox]);
      return state;
    },
  );

  app.get(
    '/api/fleet/mailboxes',
    { preHandler: host.viewerGuard, schema: { tags: ['fleet'], querystring: MailboxesQuery, response: { 200: MailboxSignatureStatePage } } },
    async (req) => {
      const limit = bounded(req.query.limit, 25, 1, 100);
      const wanted = req.query.state;
      const batch = await host.planner.mailboxesInScope(req.query.after ?? null, wanted ? SCAN_PER_PAGE : limit);
      const items: MailboxSignatureState[] = [];
      let last: string | null = null;
      for (const mailbox of batch) {
        last = mailbox;
        const state = await signatureStateOf(mailbox);
        if (state && (!wanted || state.state === wanted)) items.push(state);
        if (items.length === limit) break;
      }
      const more = last !== null && (last !== batch[batch.length - 1] || batch.length === (wanted ? SCAN_PER_PAGE : limit));
      return { items, nextAfter: more ? last : null, scanned: last === null ? 0 : batch.indexOf(last) + 1 };
    },
  );

  app.get(
    '/api/fleet/device-calls',
    { preHandler: host.viewerGuard, schema: { tags: ['fleet'], querystring: DeviceCallsQuery, response: { 200: DeviceCallPage } } },
    async (req) => {
      const q = req.query;
      const from = q.from ? instant(q.from) : undefined;
      const to = q.to ? instant(q.to) : undefined;
      if ([from, to].some((d) => d !== undefined && Number.isNaN(d.getTime())))
        throw new OnrampError('ONRAMP_ERR_VALIDATION', ['from and to must be real dates']);
      if (from && to && from >= to) throw new OnrampError('ONRAMP_ERR_VALIDATION', ['from must be before to']);
      const limit = bounded(q.limit, 100, 1, 500);
      const details = detailsFor(req);
      const [calls, refusals] = await Promise.all([
        deviceCalls(db, {
          refusedOnly: q.refused === 'true',
          code: q.code,
          route: q.route,
          identity: q.identity?.trim(),
          from: from?.toISOString(),
          to: to?.toISOString(),
          beforeId: q.beforeId === undefined ? undefined : Number(q.beforeId),
          limit: limit + 1,
        }),
        refusalsByCode(db),
      ]);
      const page = calls.slice(0, limit);
      return {
        items: page.map((c) => ({ ...c, ip: details ? c.ip : null, reason: c.code ? (c.reason ?? meaningOf(c.code)) : null })),
        nextBeforeId: calls.length > limit ? page[page.length - 1]!.id : null,
        refusals: refusals.map((r) => ({ ...r, meaning: meaningOf(r.code) })),
        detailsHidden: !details,
      };
    },
  );

  app.get(
    '/api/fleet/certificates',
    { preHandler: host.viewerGuard, schema: { tags: ['fleet'], querystring: CertificatesQuery, response: { 200: CertificateOverview } } },
    async (req) => {
      const q = req.query;
      const withinDays = bounded(q.withinDays, 30, 1, 365);
      const limit = bounded(q.limit, 100, 1, 500);
      const now = ctx.clock.now().getTime();
      const soon = now + withinDays * DAY_MS;
      const [nowIso, soonIso] = [new Date(now).toISOString(), new Date(soon).toISOString()];
      const show = q.show ?? 'all';
      const [afterNotAfter, afterThumbprint] = q.after?.split('|') ?? [];
      const rows = await seenCertificates(db, {
        expiresBefore: show === 'expiring' ? soonIso : show === 'expired' ? nowIso : undefined,
        notExpiredAt: show === 'expiring' ? nowIso : undefined,
        after: afterNotAfter && afterThumbprint ? { notAfter: afterNotAfter, thumbprint: afterThumbprint } : undefined,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const details = detailsFor(req);
      const lastRow = page[page.length - 1];
      return {
        withinDays,
        totals: await certificateTotals(db, nowIso, soonIso),
        items: page.map((c) => certificate(c, now, soon, details)),
        nextAfter: rows.length > limit && lastRow ? `${lastRow.notAfter}|${lastRow.thumbprint}` : null,
        detailsHidden: !details,
      };
    },
  );

  app.get(
    '/api/fleet/onboarding/funnel',
    {
      preHandler: host.viewerGuard,
      schema: {
        tags: ['fleet'],
        querystring: Type.Object({ days: Type.Optional(CountText('Days up to today, 1-366 (default 30)')) }, { additionalProperties: false }),
        response: { 200: FunnelAnswer },
      },
    },
    async (req) => ({ days: await funnelOverTime(db, ctx.clock.now(), bounded(req.query.days, 30, 1, 366)) }),
  );
}
