/**
 * The portal in a real browser (Chromium through playwright-core: the system's, else the npm-packaged one), signed in through the
 * OpenID Connect flow against the tenant simulator: an admin uploads a CSV by drag and drop, filters
 * the report and exports exactly that scope, resends a user's invitation, sees hostile values as
 * text; a viewer gets no upload screen and a 403 from the API; in the demo an admin walks the journey
 * from the Mailbox (invitation → click → enrolled → Authenticator registered on the simulator's
 * security-info page → Active). Needs the built SPA (npm run build).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildPublicApp } from '../app.js';
import { loadConfig } from '../onramp-config.js';
import { createLogger } from '../lib/logger.js';
import { systemClock } from '../lib/clock.js';
import { sqliteBackend, type TestStorage } from '../../test/support/storage.js';
import { startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import { createOnboardingJobs, type OnboardingJobs } from '../onboarding/invitations.scheduler.js';
import { demoTenantOf, withDemoTenant } from '../demo.js';
import { launchChromium } from '../../test/support/browser.js';
import { oidcConfig, signInWithMicrosoft } from '../../test/support/portal-sign-in.js';
import { axeViolations } from '../../test/support/axe.js';
import { linkTokenOf } from '../onboarding/onboarding.domain.js';
import { OnboardingPages } from '../onboarding/onboarding.pages.js';
import { DEFAULT_SUBJECTS, escalationEmail, userEmail } from '../onboarding/email-templates.js';
import { brandingFrom } from '../onboarding/invitations.scheduler.js';
import { ReportService } from '../onboarding/reports.service.js';

const BUILT = existsSync(fileURLToPath(new URL('../../portal/dist/index.html', import.meta.url)));
const XSS = '<img src=x onerror="window.__xss=1">';

/** Every form control has an accessible name (a label, aria-label or aria-labelledby). */
async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLInputElement>('input:not([type=hidden]), select, textarea'))
      .filter((el) => (el.labels?.length ?? 0) === 0 && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
      .map((el) => el.outerHTML),
  );
}

/**
 * Visible text whose contrast with its background is under WCAG AA (4.5:1, 3:1 for large text). Kept as
 * source text: the test's TypeScript transform would add helpers the page does not have.
 */
const LOW_CONTRAST_TEXT = String.raw`(() => {
  const parse = (c) => { const m = c.match(/[\d.]+/g).map(Number); return { r: m[0], g: m[1], b: m[2], a: m[3] ?? 1 }; };
  const lum = ({ r, g, b }) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const bg = (el) => { while (el) { const c = parse(getComputedStyle(el).backgroundColor); if (c.a > 0.5) return c; el = el.parentElement; } return { r: 255, g: 255, b: 255 }; };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement; if (!n.textContent.trim() || el.closest('svg')) continue;
    const s = getComputedStyle(el); if (s.visibility === 'hidden' || el.getClientRects().length === 0) continue;
    const fg = parse(s.color); const b = bg(el); const L1 = lum(fg), L2 = lum(b);
    const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
    const large = parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5) && !el.disabled) out.push(ratio.toFixed(2) + ' ' + el.tagName + '.' + el.className + ' "' + n.textContent.trim().slice(0, 30) + '" ' + s.color + ' on ' + JSON.stringify(b));
  }
  return [...new Set(out)];
})()`;

async function lowContrastText(page: Page): Promise<string[]> {
  return page.evaluate(LOW_CONTRAST_TEXT) as Promise<string[]>;
}

