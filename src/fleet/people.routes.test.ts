/**
 * The fleet's people-side API through the public app as src/app.ts builds it, on both engines, with
 * the tenant simulator behind the signatures' push: each mailbox's state per place and its reason
 * (roaming on, push failed, up to date, a device older or without a signature, an add-in failure), the
 * list by state, a person's page, the device audit's filters (records written by the gateway's audit
 * writer), certificate expiry and the onboarding funnel. Viewers see no locations or addresses unless
 * fleet.viewersSeePersonalDetails.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { Value } from '@sinclair/typebox/value';
import { DirectorySync } from '../directory/directory-sync.js';
import { DAY_MS, type ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { adminApp } from '../../test/support/admin-app.js';
import { startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import { BACKENDS, type TestStorage } from '../../test/support/storage.js';
import { AuditWriter } from '../gateway/audit-writer.js';
import type { CertificateIdentity } from '../gateway/certificate-verifier.js';
import type { DeploymentRun, DeploymentStatus } from '../signatures/deployment.schemas.js';
import { CertificateOverview, DeviceCallPage, type FunnelAnswer, MailboxSignatureState, MailboxSignatureStatePage, PersonAnswer } from './people.schemas.js';

const ROAMING = 'roaming signatures on: Exchange ignores pushed signatures';

for (const backend of BACKENDS) {
  describe(`fleet people API [${backend.name}]`, { skip: backend.skip }, () => {
    let t: TestTenant;
    let storage: TestStorage;
    let app: FastifyInstance;
    let admin: Record<string, string>;
    let viewer: Record<string, string>;
    let mailboxes: string[];
    let clock: ManualClock;
    let templateId: number;

    const get = async <T>(url: string, headers = viewer) => {
      const res = await app.inject({ method: 'GET', url, headers });
      return { status: res.statusCode, body: res.json() as T };
    };
    const post = async <T>(url: string, payload: unknown = {}) => {
      const res = await app.inject({ method: 'POST', url, headers: admin, payload: payload as Record<string, unknown> });
      return { status: res.statusCode, body: res.json() as T };
    };
    const stateOf = async (mailbox: string) => {
      const res = await get<MailboxSignatureState>(`/api/fleet/mailboxes/${encodeURIComponent(mailbox)}/signatures`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok(Value.Check(MailboxSignatureState, res.body), 'the answer matches its schema');
      return res.body;
    };
    /** The newest run after `previous`, once finished (the app runs on the test's manual clock). */
    const runAfter = async (previous: number) => {
      for (let i = 0; i < 300; i++) {
        clock.advance(1_000);
        const run = (await get<DeploymentStatus>('/api/signatures/deployment')).body.recent.find((r) => r.id > previous);
        if (run && (run.state === 'done' || run.state === 'blocked')) return run;
        await new Promise((r) => setTimeout(r, 30));
      }
      throw new Error(`no finished run after ${previous}`);
    };
    const lastRunId = async () => (await get<DeploymentStatus>('/api/signatures/deployment')).body.recent[0]?.id ?? 0;
    const device = (hostname: string, upn: string, versions: { new: string; reply: string }, location: string | null = null) => {
      const now = clock.now().toISOString();
      return storage.db
        .insertInto('device_state')
        .values({
          hostname,
          upn,
          operating_system: 'Windows 11',
          device_model: 'T14',
          beacon_launch_time: null,
          last_use_time: null,
          system_boot_time: null,
          last_logon_time: null,
          background_version: '',
          lock_screen_version: '',
          new_signature_version: versions.new,
          reply_signature_version: versions.reply,
          web_signature_version: '',
          screensaver_version: '',
          teams_background_version: '',
          pending_reboot: 0,
          compliant: 1,
          location,
          first_seen_at: now,
          last_seen_at: now,
        })
        .execute();
    };

    before(async () => {
      t = await startTestTenant({ users: 8, seed: 22 });
      storage = await backend.open();
      assert.equal(await new DirectorySync(storage.db, t.graph, { now: () => new Date() }, createLogger('silent'), 'sync').runOnce(), true);
      const built = await adminApp(storage, { graph: t.graph, exchange: t.exchange }, { ONRAMP_DEVICES_STORE_LOCATION: 'true' });
      clock = built.ctx.clock as ManualClock;
      app = built.app;
      admin = built.as(built.admin);
      viewer = built.as(built.viewer);
      await app.ready();
      mailboxes = await app.signatures.planner.mailboxesInScope(null, 100);
      assert.ok(mailboxes.length >= 4);
      const template = await post<{ id: number }>('/api/signatures/templates', { name: 'Standard', source: '<p>{{ user.displayName }}</p>\n' });
      assert.equal(template.status, 201);
      templateId = template.body.id;
      const rule = await post('/api/signatures/rules', {
        name: 'Everyone',
        enabled: true,
        kind: 'signature',
        templateId,
        defaults: 'both',
        conditions: {},
        exclusions: {},
        window: null,
      });
      assert.equal(rule.status, 201);
    });
    after(async () => {
      await app.close();
      await storage.close();
      await t.stop();
    });

    it('roaming signatures on: Exchange failed, with the reason', async () => {
      assert.equal((await runAfter(0)).state, 'blocked');
      const state = await stateOf(mailboxes[0]!);
      assert.equal(state.exchange.state, 'failed');
      assert.equal(state.exchange.reason, ROAMING);
      assert.equal(state.exchange.result, 'blocked');
      assert.equal(state.state, 'failed');
      assert.deepEqual(state.reasons, [ROAMING]);
      assert.equal(state.roaming.enabled, true);
    });

    it('pushed: up to date; devices and the add-in each get their own state and reason', async () => {
      t.sim.control.setRoamingSignatures(false);
      const started = await post<DeploymentRun>('/api/signatures/deployments');
      assert.equal(started.status, 202);
      assert.equal((await runAfter(started.body.id - 1)).state, 'done');
      const [mailbox] = mailboxes as [string];
      const clean = await stateOf(mailbox);
      assert.deepEqual([clean.state, clean.exchange.state, clean.reasons], ['upToDate', 'upToDate', []]);
      const hash = clean.expected!.signatures[0]!.hash;
      const upn = clean.userPrincipalName!;

      await device('pc-current', upn, { new: hash, reply: hash });
      assert.equal((await stateOf(mailbox)).state, 'upToDate', 'a device with the expected versions is up to date');
      await device('pc-old', upn, { new: 'aaaaaaaaaaaaaaaa', reply: hash });
      await device('pc-empty', upn, { new: '', reply: '' });
      const withDevices = await stateOf(mailbox);
      const byHost = new Map(withDevices.devices.map((d) => [d.hostname, d]));
      assert.deepEqual([byHost.get('pc-current')?.state, byHost.get('pc-current')?.reason], ['upToDate', null]);
      assert.equal(byHost.get('pc-old')?.state, 'differs');
      assert.equal(byHost.get('pc-old')?.reason, 'pc-old reports an older version (new mail aaaaaaaaaaaa)');
      assert.equal(byHost.get('pc-empty')?.state, 'missing');
      assert.match(byHost.get('pc-empty')?.reason ?? '', /^no signature on pc-empty \(no Outlook profile/);
      assert.equal(withDevices.state, 'differs', 'the worst place decides');

      const report = (platform: string, compose: string, outcome: string, version: string | null, reason: string | null) => ({
        mailbox,
        platform,
        compose,
        outcome,
        version,
        reason,
        host_version: '16.0',
        reported_by: upn,
        reported_at: clock.now().toISOString(),
      });
      await storage.db
        .insertInto('addin_signature_state')
        .values([report('officeonline', 'new', 'inserted', hash, null), report('mac', 'reply', 'failed', null, 'signature service unreachable')])
        .execute();
      const withAddin = await stateOf(mailbox);
      const web = withAddin.addin.find((a) => a.platform === 'officeonline')!;
      const mac = withAddin.addin.find((a) => a.platform === 'mac')!;
      assert.deepEqual([web.state, web.reason], ['upToDate', null]);
      assert.deepEqual([mac.state, mac.reason], ['failed', 'add-in reported failure on mac: signature service unreachable']);
      assert.equal(withAddin.state, 'failed');
      assert.equal(withAddin.reasons[0], 'add-in reported failure on mac: signature service unreachable', 'worst first');
      assert.ok(withAddin.reasons.includes('pc-old reports an older version (new mail aaaaaaaaaaaa)'));
    });

    it('a failed push says why; the list filters by state and pages', async () => {
      const failing = mailboxes[1]!;
      t.sim.control.setFaults({ failingNames: [failing] });
      const previous = await lastRunId();
      const saved = await app.inject({
        method: 'PUT',
        url: `/api/signatures/templates/${templateId}`,
        headers: admin,
        payload: { source: '<p><b>{{ user.displayName }}</b></p>\n', baseVersion: 1 },
      });
      assert.equal(saved.statusCode, 200, saved.body);
      await runAfter(previous);
      t.sim.control.setFaults({ failingNames: [] });
      const state = await stateOf(failing);
      assert.equal(state.exchange.state, 'failed');
      assert.match(state.exchange.reason ?? '', /^push failed: .*500/);
      assert.equal(state.state, 'failed');
      // The devices of mailbox 0 now report the previous version.
      const first = await stateOf(mailboxes[0]!);
      assert.equal(first.devices.find((d) => d.hostname === 'pc-current')?.state, 'differs');

      const failed = await get<MailboxSignatureStatePage>('/api/fleet/mailboxes?state=failed');
      assert.equal(failed.status, 200);
      assert.ok(Value.Check(MailboxSignatureStatePage, failed.body));
      assert.deepEqual(failed.body.items.map((m) => m.mailbox).sort(), [mailboxes[0]!, failing].sort());
      assert.equal(failed.body.nextAfter, null);
      assert.equal(failed.body.scanned, mailboxes.length);
      const upToDate = await get<MailboxSignatureStatePage>('/api/fleet/mailboxes?state=upToDate');
      assert.equal(upToDate.body.items.length, mailboxes.length - 2);
      assert.ok(upToDate.body.items.every((m) => m.state === 'upToDate' && m.reasons.length === 0));

      const page1 = await get<MailboxSignatureStatePage>('/api/fleet/mailboxes?limit=3');
      assert.deepEqual(
        page1.body.items.map((m) => m.mailbox),
        mailboxes.slice(0, 3),
      );
      assert.equal(page1.body.nextAfter, mailboxes[2]);
      const rest = await get<MailboxSignatureStatePage>(`/api/fleet/mailboxes?limit=100&after=${encodeURIComponent(page1.body.nextAfter!)}`);
      assert.deepEqual(
        rest.body.items.map((m) => m.mailbox),
        mailboxes.slice(3),
      );
      assert.equal(rest.body.nextAfter, null);
      assert.equal((await get('/api/fleet/mailboxes?state=broken')).status, 400);
      const unknown = await get<{ code: string }>('/api/fleet/mailboxes/nobody@nowhere.example/signatures');
      assert.deepEqual([unknown.status, unknown.body.code], [404, 'ONRAMP_ERR_NO_SIGNATURES']);
    });

    it('device audit: refused only, by reason, route, identity and time, paged; certificates by expiry; a person joins them', async () => {
      const upn = (await stateOf(mailboxes[0]!)).userPrincipalName!;
      const now = clock.now().getTime();
      const identity = (thumbprint: string, who: string | null, expiresInDays: number): CertificateIdentity => ({
        upn: who,
        dnsNames: [],
        subject: `CN=${who ?? 'device'}`,
        issuer: 'CN=Contoso Issuing CA',
        serialNumber: `0${thumbprint.slice(0, 6)}`,
        notBefore: new Date(now - 300 * DAY_MS).toISOString(),
        notAfter: new Date(now + expiresInDays * DAY_MS).toISOString(),
        thumbprint,
        issuerThumbprint: 'F'.repeat(40),
      });
      const mine = identity('A'.repeat(40), upn, 10);
      const writer = new AuditWriter(storage.db, { flushIntervalMs: 5, retentionDays: 30, instanceId: 'test' }, clock, createLogger('silent'));
      const call = (minutesAgo: number, route: string, status: number, code: string | null, cert: CertificateIdentity | null) =>
        writer.record(
          {
            at: new Date(now - minutesAgo * 60_000).toISOString(),
            upn: cert?.upn ?? null,
            thumbprint: cert?.thumbprint ?? null,
            ip: '203.0.113.9',
            method: 'POST',
            route,
            status,
            duration_ms: 1.5,
            request_id: `r-${minutesAgo}`,
            code,
            reason: code === 'ONRAMP_ERR_CLIENT_CERT_REJECTED' ? 'Client certificate rejected: certificate has been revoked' : null,
          },
          cert,
        );
      call(50, '/api/beacon', 200, null, mine);
      call(40, '/api/beacon', 401, 'ONRAMP_ERR_CLIENT_CERT_REJECTED', null);
      call(30, '/api/signatures', 200, null, identity('B'.repeat(40), 'bob@contoso.com', 200));
      call(20, '/api/beacon', 429, 'ONRAMP_ERR_THROTTLED', mine);
      call(10, '/api/beacon', 200, null, identity('C'.repeat(40), 'old@contoso.com', -3));
      await writer.close();

      const calls = await get<DeviceCallPage>('/api/fleet/device-calls');
      assert.equal(calls.status, 200, JSON.stringify(calls.body));
      assert.ok(Value.Check(DeviceCallPage, calls.body));
      assert.deepEqual(
        calls.body.items.map((c) => c.requestId),
        ['r-10', 'r-20', 'r-30', 'r-40', 'r-50'],
      );
      assert.ok(
        calls.body.items.every((c) => c.ip === null),
        'viewers see no addresses by default',
      );
      assert.ok((await get<DeviceCallPage>('/api/fleet/device-calls', admin)).body.items.every((c) => c.ip === '203.0.113.9'));
      const refused = (await get<DeviceCallPage>('/api/fleet/device-calls?refused=true')).body;
      assert.deepEqual(
        refused.items.map((c) => [c.code, c.reason]),
        [
          ['ONRAMP_ERR_THROTTLED', 'Too many requests; retry after … seconds'],
          ['ONRAMP_ERR_CLIENT_CERT_REJECTED', 'Client certificate rejected: certificate has been revoked'],
        ],
      );
      assert.deepEqual(
        refused.refusals.map((r) => [r.code, r.calls, r.meaning]),
        [
          ['ONRAMP_ERR_CLIENT_CERT_REJECTED', 1, 'Client certificate rejected'],
          ['ONRAMP_ERR_THROTTLED', 1, 'Too many requests; retry after … seconds'],
        ],
      );
      const ids = async (query: string) => (await get<DeviceCallPage>(`/api/fleet/device-calls?${query}`)).body.items.map((c) => c.requestId);
      assert.deepEqual(await ids('code=ONRAMP_ERR_THROTTLED'), ['r-20']);
      assert.deepEqual(await ids('route=%2Fapi%2Fsignatures'), ['r-30']);
      assert.deepEqual(await ids(`identity=${encodeURIComponent(upn.toUpperCase())}`), ['r-20', 'r-50']);
      assert.deepEqual(await ids(`identity=${'b'.repeat(40)}`), ['r-30']);
      const iso = (minutesAgo: number) => encodeURIComponent(new Date(now - minutesAgo * 60_000).toISOString());
      assert.deepEqual(await ids(`from=${iso(35)}&to=${iso(15)}`), ['r-20', 'r-30']);
      const page = (await get<DeviceCallPage>('/api/fleet/device-calls?limit=2')).body;
      assert.deepEqual(
        page.items.map((c) => c.requestId),
        ['r-10', 'r-20'],
      );
      assert.deepEqual(await ids(`limit=2&beforeId=${page.nextBeforeId}`), ['r-30', 'r-40']);
      const backwards = await get<{ code: string; message: string }>(`/api/fleet/device-calls?from=${iso(10)}&to=${iso(20)}`);
      assert.deepEqual(
        [backwards.status, backwards.body.code, backwards.body.message],
        [400, 'ONRAMP_ERR_VALIDATION', 'Invalid request: from must be before to'],
      );
      assert.equal((await get('/api/fleet/device-calls?code=DROP%20TABLE')).status, 400);
      assert.equal((await get('/api/fleet/device-calls?refused=yes')).status, 400);

      const overview = (await get<CertificateOverview>('/api/fleet/certificates?withinDays=30')).body;
      assert.ok(Value.Check(CertificateOverview, overview));
      assert.deepEqual(overview.totals, { total: 3, identities: 3, expired: 1, expiringSoon: 1 });
      assert.deepEqual(
        overview.items.map((c) => [c.upn, c.validity]),
        [
          ['old@contoso.com', 'expired'],
          [upn, 'expiring'],
          ['bob@contoso.com', 'valid'],
        ],
      );
      const ofMine = overview.items[1]!;
      assert.deepEqual([ofMine.subject, ofMine.issuer, ofMine.serialNumber], [`CN=${upn}`, 'CN=Contoso Issuing CA', '0AAAAAA']);
      // First seen at its first call; a later one (throttled, but with a verified certificate) moves last seen.
      assert.equal(ofMine.firstSeenAt, new Date(now - 50 * 60_000).toISOString());
      assert.equal(ofMine.lastSeenAt, new Date(now - 20 * 60_000).toISOString());
      // A certificate's calls within a minute of its last recorded sighting are not written again.
      const again = new AuditWriter(storage.db, { flushIntervalMs: 5, retentionDays: 30, instanceId: 'test' }, clock, createLogger('silent'));
      const busy = identity('D'.repeat(40), 'busy@contoso.com', 200);
      for (const secondsAgo of [50, 30, 10])
        again.record(
          {
            at: new Date(now - secondsAgo * 1000).toISOString(),
            upn: busy.upn,
            thumbprint: busy.thumbprint,
            ip: '203.0.113.9',
            method: 'POST',
            route: '/api/beacon',
            status: 200,
            duration_ms: 1,
            request_id: `busy-${secondsAgo}`,
            code: null,
            reason: null,
          },
          busy,
        );
      await again.close();
      const sightings = await storage.db
        .selectFrom('device_certificate')
        .select(['first_seen_at', 'last_seen_at'])
        .where('thumbprint', '=', busy.thumbprint)
        .execute();
      assert.deepEqual(sightings, [{ first_seen_at: new Date(now - 50_000).toISOString(), last_seen_at: new Date(now - 50_000).toISOString() }]);
      assert.deepEqual(await ids(`identity=busy%40contoso.com`), ['busy-10', 'busy-30', 'busy-50'], 'every call is audited all the same');
      await storage.db.deleteFrom('device_certificate').where('thumbprint', '=', busy.thumbprint).execute();
      await storage.db.deleteFrom('device_audit').where('upn', '=', busy.upn).execute();

      const expiring = (await get<CertificateOverview>('/api/fleet/certificates?show=expiring&withinDays=30')).body.items.map((c) => c.upn);
      assert.deepEqual(expiring, [upn]);
      assert.deepEqual(
        (await get<CertificateOverview>('/api/fleet/certificates?show=expired')).body.items.map((c) => c.upn),
        ['old@contoso.com'],
      );
      assert.deepEqual((await get<CertificateOverview>('/api/fleet/certificates?show=expiring&withinDays=365')).body.items.length, 2);
      const first = (await get<CertificateOverview>('/api/fleet/certificates?limit=2')).body;
      const second = (await get<CertificateOverview>(`/api/fleet/certificates?limit=2&after=${encodeURIComponent(first.nextAfter!)}`)).body;
      assert.deepEqual(
        [...first.items, ...second.items].map((c) => c.upn),
        ['old@contoso.com', upn, 'bob@contoso.com'],
      );
      assert.equal(second.nextAfter, null);

      await storage.db.updateTable('device_state').set({ location: 'POINT(4.90 52.37)' }).where('hostname', '=', 'pc-current').execute();
      const person = await get<PersonAnswer>(`/api/fleet/people/${encodeURIComponent(upn)}`);
      assert.equal(person.status, 200);
      assert.ok(Value.Check(PersonAnswer, person.body));
      assert.deepEqual(person.body.devices.map((d) => d.hostname).sort(), ['pc-current', 'pc-empty', 'pc-old']);
      assert.ok(
        person.body.devices.every((d) => d.location === null),
        'a viewer sees no location',
      );
      assert.equal(person.body.detailsHidden, true);
      assert.deepEqual(
        person.body.certificates.map((c) => [c.thumbprint, c.lastIp]),
        [['A'.repeat(40), null]],
      );
      assert.equal(person.body.signatures?.mailbox, mailboxes[0]);
      const asAdmin = (await get<PersonAnswer>(`/api/fleet/people/${encodeURIComponent(upn)}`, admin)).body;
      assert.equal(asAdmin.devices.find((d) => d.hostname === 'pc-current')?.location, 'POINT(4.90 52.37)');
      assert.equal(asAdmin.devices.find((d) => d.hostname === 'pc-old')?.location, null, 'none stored: none shown');
      assert.equal(asAdmin.certificates[0]?.lastIp, '203.0.113.9');
      // With location storage turned off, locations kept before are not shown either.
      const noLocations = await adminApp(storage, { graph: t.graph, exchange: t.exchange });
      try {
        const res = await noLocations.app.inject({ url: `/api/fleet/people/${encodeURIComponent(upn)}`, headers: noLocations.as(noLocations.admin) });
        assert.equal(res.statusCode, 200, res.body);
        assert.ok((res.json() as PersonAnswer).devices.every((d) => d.location === null));
      } finally {
        await noLocations.app.close();
      }
      const stranger = (await get<PersonAnswer>('/api/fleet/people/nobody%40nowhere.example')).body;
      assert.deepEqual([stranger.devices, stranger.certificates, stranger.signatures, stranger.trackedUserId], [[], [], null, null]);
      assert.equal((await get('/api/fleet/people/not-an-address')).status, 400);
      assert.equal((await app.inject({ url: '/api/fleet/device-calls' })).statusCode, 401);
    });

    it('the onboarding funnel: users invited, opened and enrolled by the end of each day', async () => {
      const csv = 'UPN,Department\nann@contoso.com,Sales\nbob@contoso.com,IT\ncy@contoso.com,IT\n';
      const up = await app.inject({ method: 'POST', url: '/api/upload-users?batchId=w1', headers: { ...admin, 'content-type': 'text/csv' }, payload: csv });
      assert.equal(up.statusCode, 200, up.body);
      const day = (daysAgo: number) => new Date(clock.now().getTime() - daysAgo * DAY_MS).toISOString();
      const stamp = (upn: string, values: Record<string, string>) => storage.db.updateTable('tracked_user').set(values).where('upn_key', '=', upn).execute();
      // Ann before the range; Bob within it; Cy not invited.
      await stamp('ann@contoso.com', { invite_sent_date: day(20), email_opened_date: day(19), mfa_registration_date: day(18) });
      await stamp('bob@contoso.com', { invite_sent_date: day(2), email_opened_date: day(1) });
      const funnel = await get<FunnelAnswer>('/api/fleet/onboarding/funnel?days=3');
      assert.equal(funnel.status, 200);
      assert.deepEqual(
        funnel.body.days.map((d) => [d.invited, d.opened, d.enrolled]),
        [
          [2, 1, 1],
          [2, 2, 1],
          [2, 2, 1],
        ],
      );
      assert.deepEqual(
        funnel.body.days.map((d) => d.day),
        [day(2), day(1), day(0)].map((d) => d.slice(0, 10)),
      );
      assert.equal((await get<FunnelAnswer>('/api/fleet/onboarding/funnel')).body.days.length, 30);
      // A tracked person's page links to their onboarding page.
      const ann = await storage.db.selectFrom('tracked_user').select('id').where('upn_key', '=', 'ann@contoso.com').executeTakeFirstOrThrow();
      assert.equal((await get<PersonAnswer>('/api/fleet/people/ANN%40contoso.com')).body.trackedUserId, ann.id);
      assert.equal((await get('/api/fleet/onboarding/funnel?days=x')).status, 400);
    });
  });
}
