/**
 * The MFA onboarding journey of issue #4 in one run, with real parts only: onramp started as `serve`
 * starts it (startOnramp, real listener), the tenant simulator as Microsoft Graph, a real SMTP server,
 * and `onramp campaign run` as a separate process for the follow-up run, as an admin would run it.
 *
 * upload (API token) → invitation run → outbox → the email arrives over SMTP → its pixel is fetched →
 * its link shows the scanner-safe page → the button enrols (user in the MFA group in the simulator) →
 * the user registers a method in the simulator → next run → Active, with the history in order.
 *
 * Then `serve --demo` as main.ts wires it: the in-process tenant's mailbox and its registrations.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthService } from '../src/auth/auth.service.js';
import type { BrandingAssetList, AssignmentList } from '../src/branding/branding.schemas.js';
import type { DeviceManifest } from '../src/branding/manifest.schemas.js';
import { DEMO_DEVICES } from '../src/demo-fleet.js';
import type { DeviceChartsAnswer, DevicesPage } from '../src/fleet/devices.schemas.js';
import { devPkiPaths, issueDevClient } from '../src/gateway/dev-pki.js';
import { loadConfig } from '../src/onramp-config.js';
import { systemClock } from '../src/lib/clock.js';
import { escapeHtml } from '../src/lib/html.js';
import { createLogger } from '../src/lib/logger.js';
import { linkTokenOf } from '../src/onboarding/onboarding.domain.js';
import { startOnramp } from '../src/main.js';
import { ephemeralServeEnv, runCli } from './support/process.js';
import { simulatorEnv, startTestTenant, type TestTenant } from './support/simulator.js';
import { SmtpSink } from './support/smtp.js';
import { BACKENDS } from './support/storage.js';

const D = 'contoso.test';

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The simulator's control API over HTTPS (trusting its CA), as the demo and scripts use it. */
function simControl(tenant: TestTenant, path: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      `${tenant.sim.url}${path}`,
      { method: 'POST', ca: tenant.sim.caPem, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** GET over the device listener's mTLS, with a client certificate from the demo's dev PKI. */
function deviceGet(url: string, pkiDir: string, client: { certFile: string; keyFile: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(
      url,
      { ca: readFileSync(devPkiPaths(pkiDir).rootCert), cert: readFileSync(client.certFile), key: readFileSync(client.keyFile), agent: false },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
  });
}

const unescapeAttr = (v: string) =>
  v
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

for (const backend of BACKENDS) {
  describe(`MFA onboarding journey (${backend.name})`, { skip: backend.skip }, () => {
    let tenant: TestTenant;
    let sink: SmtpSink;
    let dir: string;
    before(async () => {
      tenant = await startTestTenant({
        tenant: {
          domain: D,
          users: [
            { userPrincipalName: `mia@${D}`, displayName: 'Mia Manager', mail: `mia@${D}` },
            { userPrincipalName: `ann@${D}`, displayName: 'Ann Example', mail: `ann@${D}`, managerId: `mia@${D}`, department: 'Sales' },
            { userPrincipalName: `ben@${D}`, displayName: 'Ben Example', mail: `ben@${D}` },
            { userPrincipalName: `gus@${D}`, displayName: 'Gus Guest', userType: 'Guest' },
          ],
        },
      });
      sink = await new SmtpSink().start();
      dir = mkdtempSync(join(tmpdir(), 'onramp-journey-'));
    });
    after(async () => {
      await sink.close();
      await tenant.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('upload → invitation email over SMTP → open pixel → enrol page and button → in the MFA group → MFA registered → next run: Active, history in order', async () => {
      const storage = await backend.open();
      const env: Record<string, string> = {
        ...storage.env,
        ...ephemeralServeEnv(),
        ONRAMP_CONFIG_FILE: join(dir, 'no-config.json'),
        ...simulatorEnv(tenant.sim, dir),
        ONRAMP_SMTP_HOST: '127.0.0.1',
        ONRAMP_SMTP_PORT: String(sink.port),
        ONRAMP_MAIL_FROM: `mfa@${D}`,
        ONRAMP_MAIL_POLL_INTERVAL_MS: '200',
        ONRAMP_INVITATIONS_TRIGGER_DEBOUNCE_MS: '0',
        // The follow-up run checks invited users at once instead of a day later.
        ONRAMP_INVITATIONS_CHECK_INTERVAL_HOURS: '0',
      };
      const running = await startOnramp({ config: loadConfig({ env }), log: createLogger('silent') });
      const user = (upn: string) => storage.db.selectFrom('tracked_user').selectAll().where('upn_key', '=', upn).executeTakeFirstOrThrow();
      try {
        const auth = new AuthService(storage.db, running.ctx.config.auth, systemClock);
        const { token } = await auth.createApiToken('journey', 'admin', 'test');

        // 1. Upload with an API token; the upload triggers the invitation run.
        const upload = await fetch(`${running.publicUrl}/api/upload-users?batchId=wave-1`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
          body: `UPN;Name\r\nANN@${D};Ann\r\nben@${D};Ben\r\ngus@${D};Gus\r\n`,
        });
        assert.equal(upload.status, 200);
        const answer = (await upload.json()) as { batchId: string; added: string[]; triggered: boolean };
        assert.deepEqual([answer.batchId, answer.added.length, answer.triggered], ['wave-1', 3, true]);

        // 2. The run invites ann and ben (gus is a guest: Excluded), the outbox delivers over SMTP.
        await until(() => sink.to(`ann@${D}`).length === 1 && sink.to(`ben@${D}`).length === 1, 'the invitations to arrive');
        await until(async () => (await user(`gus@${D}`)).invite_status === 'Excluded', 'the guest to be excluded');
        assert.equal(sink.to(`gus@${D}`).length, 0);
        assert.equal((await user(`ann@${D}`)).invite_status, 'Sent');

        const [mail] = sink.to(`ann@${D}`);
        assert.equal(mail!.subject, 'Action Required: Set Up Multi-Factor Authentication (MFA)');
        const html = String(mail!.parsed.html);
        assert.match(html, /Dear Ann Example,/);
        const enrolHref = html.match(/<a href="([^"]*\/api\/enrol\?token=[^"]+)"/)?.[1];
        const pixelSrc = html.match(/<img src="([^"]*\/api\/track-open\?token=[^"]+)"/)?.[1];
        assert.ok(enrolHref && pixelSrc, 'the email carries the enrol link and the pixel');
        const enrolUrl = unescapeAttr(enrolHref);
        const pixelUrl = unescapeAttr(pixelSrc);
        assert.ok(enrolUrl.startsWith(running.publicUrl), enrolUrl);
        assert.ok(mail!.parsed.text?.includes(enrolUrl), 'the text part has the same link');
        assert.equal(new URL(enrolUrl).searchParams.get('token'), linkTokenOf(await user(`ann@${D}`)));
        const resendHref = html.match(/<a href="([^"]*\/api\/resend)">Lost your setup link\?/)?.[1];
        assert.ok(resendHref, 'the email has the "lost your link?" link');
        const resendForm = await fetch(unescapeAttr(resendHref), { headers: { accept: 'text/html', 'user-agent': 'Mozilla/5.0' } });
        assert.equal(resendForm.status, 200);
        assert.match(await resendForm.text(), /<form method="post" action="\/api\/resend">/);

        // 3. The mail client loads the pixel.
        const pixel = await fetch(pixelUrl);
        assert.equal(pixel.status, 200);
        assert.equal(pixel.headers.get('content-type'), 'image/gif');
        assert.equal((await pixel.arrayBuffer()).byteLength, 43);
        // First opens are stamped in buffered batches, shortly after the answer.
        await until(async () => (await user(`ann@${D}`)).email_opened_date !== null, 'EmailOpenedDate to be stamped');

        // 4. The link shows the confirmation page (a scanner's GET consumes nothing); its button enrols.
        const browser = { accept: 'text/html', 'user-agent': 'Mozilla/5.0 (journey test)' };
        const page = await fetch(enrolUrl, { headers: browser });
        assert.equal(page.status, 200);
        const pageHtml = await page.text();
        assert.equal((await user(`ann@${D}`)).clicked_link_date, null, 'the GET alone enrols nobody');
        const form = pageHtml.match(/<form method="post" action="([^"]+)">(.*?)<\/form>/s);
        assert.ok(form, 'the page has the enrol form');
        const fields = new URLSearchParams(
          [...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, unescapeAttr(m[2]!)]),
        );
        assert.ok(fields.get('csrf'), 'the form carries its CSRF token');
        const enrolled = await fetch(new URL(unescapeAttr(form[1]!), enrolUrl), {
          method: 'POST',
          headers: { ...browser, 'content-type': 'application/x-www-form-urlencoded' },
          body: fields.toString(),
          redirect: 'manual',
        });
        assert.equal(enrolled.status, 200);
        assert.match(await enrolled.text(), /You are enrolled/);
        const annInSim = tenant.sim.control.tenant.findByUpn(`ann@${D}`)!;
        assert.ok(tenant.sim.control.tenant.groups.get(tenant.sim.mfaGroupId)!.members.has(annInSim.id), 'ann is in the MFA group in the simulator');
        const clicked = await user(`ann@${D}`);
        assert.equal(clicked.invite_status, 'AddedToGroup');
        assert.ok(clicked.clicked_link_date && clicked.added_to_group_date && clicked.in_group === 1);

        // 5. Ann registers the Authenticator app (in the simulated tenant), then the next run.
        const flipped = await simControl(tenant, `/_sim/users/${encodeURIComponent(`ann@${D}`)}/mfa`, { methods: ['microsoftAuthenticator'] });
        assert.equal(flipped.status, 200, flipped.body);
        const run = runCli(['campaign', 'run'], { ...env, ONRAMP_LOG_LEVEL: 'warn' });
        assert.equal((await run.exited).code, 0, run.output());
        const summary = JSON.parse(run.output().trim().split('\n').pop()!) as { run: { activated: number; invited: number } };
        assert.equal(summary.run.activated, 1, run.output());
        assert.equal(summary.run.invited, 0, 'nobody is invited twice');

        const active = await user(`ann@${D}`);
        assert.equal(active.invite_status, 'Active');
        assert.equal(active.mfa_registration_state, 'Registered');
        assert.ok(active.mfa_registration_date);
        assert.equal((await user(`ben@${D}`)).invite_status, 'Sent');
        const events = await storage.db.selectFrom('user_event').select(['type', 'at']).where('tracked_user_id', '=', active.id).orderBy('id').execute();
        assert.deepEqual(
          events.map((e) => e.type),
          ['uploaded', 'invited', 'email-opened', 'clicked', 'added-to-group', 'activated'],
        );
        assert.deepEqual(
          events.map((e) => e.at),
          [...events.map((e) => e.at)].sort(),
          'the history is in time order',
        );
        assert.equal(sink.to(`ann@${D}`).length, 1, 'one email for ann in the whole journey');
      } finally {
        await running.close();
        await storage.close();
      }
    });
  });
}

