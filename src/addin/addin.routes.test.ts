/**
 * The add-in's signature route with tokens from the tenant simulator's identity platform, validated as
 * Entra's are (OpenID configuration, JWKS over HTTPS): the token's user gets their own signature, every
 * other token (none, expired, another audience, tenant, scope, signer) gets 401 with a Bearer challenge,
 * and nobody gets someone else's mailbox.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { Agent, fetch as undiciFetch } from 'undici';
import { SignJWT, generateKeyPair } from 'jose';
import type { RunningSimulator } from '../simulator/index.js';
import { startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import type { SimUser } from '../simulator/tenant.js';
import { installErrorHandling } from '../http/common.js';
import { sqliteBackend, type TestStorage } from '../../test/support/storage.js';
import { DirectoryPlanner } from '../../test/support/signature-planner.js';
import type { SignaturePlanner } from '../signatures/model.js';
import { addinRoutes } from './addin.routes.js';
import { AddinTokenValidator } from './token-validator.js';
import { SendAsCheck } from './send-as.js';
import { addinReportWriter } from './addin-reports.js';
import { addinStatesOf } from './addin.queries.js';
import { createLogger } from '../lib/logger.js';
import type { BatchedWriter } from '../lib/batched-writer.js';
import type { AddinReport } from './addin.routes.js';

const API_CLIENT_ID = '6f1c2a9e-3b7d-4e55-9a10-0c2d8e4f7a31';
const ADDIN_CLIENT_ID = 'a7e0d3c4-1f2b-4c5d-8e9f-001122334455';
const SCOPE = 'Signatures.Read';

describe('GET /api/addin/signatures', () => {
  let tenant: TestTenant;
  let sim: RunningSimulator;
  let storage: TestStorage;
  let app: FastifyInstance;
  let planner: DirectoryPlanner;
  let validator: AddinTokenValidator;
  let ada: SimUser;
  let bob: SimUser;
  let jwksFetches = 0;
  let reports: BatchedWriter<AddinReport>;

  const tokenFor = (user: SimUser, o: { audience?: string; scope?: string; lifetimeSeconds?: number; shiftSeconds?: number; tenantId?: string } = {}) =>
    sim.control.issueUserToken({
      user: user.userPrincipalName,
      audience: o.audience ?? `api://${API_CLIENT_ID}`,
      scope: o.scope ?? `${SCOPE} User.Read`,
      clientId: ADDIN_CLIENT_ID,
      lifetimeSeconds: o.lifetimeSeconds,
      shiftSeconds: o.shiftSeconds,
      tenantId: o.tenantId,
    });
  const get = (token: string | undefined, query = '', headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url: `/api/addin/signatures${query}`, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });

  before(async () => {
    tenant = await startTestTenant({ users: 6, seed: 20 });
    sim = tenant.sim;
    const members = [...sim.control.tenant.users.values()].filter((u) => u.userType === 'Member' && u.accountEnabled && u.mail);
    [ada, bob] = [members[0]!, members[1]!];
    storage = await sqliteBackend.open();
    const now = new Date().toISOString();
    const shared = sim.control.tenant.findUser(sim.sharedMailbox)!;
    await storage.db
      .insertInto('directory_user')
      .values(
        [ada, bob, shared].map((u) => ({
          id: u.id,
          upn_lower: u.userPrincipalName.toLowerCase(),
          account_enabled: 1,
          profile: JSON.stringify({ ...u, businessPhones: [], interests: [] }),
          synced_at: now,
        })),
      )
      .execute();
    planner = new DirectoryPlanner(storage.db);
    const agent = new Agent({ connect: { ca: sim.caPem } });
    const simFetch = ((url: string | URL, init?: RequestInit) => {
      if (String(url).includes('/discovery/v2.0/keys')) jwksFetches++;
      return undiciFetch(url, { ...(init as object), dispatcher: agent });
    }) as unknown as typeof fetch;
    validator = new AddinTokenValidator({
      authorityHost: sim.authorityHost,
      tenant: sim.domain,
      audiences: [API_CLIENT_ID, `api://${API_CLIENT_ID}`],
      scope: SCOPE,
      clockSkewSeconds: 60,
      fetch: simFetch,
      keyRefetchCooldownMs: 60_000,
    });
    reports = addinReportWriter(storage, createLogger('silent'));
    app = Fastify();
    installErrorHandling(app, 1_048_576);
    await app.register(addinRoutes, { planner, validator, sendAs: new SendAsCheck(tenant.exchange), record: (r) => reports.add(r) });
    await app.ready();
  });
  after(async () => {
    await app?.close();
    await storage?.close();
    await tenant?.stop();
  });

  it("serves the token user's own signature for new mail, with the alternatives, and 304 on the ETag", async () => {
    const res = await get(await tokenFor(ada), '?compose=new');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.mailbox, ada.mail!.toLowerCase());
    assert.equal(body.signature.name, 'Contoso');
    assert.match(body.signature.webHtml, new RegExp(ada.displayName));
    assert.equal(body.alternatives.length, 1);
    assert.equal(res.headers['cache-control'], 'private, no-cache');
    const again = await get(await tokenFor(ada), '?compose=new', { 'if-none-match': String(res.headers.etag) });
    assert.equal(again.statusCode, 304);
    // The reply answer is another representation: its own ETag.
    const reply = await get(await tokenFor(ada), '?compose=reply', { 'if-none-match': String(res.headers.etag) });
    assert.equal(reply.statusCode, 200);
  });

  it('inserts the reply default on replies, and nothing when no signature is the default for replies', async () => {
    planner.replyTemplate = '<p>-- {{displayName}}</p>';
    try {
      const res = await get(await tokenFor(ada), `?compose=reply&mailbox=${encodeURIComponent(ada.userPrincipalName)}`);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().signature.name, 'Contoso reply');
      assert.deepEqual(
        res.json().alternatives.map((a: { name: string }) => a.name),
        ['Contoso', 'Contoso reply'],
      );
    } finally {
      planner.replyTemplate = null;
    }
    // A rule set without a reply default ("don't insert on reply"): the same planner, its reply defaults taken away.
    const noReplies: SignaturePlanner = {
      mailboxesInScope: (after, limit) => planner.mailboxesInScope(after, limit),
      expectedFor: async (mailbox) => {
        const expected = await planner.expectedFor(mailbox);
        return expected && { ...expected, signatures: expected.signatures.map((s) => ({ ...s, defaultFor: s.defaultFor.filter((u) => u !== 'reply') })) };
      },
    };
    const bare = Fastify();
    installErrorHandling(bare, 1_048_576);
    await bare.register(addinRoutes, { planner: noReplies, validator, record: () => {} });
    const res = await bare.inject({ url: '/api/addin/signatures?compose=reply', headers: { authorization: `Bearer ${await tokenFor(ada)}` } });
    await bare.close();
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().signature, null);
    assert.equal(res.json().alternatives.length, 1);
  });

  it("never serves another user's mailbox, or a shared one the user may not send as (the same 403 as for an unknown address)", async () => {
    const token = await tokenFor(ada);
    // Send As on a colleague's own mailbox does not make it one the add-in serves.
    sim.control.setSendAs(bob.userPrincipalName, ada.userPrincipalName, true);
    try {
      const bodies = new Set<string>();
      for (const mailbox of [bob.userPrincipalName, bob.mail!, sim.sharedMailbox, 'nobody@elsewhere.example']) {
        const res = await get(token, `?mailbox=${encodeURIComponent(mailbox)}`);
        assert.equal(res.statusCode, 403, mailbox);
        assert.equal(res.json().code, 'ONRAMP_ERR_ADDIN_MAILBOX_NOT_ALLOWED');
        assert.doesNotMatch(res.body, new RegExp(bob.displayName));
        bodies.add(JSON.stringify({ ...res.json(), message: res.json().message.replace(mailbox.toLowerCase(), '<asked>'), requestId: null }));
      }
      assert.equal(bodies.size, 1, [...bodies].join('\n'));
    } finally {
      sim.control.setSendAs(bob.userPrincipalName, ada.userPrincipalName, false);
    }
  });

  it('serves a shared mailbox to a user Exchange lets send as it, remembers the verdict, and limits lookups per user', async () => {
    let clock = Date.parse('2026-12-04T10:00:00Z');
    const sendAs = new SendAsCheck(tenant.exchange, { ttlMs: 60_000, lookupBurst: 3, lookupsPerSecond: 0.01, now: () => clock });
    const own = Fastify();
    installErrorHandling(own, 1_048_576);
    await own.register(addinRoutes, { planner, validator, sendAs, record: (r) => reports.add(r) });
    const ask = async (user: SimUser, mailbox: string) =>
      own.inject({ url: `/api/addin/signatures?mailbox=${encodeURIComponent(mailbox)}`, headers: { authorization: `Bearer ${await tokenFor(user)}` } });
    const shared = sim.sharedMailbox.toLowerCase();
    try {
      sim.control.setSendAs(shared, ada.userPrincipalName, true);
      sim.control.resetStats();
      const res = await ask(ada, sim.sharedMailbox.toUpperCase());
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().mailbox, shared);
      assert.match(res.json().signature.webHtml, /IT Onboarding/);
      assert.deepEqual(sim.control.stats().cmdlets, { 'Get-Mailbox': 1, 'Get-RecipientPermission': 1 });
      // The add-in reports for the shared mailbox too.
      const report = await own.inject({
        method: 'POST',
        url: '/api/addin/events',
        headers: { authorization: `Bearer ${await tokenFor(ada)}` },
        payload: { mailbox: shared, compose: 'new', outcome: 'none', platform: 'Mac' },
      });
      assert.equal(report.statusCode, 202);
      assert.deepEqual(sim.control.stats().cmdlets, { 'Get-Mailbox': 1, 'Get-RecipientPermission': 1 }, 'the verdict is remembered');
      await reports.flush();
      assert.deepEqual(
        (await addinStatesOf(storage.db, shared)).map((s) => [s.platform, s.reported_by]),
        [['mac', ada.userPrincipalName.toLowerCase()]],
      );

      // Bob holds no Send As on it.
      const refused = await ask(bob, shared);
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.json().code, 'ONRAMP_ERR_ADDIN_MAILBOX_NOT_ALLOWED');

      // A revoked grant holds until the verdict's time is up.
      sim.control.setSendAs(shared, ada.userPrincipalName, false);
      assert.equal((await ask(ada, shared)).statusCode, 200);
      clock += 61_000;
      assert.equal((await ask(ada, shared)).statusCode, 403);

      // Guessing addresses costs Exchange lookups: past the burst the user is told to wait.
      const guesses = [];
      for (let i = 0; i < 3; i++) guesses.push((await ask(bob, `guess${i}@${sim.domain}`)).statusCode);
      assert.deepEqual(guesses, [403, 403, 429]);
    } finally {
      sim.control.setSendAs(shared, ada.userPrincipalName, false);
      await own.close();
    }
  });

  it('refuses no token, and tokens for another audience, scope, lifetime, tenant or signer, with 401 and a Bearer challenge', async () => {
    const none = await get(undefined);
    assert.equal(none.statusCode, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    assert.equal(none.json().reason, 'missing_token');

    const forged = await (async () => {
      const { privateKey } = await generateKeyPair('RS256');
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ tid: sim.tenantId, oid: ada.id, scp: SCOPE, preferred_username: ada.userPrincipalName, ver: '2.0' })
        .setProtectedHeader({ alg: 'RS256', kid: 'not-a-tenant-key' })
        .setIssuer(`${sim.authorityHost}/${sim.tenantId}/v2.0`)
        .setAudience(`api://${API_CLIENT_ID}`)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(privateKey);
    })();
    const tampered = await (async () => {
      const [h, p, sig] = (await tokenFor(ada)).split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
      return [h, Buffer.from(JSON.stringify({ ...claims, preferred_username: bob.userPrincipalName })).toString('base64url'), sig].join('.');
    })();
    const cases: Array<[string, string, string]> = [
      ['graph audience', await tokenFor(ada, { audience: 'https://graph.microsoft.com' }), 'wrong_audience'],
      ['no add-in scope', await tokenFor(ada, { scope: 'User.Read' }), 'missing_scope'],
      ['expired beyond the skew', await tokenFor(ada, { lifetimeSeconds: 60, shiftSeconds: -600 }), 'expired'],
      ['unknown signing key', forged, 'bad_signature'],
      ['claims changed after signing', tampered, 'bad_signature'],
      // Entra signs every tenant's tokens with the same keys: only the issuer tells another tenant's apart.
      ['another tenant', await tokenFor(ada, { tenantId: '00000000-0000-0000-0000-00000000beef' }), 'wrong_issuer'],
      ['app-only token', await sim.control.issueAccessToken({ audience: `api://${API_CLIENT_ID}` }), 'missing_scope'],
      ['not a JWT', 'abc', 'malformed_token'],
    ];
    for (const [what, token, reason] of cases) {
      const res = await get(token);
      assert.equal(res.statusCode, 401, what);
      assert.equal(res.json().code, 'ONRAMP_ERR_ADDIN_TOKEN_INVALID', what);
      assert.equal(res.json().reason, reason, what);
      assert.equal(res.headers['www-authenticate'], `Bearer error="invalid_token", error_description="${reason}"`, what);
    }
  });

  it('accepts a token within the clock skew, and fetches the keys again for unknown kids at most once per cooldown', async () => {
    const justExpired = await tokenFor(ada, { lifetimeSeconds: 30, shiftSeconds: -50 });
    assert.equal((await get(justExpired)).statusCode, 200);
    const before = jwksFetches;
    const { privateKey } = await generateKeyPair('RS256');
    for (let i = 0; i < 5; i++) {
      const forged = await new SignJWT({ scp: SCOPE })
        .setProtectedHeader({ alg: 'RS256', kid: `forged-${i}` })
        .setIssuer('x')
        .sign(privateKey);
      assert.equal((await get(forged)).statusCode, 401);
    }
    assert.ok(jwksFetches - before <= 1, `${jwksFetches - before} key fetches for 5 unknown kids`);
  });

  it('remembers a verified token until it expires (plus the skew), and no longer', async () => {
    let clock = Date.now();
    const remembering = new AddinTokenValidator({
      authorityHost: sim.authorityHost,
      tenant: sim.domain,
      audiences: [`api://${API_CLIENT_ID}`],
      scope: SCOPE,
      clockSkewSeconds: 60,
      fetch: ((url: string | URL, init?: RequestInit) =>
        undiciFetch(url, { ...(init as object), dispatcher: new Agent({ connect: { ca: sim.caPem } }) })) as unknown as typeof fetch,
      now: () => clock,
    });
    const token = await tokenFor(ada, { lifetimeSeconds: 300 });
    assert.equal((await remembering.verify(`Bearer ${token}`)).ok, true);
    clock += 300_000 + 59_000;
    assert.equal((await remembering.verify(`Bearer ${token}`)).ok, true, 'within the skew');
    clock += 2_000;
    assert.deepEqual(await remembering.verify(`Bearer ${token}`), { ok: false, reason: 'expired', detail: 'the token has expired' });
  });

  it('records what the add-in reports for its own mailbox (latest per platform and kind of mail), and refuses others', async () => {
    const token = await tokenFor(ada);
    const post = (body: object, t: string | null = token) =>
      app.inject({ method: 'POST', url: '/api/addin/events', payload: body, headers: t ? { authorization: `Bearer ${t}` } : {} });
    const version = 'a'.repeat(64);
    const mailbox = ada.mail!.toUpperCase();
    assert.equal((await post({ mailbox, compose: 'new', outcome: 'failed', reason: 'timeout', platform: 'OfficeOnline' })).statusCode, 202);
    assert.equal((await post({ mailbox, compose: 'new', outcome: 'inserted', version, platform: 'OfficeOnline', hostVersion: '16.0.1' })).statusCode, 202);
    assert.equal((await post({ mailbox, compose: 'reply', outcome: 'none', platform: 'PC' })).statusCode, 202);
    assert.equal((await post({ mailbox: bob.mail!, compose: 'new', outcome: 'inserted', version, platform: 'PC' })).statusCode, 403);
    assert.equal((await post({ mailbox, compose: 'new', outcome: 'inserted', version, platform: 'PC' }, null)).statusCode, 401);
    const bad = await post({ mailbox, compose: 'later', outcome: 'inserted', platform: 'PC' });
    assert.equal(bad.statusCode, 400);
    await reports.flush();
    const states = await addinStatesOf(storage.db, ada.mail!);
    assert.deepEqual(
      states.map((s) => [s.platform, s.compose, s.outcome, s.version, s.reason, s.host_version, s.reported_by]),
      [
        ['officeonline', 'new', 'inserted', version, null, '16.0.1', ada.userPrincipalName.toLowerCase()],
        ['pc', 'reply', 'none', null, null, null, ada.userPrincipalName.toLowerCase()],
      ],
    );
    assert.deepEqual(await addinStatesOf(storage.db, bob.mail!), []);
  });
});
