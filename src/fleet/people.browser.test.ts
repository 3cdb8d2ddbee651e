/**
 * The fleet's people-side screens in a real browser (Chromium through playwright-core) against the real
 * server, the tenant simulator and its synced directory: a tracked user's page shows their devices
 * (location for admins only), the certificates the gateway saw and their mailbox's signature state
 * with the reasons, and links to the mailbox's page; the device calls screen filters refused calls and
 * says why each was refused; the certificate overview lists the one expiring soon; Reports draws the
 * funnel over time. Every screen passes axe. Needs the built SPA (npm run build).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildPublicApp } from '../app.js';
import { createLogger } from '../lib/logger.js';
import { DAY_MS, systemClock } from '../lib/clock.js';
import { AuthService } from '../auth/auth.service.js';
import { DirectorySync } from '../directory/directory-sync.js';
import { AuditWriter } from '../gateway/audit-writer.js';
import type { CertificateIdentity } from '../gateway/certificate-verifier.js';
import { sqliteBackend, type TestStorage } from '../../test/support/storage.js';
import { startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import { launchChromium } from '../../test/support/browser.js';
import { axeViolations } from '../../test/support/axe.js';
import { oidcConfig, signInWithMicrosoft } from '../../test/support/portal-sign-in.js';

const BUILT = existsSync(fileURLToPath(new URL('../../portal/dist/index.html', import.meta.url)));
const THUMBPRINT = 'AB'.repeat(20);

describe('fleet people screens in the browser', { skip: BUILT ? false : 'portal not built: run npm run build' }, () => {
  let storage: TestStorage;
  let tenant: TestTenant;
  let app: FastifyInstance;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let cleanupConfig: (() => void) | undefined;
  let upn: string;
  let mailbox: string;
  let trackedId: number;
  const consoleErrors: string[] = [];

  before(async () => {
    storage = await sqliteBackend.open();
    tenant = await startTestTenant({ users: 8 });
    const { config, cleanup } = oidcConfig(tenant, { ONRAMP_DEVICES_STORE_LOCATION: 'true' });
    cleanupConfig = cleanup;
    const log = createLogger('silent');
    await new DirectorySync(storage.db, tenant.graph, systemClock, log, 'people-browser').runOnce();
    app = await buildPublicApp({
      config,
      storage,
      log,
      clock: systemClock,
      demo: false,
      instanceId: 'people-browser',
      graph: tenant.graph,
      exchange: tenant.exchange,
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });

    // What an admin, the devices and the gateway would have produced by now.
    const token = (await new AuthService(storage.db, config.auth, systemClock).createApiToken('seed', 'admin', 'test')).token;
    const headers = { authorization: `Bearer ${token}` };
    const member = [...tenant.sim.control.tenant.users.values()].find((u) => u.accountEnabled && u.userType === 'Member' && u.mail && u.appRoles.length === 0)!;
    upn = member.userPrincipalName.toLowerCase();
    mailbox = member.mail!.toLowerCase();
    const upload = await app.inject({
      method: 'POST',
      url: '/api/upload-users',
      headers: { ...headers, 'content-type': 'text/csv' },
      payload: `UPN\n${upn}\n`,
    });
    assert.equal(upload.statusCode, 200, upload.body);
    trackedId = (await storage.db.selectFrom('tracked_user').select('id').where('upn_key', '=', upn).executeTakeFirstOrThrow()).id;
    const now = Date.now();
    await storage.db
      .updateTable('tracked_user')
      .set({ invite_sent_date: new Date(now - 2 * DAY_MS).toISOString(), email_opened_date: new Date(now - DAY_MS).toISOString() })
      .where('id', '=', trackedId)
      .execute();
    const template = await app.inject({
      method: 'POST',
      url: '/api/signatures/templates',
      headers,
      payload: { name: 'Standard', source: '<p>{{ user.displayName }}</p>' },
    });
    assert.equal(template.statusCode, 201, template.body);
    const rule = await app.inject({
      method: 'POST',
      url: '/api/signatures/rules',
      headers,
      payload: {
        name: 'Everyone',
        enabled: true,
        kind: 'signature',
        templateId: template.json().id,
        defaults: 'both',
        conditions: {},
        exclusions: {},
        window: null,
      },
    });
    assert.equal(rule.statusCode, 201, rule.body);
    const seen = new Date(now).toISOString();
    await storage.db
      .insertInto('device_state')
      .values({
        hostname: 'pc-0042',
        upn,
        operating_system: 'Windows 11 Enterprise',
        device_model: 'Latitude 7450',
        beacon_launch_time: null,
        last_use_time: null,
        system_boot_time: null,
        last_logon_time: null,
        background_version: '',
        lock_screen_version: '',
        new_signature_version: 'old-version-hash',
        reply_signature_version: 'old-version-hash',
        web_signature_version: '',
        screensaver_version: '',
        teams_background_version: '',
        pending_reboot: 0,
        compliant: 1,
        location: 'POINT(4.90 52.37)',
        first_seen_at: seen,
        last_seen_at: seen,
      })
      .execute();
    const identity: CertificateIdentity = {
      upn,
      dnsNames: [],
      subject: `CN=${upn}`,
      issuer: 'CN=Contoso Device Issuing CA',
      serialNumber: '4F2A91',
      notBefore: new Date(now - 355 * DAY_MS).toISOString(),
      notAfter: new Date(now + 10 * DAY_MS).toISOString(),
      thumbprint: THUMBPRINT,
      issuerThumbprint: 'CD'.repeat(20),
    };
    const audit = new AuditWriter(storage.db, { flushIntervalMs: 5, retentionDays: 30, instanceId: 'seed' }, systemClock, log);
    const record = (minutesAgo: number, status: number, code: string | null, reason: string | null, cert: CertificateIdentity | null) =>
      audit.record(
        {
          at: new Date(now - minutesAgo * 60_000).toISOString(),
          upn: cert?.upn ?? null,
          thumbprint: cert?.thumbprint ?? null,
          ip: '198.51.100.7',
          method: 'POST',
          route: '/api/beacon',
          status,
          duration_ms: 2,
          request_id: `seed-${minutesAgo}`,
          code,
          reason,
        },
        cert,
      );
    record(30, 200, null, null, identity);
    record(20, 401, 'ONRAMP_ERR_CLIENT_CERT_REJECTED', 'Client certificate rejected: certificate has expired', null);
    await audit.close();

    browser = await launchChromium();
    context = await browser.newContext({ ignoreHTTPSErrors: true });
    page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    const admin = [...tenant.sim.control.tenant.users.values()].find((u) => u.appRoles.includes('Onramp.Admin'))!;
    await signInWithMicrosoft(page, base, admin.displayName);
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await app?.close();
    await storage?.close();
    await tenant?.stop();
    cleanupConfig?.();
  });

  test("a user's page: onboarding, devices with location (admin), certificates seen, signature state with reasons, and the mailbox's own page", async () => {
    await page.goto(`${base}/#/users/${trackedId}`);
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    const devices = page.getByRole('table', { name: 'Devices' });
    await devices.getByRole('cell', { name: 'pc-0042' }).waitFor();
    assert.match(await devices.innerText(), /POINT\(4\.90 52\.37\)/);
    const certificates = page.getByRole('table', { name: 'Certificates' });
    const certText = await certificates.innerText();
    for (const fact of [`CN=${upn}`, 'CN=Contoso Device Issuing CA', '4F2A91', THUMBPRINT, 'expires soon'])
      assert.ok(certText.includes(fact), `${fact} in ${certText}`);
    const places = page.getByRole('table', { name: 'Signature state per place' });
    await places.getByText('pc-0042 reports an older version', { exact: false }).waitFor();
    assert.match(await places.innerText(), /Exchange/);
    assert.deepEqual(await axeViolations(page), []);

    await page.getByRole('link', { name: mailbox, exact: true }).click();
    await page.getByRole('heading', { name: `Signatures of ${mailbox}` }).waitFor();
    await page.getByRole('table', { name: 'Signature state per place' }).getByText('pc-0042 reports an older version', { exact: false }).waitFor();
    assert.deepEqual(await axeViolations(page), []);
    // The list by state, reached from the sidebar.
    await page.getByRole('link', { name: 'Signatures per mailbox' }).click();
    await page.getByRole('link', { name: mailbox }).waitFor();
    assert.deepEqual(await axeViolations(page), []);
  });

  test('device calls: refused only, with the reason in words; certificates expiring soon', async () => {
    await page.getByRole('link', { name: 'Device calls' }).click();
    const table = page.getByRole('table', { name: 'Device calls' });
    await table.getByRole('link', { name: upn }).waitFor();
    assert.equal(await table.locator('tbody tr').count(), 2);
    await page.getByLabel('Refused only').check();
    await page.getByRole('button', { name: 'Apply' }).click();
    await table.getByText('Client certificate rejected: certificate has expired').waitFor();
    for (let i = 0; (await table.locator('tbody tr').count()) !== 1; i++) {
      assert.ok(i < 50, 'the refused call alone');
      await page.waitForTimeout(50);
    }
    assert.match(await table.innerText(), /198\.51\.100\.7/, 'admins see the address');
    assert.deepEqual(await axeViolations(page), []);

    // The sidebar's link (the screen's text links there too).
    await page.getByRole('navigation').getByRole('link', { name: 'Certificates' }).click();
    const list = page.getByRole('table', { name: 'Expiring within 30 days' });
    await list.getByRole('link', { name: upn }).waitFor();
    assert.match(await list.innerText(), /expires soon/);
    assert.deepEqual(await axeViolations(page), []);
  });

  test('Reports draws the funnel over time with its figures as a table', async () => {
    await page.getByRole('link', { name: 'Reports' }).click();
    const chart = page.getByRole('img', { name: /^Invited, Opened and Enrolled per day/ });
    await chart.waitFor();
    await page.getByText('The figures as a table').nth(1).click();
    const figures = page.getByRole('table', { name: /Users invited, opened and enrolled by each day/ });
    const today = new Date().toISOString().slice(0, 10);
    assert.match(await figures.getByRole('row', { name: new RegExp(today) }).innerText(), /1\s+1\s+0/);
    assert.deepEqual(await axeViolations(page), []);
  });

  test('at 390 px the people screens fit without sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      for (const hash of [
        `#/users/${trackedId}`,
        `#/fleet/mailboxes/${encodeURIComponent(mailbox)}`,
        '#/fleet/mailboxes',
        '#/fleet/device-calls',
        '#/fleet/certificates',
      ]) {
        await page.goto(`${base}/${hash}`);
        await page.locator('h1').first().waitFor();
        await page.locator('table').first().waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.equal(overflow, 0, `${hash} is ${overflow} px wider than the phone`);
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  test('a viewer sees no location or addresses', async () => {
    const viewerContext = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const viewerPage = await viewerContext.newPage();
      const viewer = [...tenant.sim.control.tenant.users.values()].find((u) => u.appRoles.includes('Onramp.Viewer'))!;
      await signInWithMicrosoft(viewerPage, base, viewer.displayName);
      await viewerPage.goto(`${base}/#/users/${trackedId}`);
      const devices = viewerPage.getByRole('table', { name: 'Devices' });
      await devices.getByRole('cell', { name: 'pc-0042' }).waitFor();
      assert.doesNotMatch(await devices.innerText(), /POINT/);
      await viewerPage.getByText('Locations and addresses are shown to admins only', { exact: false }).waitFor();
      await viewerPage.goto(`${base}/#/fleet/device-calls`);
      const calls = viewerPage.getByRole('table', { name: 'Device calls' });
      await calls.getByRole('link', { name: upn }).waitFor();
      assert.doesNotMatch(await calls.innerText(), /198\.51\.100\.7/);
    } finally {
      await viewerContext.close();
    }
    assert.deepEqual(consoleErrors, []);
  });
});
