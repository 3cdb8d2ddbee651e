/**
 * The portal in a real browser (Debian's chromium through playwright-core): first-run sign-in, CSV
 * upload by drag and drop, reports and CSV export, a user's timeline, hostile values rendered as text,
 * and a viewer who gets no upload screen and a 403 from the API. Needs the built SPA (npm run build).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildPublicApp } from '../app.js';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../lib/logger.js';
import { systemClock } from '../lib/clock.js';
import { sqliteBackend, type TestStorage } from '../../test/support/storage.js';
import { AuthService } from '../auth/auth.service.js';

const BUILT = existsSync(fileURLToPath(new URL('../../portal/dist/index.html', import.meta.url)));
const XSS = '<img src=x onerror="window.__xss=1">';

describe('portal in the browser', { skip: BUILT ? false : 'portal not built: run npm run build' }, () => {
  let storage: TestStorage;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;

  before(async () => {
    storage = await sqliteBackend.open();
    const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json', ONRAMP_AUTH_COOKIE_SECURE: 'false' } });
    app = await buildPublicApp({ config, storage, log: createLogger('silent'), clock: systemClock, demo: false, instanceId: 'browser-test' });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await storage?.close();
  });

  test('admin: set up, upload by drag and drop, reports, export, timeline; hostile text stays text', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => m.type() === 'error' && violations.push(m.text()));
    await page.goto(base + '/');
    await page.getByLabel('User name').fill('alice');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByLabel('Setup code').fill(app.onrampAuth.setupCode!);
    await page.getByRole('button', { name: 'Create admin and sign in' }).click();
    await page.getByRole('heading', { name: 'Reports' }).waitFor();

    await page.getByRole('link', { name: 'Upload', exact: true }).click();
    const csv = 'UPN,Department\nann@contoso.com,Sales\nbob@contoso.com,IT\nnot-an-address,IT\n';
    const transfer = await page.evaluateHandle((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'roster.csv', { type: 'text/csv' }));
      return dt;
    }, csv);
    await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: transfer });
    await page.getByText('roster.csv').waitFor();
    assert.match(await page.locator('.preview').innerText(), /2 users to send.*1 invalid/s);
    await page.getByLabel('Batch id (optional)').fill('wave-1');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const result = page.getByRole('status');
    await result.getByText('Uploaded to batch wave-1').waitFor();
    assert.match(await result.innerText(), /Added: 2/);

    // Directory data is outside onramp's control: hostile values must render as text.
    await storage.db.updateTable('tracked_user').set({ display_name: XSS, department: XSS }).where('upn_key', '=', 'ann@contoso.com').execute();

    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByText('Tracked users').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
    assert.match(download.suggestedFilename(), /^mfa-report-\d{4}-\d{2}-\d{2}\.csv$/);
    const exported = readFileSync((await download.path())!, 'utf8');
    assert.match(exported, /ann@contoso\.com/);
    assert.match(exported, /bob@contoso\.com/);

    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('link', { name: 'ann@contoso.com' }).click();
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    assert.match(await page.locator('.timeline').innerText(), /uploaded/);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), XSS);
    assert.equal(await page.locator('img[src=x]').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], 'the SPA runs under its CSP');
    await context.close();
  });

  test('viewer: no upload screen, and the API answers 403 to an upload', async () => {
    const auth = new AuthService(storage.db, app.onrampAuth.service.config, systemClock);
    const session = await auth.createSession({ subject: 'vera@contoso.com', displayName: 'Vera Viewer', role: 'viewer', method: 'oidc' });
    const context = await browser.newContext();
    await context.addCookies([{ name: 'onramp_session', value: session.cookieValue, url: base }]);
    const page = await context.newPage();
    await page.goto(base + '/');
    await page.getByText('Vera Viewer').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Upload', exact: true }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Manual entry' }).count(), 0);
    const status = await page.evaluate(async (csrf) => {
      const res = await fetch('/api/upload-users', { method: 'POST', headers: { 'content-type': 'text/csv', 'x-csrf-token': csrf }, body: 'UPN\nx@contoso.com\n' });
      return res.status;
    }, session.csrfToken);
    assert.equal(status, 403);
    await context.close();
  });
});