describe('serve --demo (startOnramp with its in-process tenant)', () => {
  test('an upload is invited through the simulated tenant; registering there after the click activates the user at once, with no scheduled run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onramp-demo-'));
    const env = {
      ...ephemeralServeEnv(),
      ONRAMP_DATA_DIR: dir,
      ONRAMP_CONFIG_FILE: join(dir, 'no-config.json'),
      ONRAMP_MAIL_POLL_INTERVAL_MS: '200',
      ONRAMP_INVITATIONS_TRIGGER_DEBOUNCE_MS: '0',
      // The link enrols on its GET, which keeps this test to the demo's wiring (the page and its button are the journey's).
      ONRAMP_ONBOARDING_ONE_CLICK_ENROL: 'true',
    };
    const running = await startOnramp({ config: loadConfig({ env }), log: createLogger('silent'), demo: true });
    try {
      const sim = running.simulator!;
      const someone = [...sim.control.tenant.users.values()].find((u) => u.accountEnabled && u.userType === 'Member' && u.mail && u.methods.length === 0)!;
      const user = () =>
        running.ctx.storage.db.selectFrom('tracked_user').selectAll().where('upn_key', '=', someone.userPrincipalName.toLowerCase()).executeTakeFirstOrThrow();
      const { token } = await new AuthService(running.ctx.storage.db, running.ctx.config.auth, systemClock).createApiToken('demo', 'admin', 'test');

      const upload = await fetch(`${running.publicUrl}/api/upload-users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
        body: `UPN\n${someone.userPrincipalName}\n`,
      });
      assert.equal(upload.status, 200);

      // The demo's mail goes out through the simulated tenant's shared mailbox (Graph sendMail).
      const invitation = () => sim.control.mail().find((m) => m.to.some((r) => r.address.toLowerCase() === someone.mail!.toLowerCase()));
      await until(() => invitation() !== undefined, 'the invitation in the simulated tenant');
      const href = invitation()!.body.match(/<a href="([^"]*\/api\/enrol\?token=[^"]+)"/)?.[1];
      assert.ok(href, 'the invitation carries the enrol link');
      const enrol = await fetch(unescapeAttr(href), { headers: { accept: 'application/json' } });
      assert.equal(enrol.status, 200);
      assert.equal(((await enrol.json()) as { success: boolean }).success, true);
      assert.equal((await user()).invite_status, 'AddedToGroup');

      // Registering in the simulated tenant (as its security-info page does) sets off the check.
      sim.control.setMfa(someone.id, ['microsoftAuthenticator']);
      await until(async () => (await user()).invite_status === 'Active', 'the user to become Active');
    } finally {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('starts with a signature for everyone, rendered from the simulated directory; a restart adds no second one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onramp-demo-'));
    const env = { ...ephemeralServeEnv(), ONRAMP_DATA_DIR: dir, ONRAMP_CONFIG_FILE: join(dir, 'no-config.json') };
    try {
      for (const start of [1, 2]) {
        const running = await startOnramp({ config: loadConfig({ env }), log: createLogger('silent'), demo: true });
        try {
          const { store, planner } = running.publicApp.signatures;
          const templates = await store.listTemplates();
          assert.deepEqual(
            templates.map((t) => t.name),
            ['Contoso standard'],
            `start ${start}`,
          );
          const sim = running.simulator!;
          const someone = [...sim.control.tenant.users.values()].find((u) => u.accountEnabled && u.userType === 'Member' && u.mail && u.jobTitle)!;
          await until(async () => (await planner.expectedFor(someone.mail!)) !== null, 'the directory copy to hold the user');
          const expected = await planner.expectedFor(someone.mail!);
          assert.equal(expected?.signatures.length, 1);
          const [signature] = expected!.signatures;
          assert.deepEqual(signature!.defaultFor.toSorted(), ['new', 'reply']);
          assert.ok(signature!.rendered.txt.includes(someone.jobTitle!), signature!.rendered.txt);
          assert.ok(signature!.rendered.webHtml.includes(escapeHtml(someone.displayName)), signature!.rendered.webHtml);
        } finally {
          await running.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('starts with branding and a month of devices, seen through the fleet API and the device listener; a restart seeds nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onramp-demo-'));
    const env = { ...ephemeralServeEnv(), ONRAMP_DATA_DIR: dir, ONRAMP_CONFIG_FILE: join(dir, 'no-config.json') };
    let first: { devices: number; beacons: number; assets: string[] } | undefined;
    try {
      for (const start of [1, 2]) {
        const running = await startOnramp({ config: loadConfig({ env }), log: createLogger('silent'), demo: true });
        try {
          const { token } = await new AuthService(running.ctx.storage.db, running.ctx.config.auth, systemClock).createApiToken('demo', 'viewer', 'test');
          const api = async <T>(path: string): Promise<T> => {
            const res = await fetch(`${running.publicUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
            assert.equal(res.status, 200, `${path}: ${res.status}`);
            return (await res.json()) as T;
          };
          const all = await api<DevicesPage>('/api/fleet/devices?limit=500');
          assert.equal(all.total, DEMO_DEVICES, `start ${start}`);
          const count = async (filter: string) => (await api<DevicesPage>(`/api/fleet/devices?${filter}&limit=1`)).total;
          // Each state the fleet view filters on is there, and none is the whole fleet.
          for (const filter of ['outOfDate=true', 'staleDays=7', 'pendingReboot=true', 'nonCompliant=true']) {
            const n = await count(filter);
            assert.ok(n > 0 && n < all.total, `${filter}: ${n} of ${all.total}`);
          }
          const charts = await api<DeviceChartsAnswer>('/api/fleet/devices/charts?days=30&top=5');
          assert.ok(charts.loginsPerDay.filter((d) => d.logins > 0).length >= 20, JSON.stringify(charts.loginsPerDay));
          assert.ok(charts.bootAge.filter((b) => b.devices > 0).length >= 3, JSON.stringify(charts.bootAge));
          const wallpapers = charts.packages.find((p) => p.package === 'backgroundVersion')!;
          assert.ok(wallpapers.versions.length >= 2, 'out-of-date devices report an older wallpaper');

          const { assets } = await api<BrandingAssetList>('/api/branding/assets');
          const { assignments } = await api<AssignmentList>('/api/branding/assignments');
          assert.deepEqual(assignments.map((a) => a.element).toSorted(), ['lockScreen', 'teamsBackgrounds', 'wallpaper']);
          assert.ok(assets.every((a) => a.media === 'image' && a.width === 1920 && a.usedBy.length === 1));

          // A device that applied its manifest: what the listener serves it now is what the fleet expects of it.
          const current = all.devices.find((d) => !d.outOfDate)!;
          const client = await issueDevClient(join(dir, 'pki'), { upn: current.upn, pfxPassword: 'x' });
          const served = await deviceGet(
            `${running.deviceUrl}/api/manifest?upn=${encodeURIComponent(current.upn)}&hostname=${current.hostname}`,
            join(dir, 'pki'),
            client,
          );
          assert.equal(served.status, 200, served.body);
          const manifest = JSON.parse(served.body) as DeviceManifest;
          assert.equal(manifest.version, current.servedManifestVersion);
          const expected = (field: string) => current.packages.find((p) => p.package === field)!;
          assert.equal(manifest.elements.wallpaper?.version, expected('backgroundVersion').applied);
          assert.equal(manifest.elements.teamsBackgrounds?.images.length, 3);

          const history = await api<{ total: number }>(`/api/fleet/devices/${current.hostname}/${encodeURIComponent(current.upn)}/beacons?limit=1`);
          const seen = { devices: all.total, beacons: history.total, assets: assets.map((a) => a.sha256).toSorted() };
          if (first) assert.deepEqual(seen, first, 'the second start seeded nothing');
          first = seen;
        } finally {
          await running.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