describe('portal in the browser', { skip: BUILT ? false : 'portal not built: run npm run build' }, () => {
  let storage: TestStorage;
  let tenant: TestTenant;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  let cleanupConfig: (() => void) | undefined;
  const roleHolder = (role: string) => [...tenant.sim.control.tenant.users.values()].find((u) => u.appRoles.includes(role))!;

  before(async () => {
    storage = await sqliteBackend.open();
    tenant = await startTestTenant({ users: 12 });
    const { config, cleanup } = oidcConfig(tenant);
    cleanupConfig = cleanup;
    app = await buildPublicApp({ config, storage, log: createLogger('silent'), clock: systemClock, demo: false, instanceId: 'browser-test' });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await storage?.close();
    await tenant?.stop();
    cleanupConfig?.();
  });

  test('admin: single sign-on, upload by drag and drop, filtered report and export, resend, timeline; hostile text stays text; labelled, keyboard-reachable controls', async () => {
    // The browser trusts the simulator's test CA only through this flag; onramp itself verifies it.
    const context = await browser.newContext({ acceptDownloads: true, ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => m.type() === 'error' && violations.push(m.text()));
    page.on('dialog', (d) => void d.accept());
    const admin = roleHolder('Onramp.Admin');
    await signInWithMicrosoft(page, base, admin.displayName);
    assert.match(await page.locator('.topbar .who').innerText(), new RegExp(`${admin.displayName}\\s*admin`));

    // Keyboard: the first Tab reaches the skip link, which moves focus to the content; focus is visible.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    await page.getByRole('link', { name: 'Users' }).focus();
    assert.notEqual(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle), 'none', 'focus is visible');

    await page.getByRole('link', { name: 'Upload', exact: true }).click();
    assert.deepEqual(await unlabelledControls(page), []);
    const csv = 'UPN,Department\nann@contoso.com,Sales\nbob@contoso.com,IT\nnot-an-address,IT\n';
    const transfer = await page.evaluateHandle((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'roster.csv', { type: 'text/csv' }));
      return dt;
    }, csv);
    await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: transfer });
    await page.getByText('roster.csv').waitFor();
    assert.match(await page.locator('.preview').innerText(), /2 users in the file.*1 invalid/s);
    await page.locator('.preview').getByText('New: 2').waitFor();
    assert.match(await page.locator('.preview').innerText(), /Rows left out: 1/);
    await page.getByLabel('Batch id (optional)').fill('wave-1');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const result = page.getByRole('status');
    await result.getByText('Uploaded to batch wave-1').waitFor();
    assert.match(await result.innerText(), /Added: 2/);
    // Stored: the form is empty again, so a second click cannot send the file twice.
    assert.equal(await page.getByText('roster.csv').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Upload', exact: true }).isDisabled(), true);

    // The same users again: the preview says, per row, that they stay as they are unless a new invitation is asked for.
    await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: transfer });
    await page.locator('.preview').getByText('Unchanged: 2').waitFor();
    await page.locator('.preview summary').click();
    assert.match(await page.locator('.preview table').first().innerText(), /ann@contoso\.com\s+Already in the campaign: unchanged, their link keeps working/);
    await page.getByLabel(/Send a new invitation to users already in the campaign/).check();
    await page.locator('.preview').getByText('New invitation: 2').waitFor();
    assert.match(await page.locator('.preview table').first().innerText(), /ann@contoso\.com\s+Already in the campaign: will get a new invitation/);
    await page.getByLabel(/Send a new invitation to users already in the campaign/).uncheck();
    await page.locator('.preview').getByText('Unchanged: 2').waitFor();
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await result.getByText(/Unchanged: 2/).waitFor();
    assert.equal(
      (await storage.db.selectFrom('tracked_user').select('source_batch_id').where('upn_key', '=', 'ann@contoso.com').executeTakeFirst())?.source_batch_id,
      'wave-1',
    );

    // Directory data is outside onramp's control: hostile values must render as text.
    await storage.db.updateTable('tracked_user').set({ display_name: XSS, department: XSS }).where('upn_key', '=', 'ann@contoso.com').execute();

    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByText('Tracked users').waitFor();
    // The activity chart (the first; the funnel follows): labelled axes, a tooltip per point, a range to pick, and its figures as a table.
    const activity = page.locator('figure.chart').first();
    assert.deepEqual(await activity.locator('.axis-title').allTextContents(), ['Day (UTC)', 'Users']);
    assert.equal(await activity.locator('circle.point').count(), 4 * 30);
    assert.match((await activity.locator('circle.point title').first().textContent()) ?? '', /^\d{4}-\d{2}-\d{2}: Sent \d+$/);
    await page.getByLabel('Range').selectOption('7');
    await page.waitForFunction(() => document.querySelector('figure.chart')?.querySelectorAll('circle.point').length === 4 * 7);
    await activity.locator('.chart-data summary').click();
    assert.equal(await activity.locator('.chart-data tbody tr').count(), 7);
    assert.match(await activity.locator('.chart-data thead').innerText(), /Day\s+Sent\s+Opened\s+Clicked\s+Active/);
    // The funnel over the same days: running totals of three steps.
    await page.waitForFunction(() => document.querySelectorAll('figure.chart')[1]?.querySelectorAll('circle.point').length === 3 * 7);
    // A batch paused from its row, then resumed.
    await page.getByRole('button', { name: 'Pause batch wave-1' }).click();
    await page.getByRole('button', { name: 'Resume batch wave-1' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Resume batch wave-1' }).innerText(), 'Paused: resume');
    await page.getByRole('button', { name: 'Resume batch wave-1' }).click();
    await page.getByRole('button', { name: 'Pause batch wave-1' }).waitFor();
    assert.deepEqual(await unlabelledControls(page), []);
    assert.deepEqual(await lowContrastText(page), []);
    // Exported at once after typing, before the tiles have asked: the export still takes the search.
    await page.getByLabel('Search').fill('bob');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
    assert.match(download.suggestedFilename(), /^mfa-report-\d{4}-\d{2}-\d{2}\.csv$/);
    const bytes = readFileSync((await download.path())!);
    assert.ok(bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), 'a UTF-8 byte-order mark, so Excel reads the names right');
    const exported = bytes.toString('utf8').trim().split('\r\n');
    assert.equal(exported.length, 2, 'the export holds the one user the screen counts');
    assert.match(exported[1]!, /^bob@contoso\.com,/);
    await page.locator('.tile', { hasText: 'Tracked users' }).getByText('1', { exact: true }).waitFor();
    assert.match(await page.locator('#send-report-scope').innerText(), /users these filters select \(matching “bob”\), not the whole campaign/);

    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    // The file's Department column was kept: the filter slices by it.
    await page.getByLabel('Department').selectOption('IT');
    await page.getByText('1–1 of 1').waitFor();
    assert.equal(await page.getByRole('link', { name: 'bob@contoso.com' }).count(), 1);
    // A bulk action on what the filters select, confirmed with its count.
    const asked: string[] = [];
    page.on('dialog', (d) => asked.push(d.message()));
    await page.getByLabel(/With all 1 user these filters select/).selectOption('exclude');
    await page.getByRole('button', { name: 'Apply to 1 user…' }).click();
    await page.getByRole('status').getByText('1 of 1 marked Excluded.').waitFor();
    assert.deepEqual(asked, ['Mark 1 user as Excluded? They get no more email.']);
    await page.getByRole('cell', { name: /Excluded left out by an admin/ }).waitFor();
    await page.getByLabel('Department').selectOption('');
    await page.getByRole('link', { name: 'ann@contoso.com' }).click();
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    assert.match(await page.locator('.timeline').innerText(), /Added to the campaign in batch wave-1 \(line 2 of the file\)/);
    assert.doesNotMatch(await page.locator('.timeline').innerText(), /[{}]/, 'no raw JSON');
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), XSS);
    assert.deepEqual(await lowContrastText(page), []);
    await page.getByRole('button', { name: 'Resend now' }).click();
    await page.getByRole('status').getByText('Back to Pending').waitFor();
    assert.match(await page.locator('.timeline').innerText(), /A new invitation was asked for \(was Pending\)[^\n]*\s*by /);
    assert.equal(await page.locator('img[src=x]').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('cell', { name: /Started a new invitation for a user/ }).waitFor();
    for (const action of ['Signed in', 'Uploaded users', 'Exported the report as CSV'])
      assert.equal((await page.getByRole('cell', { name: new RegExp(`^${action}`) }).count()) > 0, true, action);
    assert.match(await page.locator('table.data').innerText(), /total 3, added 2/, 'details in words');
    assert.doesNotMatch(await page.locator('table.data').innerText(), /[{}"]/, 'no raw JSON');
    assert.deepEqual(
      violations.filter((v) => /Content Security Policy/i.test(v)),
      [],
      'the SPA runs under its CSP',
    );
    await context.close();
  });

  test('admin: an Excel "Unicode text" file (UTF-16, tab-separated) is previewed and uploaded as such; one that does not decode is refused naming its encoding', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    page.on('dialog', (d) => void d.accept());
    await signInWithMicrosoft(page, base, roleHolder('Onramp.Admin').displayName);
    await page.getByRole('link', { name: 'Upload', exact: true }).click();
    const unicodeText = Buffer.from('\uFEFFName\tUPN\tDepartment\r\nZoë Ångström\tzoe@contoso.com\tR&D, Lab\r\nYann\tyann@contoso.com\tSales\r\n', 'utf16le');
    const file = page.getByLabel('CSV file');

    await file.setInputFiles({ name: 'cut.txt', mimeType: 'text/plain', buffer: unicodeText.subarray(0, unicodeText.length - 1) });
    assert.match(await page.getByRole('alert').innerText(), /not valid UTF-16 LE text/);

    await file.setInputFiles({ name: 'unicode.txt', mimeType: 'text/plain', buffer: unicodeText });
    assert.match(await page.locator('.preview').innerText(), /2 users in the file \(column “UPN”\).*Read as UTF-16 LE text, tab-separated\./s);
    await page.getByLabel('Batch id (optional)').fill('unicode');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const result = page.getByRole('status');
    await result.getByText('Uploaded to batch unicode').waitFor();
    assert.match(await result.innerText(), /Added: 2/);
    const stored = await storage.db.selectFrom('tracked_user').select('upn').where('source_batch_id', '=', 'unicode').orderBy('upn').execute();
    assert.deepEqual(
      stored.map((u) => u.upn),
      ['yann@contoso.com', 'zoe@contoso.com'],
    );
    await context.close();
  });

  test('phone width (360 and 390 px): no screen is wider than the phone, the tabs and Sign out are on screen; each screen has its title and gets the focus; unknown routes say so', async () => {
    const user = await storage.db.selectFrom('tracked_user').select('id').orderBy('id').executeTakeFirstOrThrow();
    const screens: Array<[string, string, string]> = [
      ['#/reports', 'Reports', 'Reports'],
      ['#/users', 'Users', 'Users'],
      [`#/users/${user.id}`, 'User', ''],
      ['#/upload', 'Upload', 'Upload users'],
      ['#/manual', 'Manual entry', 'Manual entry'],
      ['#/audit', 'Audit log', 'Audit log'],
      ['#/settings', 'Settings', 'Settings'],
      ['#/no-such-screen', 'Not found', 'Page not found'],
    ];
    for (const width of [360, 390]) {
      const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width, height: 780 } });
      const page = await context.newPage();
      await signInWithMicrosoft(page, base, roleHolder('Onramp.Admin').displayName);
      for (const [hash, title, heading] of screens) {
        await page.goto(`${base}/${hash}`);
        await page.waitForFunction((t) => document.title === `${t} - onramp`, title);
        await page.locator('#main h1').first().waitFor();
        if (heading) assert.equal(await page.locator('#main h1').first().innerText(), heading);
        await page.waitForTimeout(150);
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        // The widest elements that stick out, to say what to fix.
        const culprits = await page.evaluate((w) => {
          const out: string[] = [];
          for (const el of Array.from(document.querySelectorAll('body *'))) {
            const r = el.getBoundingClientRect();
            if (r.right > w + 1 && !el.closest('.table-wrap')) out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.right)}`);
          }
          return out.slice(0, 8);
        }, width);
        assert.ok(wide <= width, `${hash} at ${width} px is ${wide} px wide: ${culprits.join(', ')}`);
        for (const control of [page.getByRole('button', { name: 'Sign out' }), ...(await page.locator('nav.sidebar a').all())]) {
          const box = (await control.boundingBox())!;
          assert.ok(box.x >= 0 && box.x + box.width <= width, `${await control.innerText()} is on screen at ${width} px on ${hash}`);
        }
      }
      // Moving to another screen moves the focus to its heading.
      await page.goto(`${base}/#/reports`);
      await page.getByRole('heading', { name: 'Reports' }).waitFor();
      await page.locator('nav.sidebar').getByRole('link', { name: 'Users', exact: true }).click();
      await page.waitForFunction(() => document.activeElement?.id === 'users-title');
      await context.close();
    }
  });

  test("an account without an onramp role gets the portal's page saying so, with a way back, not a JSON error", async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const nobody = [...tenant.sim.control.tenant.users.values()].find((u) => u.appRoles.length === 0 && u.accountEnabled)!;
    await page.goto(base + '/');
    await page.getByRole('link', { name: 'Sign in with Microsoft' }).click();
    await page.getByRole('heading', { name: 'Sign in (simulated tenant)' }).waitFor();
    await page.getByRole('link', { name: nobody.displayName, exact: true }).click();
    await page.getByRole('heading', { name: 'No access to onramp yet' }).waitFor();
    assert.match(await page.locator('main').innerText(), /Ask an onramp administrator to give your account the Onramp\.Admin or Onramp\.Viewer role/);
    assert.equal(await page.title(), 'No access - onramp');
    assert.deepEqual(await lowContrastText(page), []);
    await page.getByRole('button', { name: 'Back to sign-in' }).click();
    await page.getByRole('link', { name: 'Sign in with Microsoft' }).waitFor();
    assert.equal(new URL(page.url()).search, '');
    await context.close();
  });

  test('accessibility (axe-core: WCAG 2.2 A and AA, and best practices): no violations on any screen, end-user page or email', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    page.on('dialog', (d) => void d.accept());
    const found: string[] = [];
    const check = async (where: string, options?: { bestPractices?: boolean }) => {
      for (const v of await axeViolations(page, options)) found.push(`${where}: ${v}`);
    };
    await page.goto(base + '/');
    await page.getByRole('link', { name: 'Sign in with Microsoft' }).waitFor();
    await check('sign-in');
    await page.goto(base + '/?signin=no-role');
    await page.getByRole('heading', { name: 'No access to onramp yet' }).waitFor();
    await check('no role');
    await signInWithMicrosoft(page, base, roleHolder('Onramp.Admin').displayName);

    const user = await storage.db.selectFrom('tracked_user').selectAll().orderBy('id').executeTakeFirstOrThrow();
    for (const [hash, heading] of [
      ['#/reports', 'Reports'],
      ['#/users', 'Users'],
      [`#/users/${user.id}`, 'Timeline'],
      ['#/upload', 'Upload users'],
      ['#/manual', 'Manual entry'],
      ['#/audit', 'Audit log'],
      ['#/settings', 'Settings'],
      ['#/nothing-here', 'Page not found'],
    ] as const) {
      await page.goto(`${base}/${hash}`);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      if (hash === '#/reports') for (const summary of await page.locator('.chart-data summary').all()) await summary.click();
      await check(hash);
    }
    // The upload screen with a preview and a result, manual entry with its check.
    await page.goto(`${base}/#/upload`);
    await page
      .getByLabel('CSV file')
      .setInputFiles({ name: 'a11y.csv', mimeType: 'text/csv', buffer: Buffer.from('UPN,Department\nann@contoso.com,Sales\nnew-one@contoso.com,IT\nbad\n') });
    await page.locator('.preview').getByText('New: 1').waitFor();
    await page.locator('.preview summary').click();
    await check('upload preview');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page
      .getByRole('status')
      .getByText(/Uploaded to batch/)
      .waitFor();
    await check('upload result');
    await page.goto(`${base}/#/manual`);
    await page.getByLabel(/User principal names/).fill('ann@contoso.com\nnot-valid');
    await check('manual entry');

    // The pages people reach from their email, as the server sends them.
    await page.goto(`${base}/api/enrol?token=${linkTokenOf(user)}`);
    await check('enrol confirmation');
    await page.getByRole('button', { name: 'Set up MFA now' }).click();
    await page.getByRole('heading', { name: 'Please try again' }).waitFor();
    await check('enrol failed (no MFA group here)');
    await page.goto(`${base}/api/enrol?token=${user.id}.${'A'.repeat(43)}`);
    await check('link not recognised');
    await storage.db
      .updateTable('tracked_user')
      .set({ previous_link_secret: 'B'.repeat(43) })
      .where('id', '=', user.id)
      .execute();
    await page.goto(`${base}/api/enrol?token=${user.id}.${'B'.repeat(43)}`);
    await page.getByRole('heading', { name: 'This link has been replaced' }).waitFor();
    await check('replaced link');
    await page.getByRole('button', { name: 'Email me a fresh link' }).click();
    await check('fresh link requested');
    await page.goto(`${base}/api/resend`);
    await check('resend form');
    await page.getByLabel('Work email').fill('someone@contoso.com');
    await page.getByRole('button', { name: 'Send me a new link' }).click();
    await check('resend received');
    const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json' } });
    const pages = new OnboardingPages(config.onboarding);
    // The check catches what it is there for: the timed redirect an admin may still configure is flagged.
    await page.setContent(new OnboardingPages({ ...config.onboarding, redirectDelaySeconds: 5 }).enrolled('ann@contoso.com').html);
    assert.match((await axeViolations(page)).join('\n'), /^meta-refresh \(critical\)/m);
    for (const [name, html] of [
      ['enrolled', pages.enrolled('ann@contoso.com').html],
      ['already registered', pages.alreadyRegistered('ann@contoso.com').html],
    ] as const) {
      await page.setContent(html);
      await check(name);
    }

    // The emails: held to WCAG, not to the best practices of pages (landmarks make no sense in a message).
    const branding = brandingFrom(config);
    const mail = { displayName: 'Ann Ames', upn: 'ann@contoso.com', token: linkTokenOf(user), publicUrl: base, branding, subjects: DEFAULT_SUBJECTS };
    const reports = new ReportService({
      db: storage.db,
      dialect: storage.dialect,
      clock: systemClock,
      log: createLogger('silent'),
      settings: config.reports,
      branding,
      instanceId: 'a11y',
    });
    for (const [name, html] of [
      ['invitation email', userEmail(mail).html],
      ['reminder email', userEmail({ ...mail, reminderNumber: 2 }).html],
      [
        'escalation email',
        escalationEmail({
          managerName: 'Bea Boss',
          managerUpn: 'bea@contoso.com',
          employee: { displayName: 'Ann Ames', upn: 'ann@contoso.com', department: 'Sales', jobTitle: null },
          remindersSent: 3,
          inviteSentDate: '2026-03-01T00:00:00.000Z',
          branding,
          subjects: DEFAULT_SUBJECTS,
        }).html,
      ],
      ['report email', reports.renderEmail(await reports.summary()).html],
    ] as const) {
      await page.setContent(html);
      await check(name, { bestPractices: false });
    }
    assert.deepEqual(found, []);
    await context.close();
  });

  test('viewer: single sign-on with the viewer role; no upload screen, and the API answers 403 to an upload', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const viewer = roleHolder('Onramp.Viewer');
    await signInWithMicrosoft(page, base, viewer.displayName);
    assert.match(await page.locator('.topbar .who').innerText(), /viewer/);
    assert.equal(await page.getByRole('link', { name: 'Upload', exact: true }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Manual entry' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Send report now' }).count(), 0);
    const status = await page.evaluate(async () => {
      const { csrfToken } = (await (await fetch('/api/auth/session')).json()) as { csrfToken: string };
      const res = await fetch('/api/upload-users', {
        method: 'POST',
        headers: { 'content-type': 'text/csv', 'x-csrf-token': csrfToken },
        body: 'UPN\nx@contoso.com\n',
      });
      return res.status;
    });
    assert.equal(status, 403);
    await context.close();
  });
});

