/**
 * The fleet's device screens in a real browser (Chromium through playwright-core) against the real
 * server, signed in as a viewer: the Devices list pages, searches, filters and sorts on the server and
 * exports what its filters select; a device's page shows its facts, each package applied vs expected and
 * its beacon history page by page; the charts draw and list their figures; axe finds nothing on any of
 * them. Needs the built SPA (npm run build).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildPublicApp } from '../app.js';
import { AuthService } from '../auth/auth.service.js';
import { loadConfig } from '../onramp-config.js';
import { createLogger } from '../lib/logger.js';
import { DAY_MS, systemClock } from '../lib/clock.js';
import { normaliseBeacon } from '../devices/beacon.js';
import { recordBeacons } from '../devices/devices.queries.js';
import { sqliteBackend, type TestStorage } from '../../test/support/storage.js';
import { launchChromium } from '../../test/support/browser.js';
import { axeViolations } from '../../test/support/axe.js';

const BUILT = existsSync(fileURLToPath(new URL('../../portal/dist/index.html', import.meta.url)));
const ago = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();

async function pagerText(page: Page, name: string): Promise<string> {
  return (await page.getByRole('navigation', { name }).locator('span').innerText()).replace(/\s+/g, ' ');
}

/** The host names the list shows, in order. */
async function shownHosts(page: Page): Promise<string[]> {
  return page.locator('table.data tbody tr td:first-child a').allInnerTexts();
}

/** Waits until the list shows `hosts` (the list answers after a debounce and a request). */
async function listShows(page: Page, hosts: string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const shown = await shownHosts(page);
    if (JSON.stringify(shown) === JSON.stringify(hosts)) return;
    assert.ok(Date.now() < deadline, `the list shows ${JSON.stringify(shown)}, not ${JSON.stringify(hosts)}`);
    await page.waitForTimeout(50);
  }
}

