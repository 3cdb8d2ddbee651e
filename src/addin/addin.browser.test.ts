/**
 * The portal's Outlook add-in screen in Chromium against the real public app (signed in through the
 * simulator's identity platform): the manifest downloads as the generated XML, the centralized
 * deployment steps name its address, an http public address is flagged, the app registration values
 * and the latest reports per platform are shown; axe finds nothing. Needs the built SPA (npm run build).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildPublicApp } from '../app.js';
import { createLogger } from '../lib/logger.js';
import { systemClock } from '../lib/clock.js';
import { sqliteBackend, type TestStorage } from '../../test/support/storage.js';
import { startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import { launchChromium } from '../../test/support/browser.js';
import { oidcConfig, signInWithMicrosoft } from '../../test/support/portal-sign-in.js';
import { axeViolations } from '../../test/support/axe.js';
import { upsertAddinStates } from './addin.queries.js';

const BUILT = existsSync(fileURLToPath(new URL('../../portal/dist/index.html', import.meta.url)));
const API_CLIENT_ID = '5d4c3b2a-1908-4f7e-8d6c-5b4a39281706';

describe('the Outlook add-in screen in the browser', { skip: BUILT ? false : 'portal not built: run npm run build' }, () => {
  let storage: TestStorage;
  let tenant: TestTenant;
  let app: FastifyInstance;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let cleanupConfig: (() => void) | undefined;

  before(async () => {
    storage = await sqliteBackend.open();
    tenant = await startTestTenant({ users: 4 });
    const { config, cleanup } = oidcConfig(tenant, (caFile) => ({
      ONRAMP_ADDIN_API_CLIENT_ID: API_CLIENT_ID,
      ONRAMP_GRAPH_TENANT_ID: tenant.sim.tenantId,
      ONRAMP_GRAPH_AUTHORITY_HOST: tenant.sim.authorityHost,
      ONRAMP_GRAPH_CA_FILE: caFile,
    }));
    cleanupConfig = cleanup;
    await upsertAddinStates(storage.db, [
      {
        mailbox: 'a@x',
        platform: 'officeonline',
        compose: 'new',
        outcome: 'inserted',
        version: null,
        reason: null,
        host_version: null,
        reported_by: 'a@x',
        reported_at: '2026-12-03T09:15:00.000Z',
      },
      {
        mailbox: 'a@x',
        platform: 'pc',
        compose: 'reply',
        outcome: 'failed',
        version: null,
        reason: 'timeout',
        host_version: null,
        reported_by: 'a@x',
        reported_at: '2026-12-03T10:30:00.000Z',
      },
    ]);
    app = await buildPublicApp({
      config,
      storage,
      log: createLogger('silent'),
      clock: systemClock,
      demo: false,
      instanceId: 'addin-browser',
      graph: tenant.graph,
      exchange: tenant.exchange,
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    // The simulator's sign-in page is served under its own CA.
    context = await browser.newContext({ acceptDownloads: true, ignoreHTTPSErrors: true });
    page = await context.newPage();
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

  test('downloads the manifest, gives the deployment steps and the registration values, flags http, shows the reports per platform; no axe violations', async () => {
    await page.getByRole('link', { name: 'Outlook add-in' }).click();
    await page.getByRole('heading', { name: 'Outlook add-in', level: 1 }).waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the manifest' }).click()]);
    assert.equal(download.suggestedFilename(), 'onramp-addin-manifest.xml');
    const xml = readFileSync((await download.path())!, 'utf8');
    assert.match(xml, /<OfficeApp /);
    assert.match(xml, new RegExp(`<AppDomain>${base}</AppDomain>`));

    const steps = page.getByRole('region', { name: 'Deploy to your organisation' });
    const items = await steps.getByRole('listitem').allInnerTexts();
    assert.match(items[0]!, /Microsoft 365 admin center .*→ Settings → Integrated apps/);
    assert.match(items[1]!, /Upload custom apps.*Office Add-in/);
    assert.ok(items[2]!.includes(`${base}/addin/manifest.xml`), items[2]);

    // Served over plain http in the test: the screen says Outlook will not load it.
    const warning = page.getByRole('alert').filter({ hasText: 'HTTPS only' });
    await warning.waitFor();
    assert.match(await warning.innerText(), /server\.publicUrl/);

    const registration = page.getByRole('region', { name: 'App registration (Entra ID)' });
    await registration.getByText(`api://${API_CLIENT_ID}/Signatures.Read`).waitFor();
    await registration.getByText('brk-multihub://127.0.0.1:').waitFor();

    const reports = page.getByRole('table').filter({ hasText: 'Last report' });
    const rows = await reports.getByRole('row').allInnerTexts();
    assert.deepEqual(
      rows.slice(1).map((r) => r.split('\t').map((c) => c.trim())),
      [
        ['Outlook on the web', '1', '0', '0', '2026-12-03 09:15 UTC'],
        ['Classic Outlook on Windows', '0', '0', '1', '2026-12-03 10:30 UTC'],
      ],
    );
    assert.deepEqual(await axeViolations(page), []);
    // On a phone the long addresses wrap rather than widen the page.
    await page.setViewportSize({ width: 390, height: 844 });
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)) <= 0, 'no sideways scrolling at 390 px');
  });
});