describe('demo in the browser', { skip: BUILT ? false : 'portal not built: run npm run build' }, () => {
  test('sign in against the in-process simulator, then Mailbox → invitation link → enrolled → MFA registered → Active, while the portal follows', async () => {
    const storage = await sqliteBackend.open();
    const tenant = await startTestTenant({ users: 12 });
    // As startOnramp derives it: the simulated tenant's MFA group and security-info page; runs gather triggers briefly.
    const config = withDemoTenant(
      loadConfig({
        env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json', ONRAMP_AUTH_COOKIE_SECURE: 'false', ONRAMP_INVITATIONS_TRIGGER_DEBOUNCE_MS: '100' },
      }),
      tenant.sim,
    );
    const ctx = {
      config,
      storage,
      log: createLogger('silent'),
      clock: systemClock,
      demo: true,
      instanceId: 'browser-demo',
      graph: tenant.graph,
      exchange: tenant.exchange,
      demoTenant: demoTenantOf(tenant.sim),
    };
    const app = await buildPublicApp(ctx);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    let jobs: OnboardingJobs | undefined;
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      // As startOnramp wires it: uploads and simulated MFA registrations trigger the invitation run, mail goes to the simulator.
      jobs = createOnboardingJobs(ctx, {
        graph: tenant.graph,
        publicUrl: base,
        demoMailbox: tenant.sim.sharedMailbox,
        demoRegistrations: (l) => tenant.sim.control.onMethodsChanged(l),
      });
      jobs.start(app.onboarding);
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      page.on('dialog', (d) => void d.accept());
      await page.goto(base + '/');
      await page.getByText('Demo: "Sign in with Microsoft" goes to the simulated tenant').waitFor();
      const admin = [...tenant.sim.control.tenant.users.values()].find((u) => u.appRoles.includes('Onramp.Admin'))!;
      await signInWithMicrosoft(page, base, admin.displayName);

      // Someone with no MFA methods yet, so the run invites them rather than finding them done.
      const member = [...tenant.sim.control.tenant.users.values()].find(
        (u) => u.appRoles.length === 0 && u.accountEnabled && u.userType === 'Member' && u.mail && u.methods.length === 0,
      )!;
      // And an address the directory does not know: the result says so once the run has looked.
      const unknown = `nobody-here@${member.userPrincipalName.split('@')[1]}`;
      await page.getByRole('link', { name: 'Manual entry' }).click();
      await page.getByLabel(/User principal names/).fill(`${member.userPrincipalName}\n${unknown}`);
      await page.getByRole('button', { name: 'Add users' }).click();
      const added = page.getByRole('status');
      await added.getByText(/Added: 2/).waitFor();
      await added.getByText(/All 2 checked against the directory/).waitFor({ timeout: 20_000 });
      assert.match(await added.innerText(), /Not found in the directory: 1/);
      await page.getByRole('link', { name: 'Reports' }).click();
      assert.match(await page.locator('.tile', { hasText: 'Needs attention' }).innerText(), /Cannot be invited 1[\s\S]*1 not found in the directory/);
      assert.match(await page.locator('.card', { hasText: 'Cannot be invited' }).innerText(), new RegExp(`${unknown}\\s+not found in the directory`));

      await page.getByRole('link', { name: 'Mailbox (demo)' }).click();
      assert.deepEqual(await unlabelledControls(page), []);
      assert.deepEqual(await lowContrastText(page), []);
      const invitation = page.getByRole('button', { name: /Set Up Multi-Factor Authentication/ });
      await invitation.waitFor({ timeout: 20_000 });
      await invitation.click();
      assert.deepEqual(await axeViolations(page), [], 'the Mailbox screen with a message open');
      const frame = page.frameLocator('iframe[title^="Body of:"]');
      assert.equal(await page.locator('iframe[title^="Body of:"]').getAttribute('sandbox'), 'allow-popups allow-popups-to-escape-sandbox');
      const link = frame.locator('a[href*="token="]').first();
      await link.waitFor();
      const [popup] = await Promise.all([context.waitForEvent('page'), link.click()]);
      await popup.getByRole('button', { name: 'Set up MFA now' }).click();
      await popup.getByText('You are enrolled').waitFor();
      // Step 2 at the simulator's stand-in for https://aka.ms/mfasetup (followed now, before the page's timed redirect).
      await popup.getByRole('link', { name: 'Continue to MFA setup' }).click();
      await popup.getByRole('heading', { name: 'Security info (simulated tenant)' }).waitFor();

      await page.getByRole('link', { name: 'Users' }).click();
      await page.getByRole('link', { name: member.userPrincipalName }).click();
      await page.getByRole('heading', { name: 'Timeline' }).waitFor();
      assert.match(await page.locator('.facts').innerText(), /AddedToGroup/);
      assert.match(await page.locator('.timeline').innerText(), /Confirmed on the setup page[\s\S]*Added to the MFA group/);

      assert.match(await popup.locator('body').innerText(), /standing in for https:\/\/aka\.ms\/mfasetup/);
      await popup.getByLabel('Your account').selectOption(member.userPrincipalName);
      await popup.getByRole('button', { name: 'Register Microsoft Authenticator' }).click();
      await popup.getByRole('heading', { name: 'Microsoft Authenticator registered' }).waitFor();
      assert.deepEqual(tenant.sim.control.tenant.findByUpn(member.userPrincipalName)!.methods, ['microsoftAuthenticator']);
      await popup.close();

      // The registration triggers a run: the portal shows the user Active (opened again until the run has written it).
      const deadline = Date.now() + 20_000;
      while (!/Active/.test(await page.locator('.facts').innerText())) {
        assert.ok(Date.now() < deadline, 'the user became Active in the portal');
        await page.getByRole('link', { name: 'Users', exact: true }).click();
        await page.getByRole('link', { name: member.userPrincipalName }).click();
        await page.getByRole('heading', { name: 'Timeline' }).waitFor();
      }
      assert.match(await page.locator('.timeline').innerText(), /Added to the MFA group[\s\S]*Registered for MFA: Active/);

      // The invitation run on Reports: what the last run did, the next one, and "Run invitations now".
      await page.getByRole('link', { name: 'Reports' }).click();
      const runCard = page.locator('.card.run');
      await runCard.getByText(/Last run: .*, looked at \d+ users?: /).waitFor();
      assert.match(await runCard.innerText(), /(Next run: |Running now)/);
      await runCard.getByRole('button', { name: 'Run invitations now' }).click();
      await runCard.getByRole('status').getByText('A run starts in a moment.').waitFor();

      // Targeting by group: its members through Graph, nested groups' included; again, only newcomers.
      const others = [...tenant.sim.control.tenant.users.values()].filter((u) => u.id !== member.id && u.userType === 'Member').slice(0, 3);
      tenant.sim.control.tenant.groups.set('grp-nested', { id: 'grp-nested', displayName: 'Nested', members: new Set([others[1]!.id]) });
      tenant.sim.control.tenant.groups.set('grp-sales', { id: 'grp-sales', displayName: 'Sales', members: new Set([others[0]!.id, 'grp-nested']) });
      await page.getByRole('link', { name: 'Manual entry' }).click();
      await page.getByLabel('Group object id').fill('grp-sales');
      await page.getByText('2 members: 2 new, 0 already in the campaign.').waitFor();
      await page.getByRole('button', { name: 'Add members' }).click();
      await page.locator('#group-title ~ .result').getByText('Uploaded to batch group-grp-sales').waitFor();
      assert.match(await page.locator('#group-title ~ .result').innerText(), /Added: 2/);
      tenant.sim.control.tenant.groups.get('grp-nested')!.members.add(others[2]!.id);
      await page.getByLabel('Group object id').fill('grp-sales');
      await page.getByText('3 members: 1 new, 2 already in the campaign.').waitFor();
      await context.close();
    } finally {
      await browser?.close();
      await jobs?.stop();
      await app.close();
      await storage.close();
      await tenant.stop();
    }
  });
});