describe('fleet device screens in the browser', { skip: BUILT ? false : 'portal not built: run npm run build' }, () => {
  let storage: TestStorage;
  let app: FastifyInstance;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  const consoleErrors: string[] = [];

  before(async () => {
    storage = await sqliteBackend.open();
    const opts = { storeLocation: false, locationDecimals: 2 };
    const beacon = (hostname: string, upn: string, at: string, extra: Record<string, unknown> = {}) => ({
      beacon: normaliseBeacon(
        { hostname, upn, operatingSystem: 'Windows 11', deviceModel: 'Latitude 7450', compliant: true, systemBootTime: ago(3), ...extra },
        opts,
      ),
      receivedAt: at,
    });
    // 60 ordinary devices (two pages), and three that the filters and the device page pick out.
    const fleet = Array.from({ length: 60 }, (_, i) => beacon(`pc-${String(i).padStart(3, '0')}`, `user${i}@contoso.com`, ago(1 + i / 100)));
    // pc-alpha's history: 25 beacons, one an hour, the wallpaper version going up with each.
    const history = Array.from({ length: 25 }, (_, i) =>
      beacon('pc-alpha', 'ada@contoso.com', ago((25 - i) / 24), { backgroundVersion: `w${i + 1}`, lastLogonTime: ago(1), systemBootTime: ago(2) }),
    );
    await recordBeacons(storage.db, [
      ...fleet,
      ...history,
      beacon('lab-01', 'bob@contoso.com', ago(45), { compliant: false, pendingReboot: true, operatingSystem: 'Windows 10', systemBootTime: ago(50) }),
      beacon('lab-02', 'eve@contoso.com', ago(0.2), { compliant: false, deviceModel: 'Surface Pro' }),
    ]);
    const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json', ONRAMP_AUTH_COOKIE_SECURE: 'false' } });
    app = await buildPublicApp({ config, storage, log: createLogger('silent'), clock: systemClock, demo: false, instanceId: 'fleet-browser' });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    // A viewer's session: the fleet view only reads, so a viewer sees all of it.
    const session = await new AuthService(storage.db, config.auth, systemClock).createSession({
      subject: 'viewer@contoso.com',
      displayName: 'Vera Viewer',
      role: 'viewer',
      method: 'local',
    });
    browser = await launchChromium();
    context = await browser.newContext({ acceptDownloads: true });
    await context.addCookies([{ name: 'onramp_session', value: session.cookieValue, url: base }]);
    page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await app?.close();
    await storage?.close();
  });

  test('Devices: pages, search, filters, sort, out-of-date marker, export of the filtered set; no accessibility violations', async () => {
    await page.goto(`${base}/#/fleet/devices`);
    await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
    await page.locator('table.data tbody tr').nth(49).waitFor();
    assert.equal(await pagerText(page, 'Pages'), '1–50 of 63');
    assert.deepEqual((await shownHosts(page)).slice(0, 3), ['lab-01', 'lab-02', 'pc-000']);
    assert.match(await page.getByText(/^Expected: the versions in the manifest/).innerText(), /Out of date: a reported version differs/);
    assert.deepEqual(await axeViolations(page), []);
    await page.getByRole('button', { name: 'Next' }).click();
    // The pager moves at once; the rows when the next page has answered.
    await page.waitForFunction(() => document.querySelectorAll('table.data tbody tr').length === 13);
    assert.equal(await pagerText(page, 'Pages'), '51–63 of 63');

    // A search goes back to the first page; the marker says why the device is out of date.
    await page.getByLabel('Search').fill('PC-AL');
    await listShows(page, ['pc-alpha']);
    assert.equal(await pagerText(page, 'Pages'), '1–1 of 1');
    assert.match(await page.locator('table.data tbody tr').first().innerText(), /ada@contoso\.com.*Out of date: never served a manifest/s);
    await page.getByLabel('Search').fill('');

    await page.getByLabel('Non-compliant').check();
    await listShows(page, ['lab-01', 'lab-02']);
    await page.getByRole('button', { name: /^Last seen/ }).click();
    await listShows(page, ['lab-01', 'lab-02']);
    await page.getByRole('button', { name: /^Last seen/ }).click();
    await listShows(page, ['lab-02', 'lab-01']);
    assert.equal(await page.getByRole('columnheader', { name: /Last seen/ }).getAttribute('aria-sort'), 'descending');
    await page.getByLabel('Not seen for (days)').fill('30');
    await listShows(page, ['lab-01']);
    await page.getByLabel('Not seen for (days)').fill('');
    await page.getByLabel('Operating system').selectOption('Windows 10');
    await listShows(page, ['lab-01']);
    await page.getByLabel('Operating system').selectOption('');
    await page.getByLabel('Pending reboot').check();
    await listShows(page, ['lab-01']);

    // The export takes the filters on screen: non-compliant with a pending reboot.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
    assert.match(download.suggestedFilename(), /^devices-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    assert.ok(csv.startsWith('\ufeffhostname,upn,'), 'UTF-8 byte-order mark, then the header');
    assert.deepEqual(
      csv
        .trim()
        .split('\r\n')
        .slice(1)
        .map((l) => l.split(',')[0]),
      ['lab-01'],
    );
    await page.getByLabel('Pending reboot').uncheck();
    await page.getByLabel('Non-compliant').uncheck();
    await page.setViewportSize({ width: 390, height: 800 });
    assert.deepEqual(await axeViolations(page), []);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test("a device's page: facts, packages applied vs expected, beacon history newest first, paged", async () => {
    await page.goto(`${base}/#/fleet/devices`);
    await page.getByLabel('Search').fill('pc-alpha');
    await listShows(page, ['pc-alpha']);
    await page.getByRole('link', { name: 'pc-alpha' }).click();
    await page.getByRole('heading', { name: /pc-alpha/, level: 1 }).waitFor();
    // The title follows the route once the screen has rendered.
    await page.waitForFunction(() => document.title === 'Device - onramp');
    const facts = await page.locator('dl.facts').innerText();
    assert.match(facts, /User\s+ada@contoso\.com/);
    assert.match(facts, /Manifest last served\s+Never/);
    assert.doesNotMatch(facts, /Location/, 'no location row while devices.storeLocation is off');
    const packages = page.getByRole('table', { name: 'Applied and expected version per package' });
    assert.equal(await packages.locator('tbody tr').count(), 7);
    assert.match(await packages.getByRole('row', { name: /Wallpaper/ }).innerText(), /Wallpaper\s+w25\s+never served\s+Out of date/);

    const history = page.getByRole('table', { name: /Beacons received, newest first/ });
    await history.locator('tbody tr').first().waitFor();
    await page.waitForFunction(() => document.querySelector('nav[aria-label="History pages"] span')?.textContent === '1–20 of 25');
    assert.equal(await history.locator('tbody tr').count(), 20);
    assert.match(await history.locator('tbody tr').first().innerText(), /\bw25\b/);
    assert.deepEqual(await axeViolations(page), []);
    await page.getByRole('button', { name: 'Older' }).click();
    await page.waitForFunction(() => document.querySelectorAll('table.data.compact')[1]?.querySelectorAll('tbody tr').length === 5);
    assert.equal(await pagerText(page, 'History pages'), '21–25 of 25');
    assert.match(await history.locator('tbody tr').last().innerText(), /\bw1\b/);

    await page.goto(`${base}/#/fleet/devices/pc-alpha/nobody%40contoso.com`);
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /No device pc-alpha has sent a beacon for user nobody@contoso\.com/);
  });

  test('device charts: logons per day, boot age and package versions as SVG with their tables; no accessibility violations', async () => {
    await page.goto(`${base}/#/fleet/charts`);
    await page.getByRole('heading', { name: 'Device charts', level: 1 }).waitFor();
    await page.locator('figure.chart svg rect').first().waitFor({ state: 'attached' });
    // One line chart, one boot-age chart, one per package.
    assert.equal(await page.locator('figure.chart').count(), 1 + 1 + 7);
    assert.equal(await page.locator('figure.chart').first().locator('circle.point').count(), 30);
    const boot = page.locator('figure.chart').nth(1);
    assert.match((await boot.locator('rect title').allTextContents()).join('\n'), /^1–7 days: 62 Devices$/m);
    await boot.locator('summary').click();
    assert.match(await boot.locator('table').innerText(), /30–90 days\s+1\s+2%/);
    const wallpaper = page.locator('figure.chart', { hasText: 'Wallpaper: devices per version' });
    // pc-alpha reports w25; the 62 others report none.
    assert.deepEqual(await wallpaper.locator('rect title').allTextContents(), ['(none): 62 Devices', 'w25: 1 Devices']);
    await page.getByLabel('Range').selectOption('7');
    await page.waitForFunction(() => document.querySelector('figure.chart')?.querySelectorAll('circle.point').length === 7);
    assert.deepEqual(await axeViolations(page), []);
    assert.deepEqual(
      consoleErrors.filter((e) => !/404/.test(e)),
      [],
    );
  });
});
