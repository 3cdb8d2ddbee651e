/**
 * The signature screens in a real browser (Chromium through playwright-core) against the real server,
 * the tenant simulator and its synced directory: an admin writes a template in the editor and watches
 * the live preview show a directory user's name, saves versions, reads the diff and rolls back; an
 * invalid template shows its problem at the line and saves nothing; rules are created, reordered with
 * the keyboard buttons and tested against a user; groups are picked by name (a transitive member matches); a custom variable with group and user values is shown by the preview; a PNG is uploaded (a renamed program is not); a
 * deployment is blocked while roaming signatures are on and, once they are off, reaches done with the
 * simulator's mailbox holding the rendered HTML; at 390 px nothing overflows sideways. Needs the built
 * SPA (npm run build).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { buildPublicApp } from '../app.js';
import { createLogger } from '../lib/logger.js';
import { systemClock } from '../lib/clock.js';
import { DirectorySync } from '../directory/directory-sync.js';
import { sqliteBackend, type TestStorage } from '../../test/support/storage.js';
import { startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import { launchChromium, loadedImageWidth } from '../../test/support/browser.js';
import { oidcConfig, signInWithMicrosoft } from '../../test/support/portal-sign-in.js';
import { axeViolations } from '../../test/support/axe.js';
import { fixtureFolder } from '../../test/support/sos-fixtures.js';
import { zipSync } from 'fflate';

const BUILT = existsSync(fileURLToPath(new URL('../../portal/dist/index.html', import.meta.url)));
const SCREENS = [
  '#/signatures/templates',
  '#/signatures/templates/new',
  '#/signatures/rules',
  '#/signatures/variables',
  '#/signatures/assets',
  '#/signatures/deployment',
];

/** The editor's document as CodeMirror shows it (one DOM line per document line). */
function editorText(page: Page): Promise<string> {
  return page.evaluate(() =>
    Array.from(document.querySelector('.source-editor')!.shadowRoot!.querySelectorAll('.cm-line'))
      .map((l) => l.textContent)
      .join('\n'),
  );
}

/** Waits (up to `ms`) until the editor shows `text`. */
async function editorShows(page: Page, text: string, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await page.waitForTimeout(50)) if ((await editorText(page)) === text) return true;
  return false;
}

/**
 * Replaces the CodeMirror document by typing, as an admin would (select all, delete, then the new
 * text), and waits until it shows. Text inserted while CodeMirror is still redrawing after the delete
 * can be dropped with the old DOM, so the insert waits for the empty editor and is tried again once.
 */
async function typeSource(page: Page, text: string): Promise<void> {
  const editor = page.getByLabel('Template source');
  for (let attempt = 1; ; attempt++) {
    await editor.click();
    await editor.press('ControlOrMeta+a');
    await editor.press('Delete');
    await editorShows(page, '', 2000);
    // Inserted as one input, without the editor's auto-closing of brackets and tags getting in the way.
    await page.keyboard.insertText(text);
    if (await editorShows(page, text, 2000)) return;
    assert.ok(attempt < 2, `the editor shows what was typed: ${JSON.stringify(await editorText(page))}`);
  }
}

/** The signature preview shows the admin's own HTML as recipients will see it (missing alt texts and all): not the portal's to judge. */
const accessibilityViolations = (page: Page) => axeViolations(page, { exclude: ['.signature-preview'] });

/** The push the deployment screen shows, as "Push #<id> <state>". */
async function shownRun(page: Page): Promise<{ id: number; state: string }> {
  const title = (
    await page
      .locator('#run-title')
      .innerText({ timeout: 1000 })
      .catch(() => '')
  ).match(/Push #(\d+)\s+(\w+)/);
  return title ? { id: Number(title[1]), state: title[2]! } : { id: 0, state: '' };
}

/** Starts a push with `button` and waits until the screen shows a newer run than before finished in `state`. */
async function pushAndWait(page: Page, button: string, state: 'done' | 'blocked'): Promise<number> {
  const before = (await shownRun(page)).id;
  await page.getByRole('button', { name: button }).click();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const run = await shownRun(page);
    if (run.id > before && run.state === state) return run.id;
    assert.ok(Date.now() < deadline, `push after #${before} ${state}: the screen shows #${run.id} ${run.state}`);
    await page.waitForTimeout(100);
  }
}

async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describe('signature screens in the browser', { skip: BUILT ? false : 'portal not built: run npm run build' }, () => {
  let storage: TestStorage;
  let tenant: TestTenant;
  let app: FastifyInstance;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let cleanupConfig: (() => void) | undefined;
  const consoleErrors: string[] = [];
  const member = () =>
    [...tenant.sim.control.tenant.users.values()].find(
      (u) => u.accountEnabled && u.userType === 'Member' && u.mail && u.department && u.appRoles.length === 0,
    )!;

  before(async () => {
    storage = await sqliteBackend.open();
    // Exchange calls give up after half a second of retries, so a failing mailbox fails quickly.
    tenant = await startTestTenant({ users: 12, graph: { maxRetryMs: 500 } });
    const { config, cleanup } = oidcConfig(tenant);
    cleanupConfig = cleanup;
    const log = createLogger('silent');
    // Nested groups for the rules' group picker: the member is in Sales through Sales EMEA.
    const emea = tenant.sim.control.tenant.addGroup('Sales EMEA', [member().id]);
    tenant.sim.control.tenant.addGroup('Sales', [emea.id]);
    // Templates and rules read the directory copy: one full round of delta sync from the simulator.
    await new DirectorySync(storage.db, tenant.graph, systemClock, log, 'sig-browser').runOnce();
    app = await buildPublicApp({
      config,
      storage,
      log,
      clock: systemClock,
      demo: false,
      instanceId: 'sig-browser',
      graph: tenant.graph,
      exchange: tenant.exchange,
    });
    // The app starts its push job when it is ready (listening); a run starts as soon as one is asked for.
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    context = await browser.newContext({ ignoreHTTPSErrors: true });
    page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('dialog', (d) => void d.accept());
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

  test('templates: the live preview shows a directory user; save → version 1, edit → version 2, the diff shows the change, roll back; an invalid template is shown at its line and nothing is saved', async () => {
    const user = member();
    await page.getByRole('link', { name: 'Signature templates' }).click();
    await page.getByRole('link', { name: 'New template' }).click();
    await page.getByLabel('Template source').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Contoso standard');
    await page.getByLabel('Preview as (user principal name)').fill(user.userPrincipalName);
    await typeSource(page, '<p style="color: #0b2545"><strong>{{ user.displayName }}</strong><br>{{ user.department }}</p>');
    const preview = page.getByRole('document', { name: 'Signature preview' });
    await preview.getByText(user.displayName).waitFor();
    await preview.getByText(user.department!).waitFor();
    // Inline styles reach the preview through CSSOM, under the portal's CSP.
    assert.equal(await preview.locator('p').evaluate((p) => getComputedStyle(p).color), 'rgb(11, 37, 69)');

    await page.getByRole('button', { name: 'Save template' }).click();
    await page.getByRole('status').getByText('Saved as version 1.').waitFor();
    await typeSource(page, '<p><strong>{{ user.displayName }}</strong> · {{ user.jobTitle }}</p><p>Version two</p>');
    // Saved once the preview shows it, so the screen holds the new text (CodeMirror reads typing from the DOM).
    await preview.getByText('Version two').waitFor();
    await page.getByLabel('Comment for this version (optional)').fill('job title instead of department');
    await page.getByRole('button', { name: 'Save new version' }).click();
    await page.getByRole('status').getByText('Saved as version 2.').waitFor();
    await page.getByRole('button', { name: 'Changes in version 2' }).click();
    const diff = page.locator('pre.diff');
    await diff.waitFor();
    assert.match(
      await diff
        .locator('.d-del')
        .allInnerTexts()
        .then((t) => t.join('\n')),
      /user\.department/,
    );
    assert.match(
      await diff
        .locator('.d-add')
        .allInnerTexts()
        .then((t) => t.join('\n')),
      /user\.jobTitle/,
    );

    await page.getByRole('button', { name: 'Roll back to version 1' }).click();
    await page.getByRole('status').getByText('Rolled back: saved as version 3.').waitFor();
    await preview.getByText(user.department!).waitFor();
    assert.equal(await page.getByRole('row').filter({ hasText: 'current' }).getByRole('cell').first().innerText(), '3current');

    // Invalid: an unknown attribute on line 2. The problem names line and column and moves the cursor there.
    await typeSource(page, '<p>{{ user.displayName }}</p>\n<p>{{ user.shoeSize }}</p>');
    const problems = page.locator('.problems');
    // The live preview finds it first; saving then refuses it too.
    await problems.getByText('One problem').waitFor();
    assert.doesNotMatch(await problems.innerText(), /nothing was saved/);
    await page.getByRole('button', { name: 'Save new version' }).click();
    await problems.getByText('(nothing was saved)').waitFor();
    const jump = problems.getByRole('button', { name: /^Line 2, column \d+$/ });
    assert.match(await problems.innerText(), /shoeSize/);
    await jump.click();
    const cursorLine = await page.evaluate(() => {
      const host = document.querySelector('.source-editor')!.shadowRoot!;
      return host.querySelector('.cm-activeLine')?.textContent;
    });
    assert.equal(cursorLine, '<p>{{ user.shoeSize }}</p>');
    assert.equal(await page.locator('.source-editor').evaluate((el) => el.shadowRoot!.querySelectorAll('.cm-lintRange-error').length > 0), true);
    assert.deepEqual(await accessibilityViolations(page), []);
    await page.reload();
    await page.getByRole('heading', { name: 'Contoso standard' }).waitFor();
    assert.equal(await page.getByRole('row').filter({ hasText: 'current' }).getByRole('cell').first().innerText(), '3current', 'nothing was stored');

    // As of a chosen moment: the preview renders the template's dates (and campaigns) then.
    await typeSource(page, '<p>{{ user.displayName }}, {{ now | date: "%Y" }}</p>');
    await page.getByLabel(/^As of/).fill('2031-05-01T10:00');
    await preview.getByText(`${user.displayName}, 2031`).waitFor();
  });

  test('rules: create one for a department, reorder with the keyboard buttons, test against a user shows matched and not matched with reasons', async () => {
    const user = member();
    await page.getByRole('link', { name: 'Signature rules' }).click();
    const rules: Array<[string, string]> = [
      [`${user.department} team`, user.department!],
      ['Nobody', 'No such department'],
    ];
    for (const [name, department] of rules) {
      await page.getByRole('button', { name: 'New rule' }).click();
      await page.getByLabel('Rule name').fill(name);
      await page.getByLabel('Template', { exact: true }).selectOption({ label: 'Contoso standard' });
      await page.locator('fieldset', { hasText: 'Applies to' }).getByLabel('Departments').fill(department);
      await page.getByRole('button', { name: 'Create rule' }).click();
      await page.getByRole('status').getByText(`Rule “${name}” created.`).waitFor();
    }
    const names = () => page.locator('.rule-list .rule-name').allInnerTexts();
    assert.deepEqual(await names(), [`${user.department} team`, 'Nobody']);
    await page.getByRole('button', { name: 'Move “Nobody” up' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').getByText('“Nobody” is now number 1 of 2.').waitFor();
    assert.deepEqual(await names(), ['Nobody', `${user.department} team`]);
    await page.reload();
    await page.locator('.rule-list .rule-name').first().waitFor();
    assert.deepEqual(await names(), ['Nobody', `${user.department} team`], 'the order is stored');
    // Dragging a row onto another puts it in that place.
    const rule = (name: string) => page.locator('.rule-list .rule').filter({ has: page.locator('.rule-name', { hasText: new RegExp(`^${name}$`) }) });
    await rule(`${user.department} team`).dragTo(rule('Nobody'));
    await page.getByRole('status').getByText(`“${user.department} team” is now number 1 of 2.`).waitFor();
    assert.deepEqual(await names(), [`${user.department} team`, 'Nobody']);

    await page.getByLabel('User principal name').fill(user.userPrincipalName);
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    const verdicts = page.getByRole('list', { name: `Verdicts for ${user.userPrincipalName}` });
    await verdicts.waitFor();
    const matched = verdicts.locator('li.matched');
    const unmatched = verdicts.locator('li.unmatched');
    assert.match(await matched.innerText(), new RegExp(`${user.department} team[\\s\\S]*${user.department}`));
    assert.match(await unmatched.innerText(), /Nobody[\s\S]*No such department/i);
    assert.match(await page.locator('.facts').innerText(), /New mail\s+Contoso standard/);
    assert.deepEqual(await accessibilityViolations(page), []);
  });

  test('rules: the group picker finds groups by the start of their name, shows names and keeps them through an edit; the transitive member matches', async () => {
    const user = member();
    await page.getByRole('link', { name: 'Signature rules' }).click();
    await page.getByRole('button', { name: 'New rule' }).click();
    await page.getByLabel('Rule name').fill('Sales people');
    await page.getByLabel('Template', { exact: true }).selectOption({ label: 'Contoso standard' });
    const applies = page.locator('fieldset', { hasText: 'Applies to' });
    await applies.getByLabel('Groups (members at any depth)').fill('sal');
    const matches = applies.getByRole('list', { name: 'Matching groups' });
    await matches.getByRole('button', { name: 'Add group Sales EMEA' }).waitFor();
    assert.deepEqual(await matches.getByRole('button').allInnerTexts(), ['Sales', 'Sales EMEA']);
    await matches.getByRole('button', { name: 'Add group Sales', exact: true }).click();
    const chosen = applies.getByRole('list', { name: 'Chosen groups' });
    assert.deepEqual(await chosen.getByRole('listitem').allInnerTexts(), ['Sales ×']);
    assert.equal(await applies.getByLabel('Groups (members at any depth)').inputValue(), '', 'the search is cleared once a group is added');
    // A search that finds nothing says so; an exclusion picked and removed again leaves no exclusion.
    await page.getByText('Exclusions').click();
    const except = page.locator('fieldset', { hasText: 'Except' });
    await except.getByLabel('Groups (members at any depth)').fill('Sales E');
    await except.getByRole('button', { name: 'Add group Sales EMEA' }).click();
    await except.getByRole('button', { name: 'Remove group Sales EMEA' }).click();
    await except.getByLabel('Groups (members at any depth)').fill('Nonexistent');
    await except.getByText('No group starts with “Nonexistent”.').waitFor();
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('status').getByText('Rule “Sales people” created.').waitFor();
    const row = page.locator('.rule-list .rule').filter({ has: page.locator('.rule-name', { hasText: /^Sales people$/ }) });
    assert.match(await row.innerText(), /groups: Sales(?! EMEA)/);
    assert.doesNotMatch(await row.innerText(), /except/);
    // The stored rule names the group by id; editing shows its name again.
    await page.getByRole('button', { name: 'Edit “Sales people”' }).click();
    assert.deepEqual(await page.locator('fieldset', { hasText: 'Applies to' }).locator('.chosen-groups li').allInnerTexts(), ['Sales ×']);
    assert.deepEqual(await accessibilityViolations(page), []);
    await page.getByRole('button', { name: 'Cancel' }).click();

    await page.getByLabel('User principal name').fill(user.userPrincipalName);
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    const verdict = page.getByRole('list', { name: `Verdicts for ${user.userPrincipalName}` }).locator('li.matched', { hasText: 'Sales people' });
    assert.match(await verdict.innerText(), /member of group Sales/i);
    await page.getByRole('button', { name: 'Delete “Sales people”' }).click();
    await page.getByRole('status').getByText('Rule “Sales people” deleted.').waitFor();
  });

  test('variables: a default with a group’s and a user’s own value, edited and deleted; the template editor’s preview shows each person their value', async () => {
    const seller = member();
    const [own, plain] = [...tenant.sim.control.tenant.users.values()].filter(
      (u) => u.id !== seller.id && u.accountEnabled && u.userType === 'Member' && u.mail,
    ) as [ReturnType<typeof member>, ReturnType<typeof member>];
    await page.getByRole('link', { name: 'Signature variables' }).click();
    await page.getByText('No variables yet.').waitFor();
    await page.getByRole('button', { name: 'New variable' }).click();
    await page.getByLabel('Variable name').fill('slogan');
    await page.getByLabel('Default value').fill('Together we grow');
    await page.getByLabel('Add a group').fill('Sal');
    await page.getByRole('button', { name: 'Add group Sales', exact: true }).click();
    await page.getByLabel('Value for Sales', { exact: true }).fill('Sales sells');
    await page.getByRole('button', { name: 'Add a user' }).click();
    await page.getByLabel('User principal name').fill(own.userPrincipalName);
    await page.getByRole('list', { name: 'Per-user values' }).getByLabel('Value', { exact: true }).fill('My own line');
    assert.deepEqual(await accessibilityViolations(page), []);
    await page.getByRole('button', { name: 'Create variable' }).click();
    await page.getByRole('status').getByText('Variable “slogan” saved.').waitFor();
    // The list is read again after the save: wait for it rather than read it at once.
    const listed = page.getByRole('list', { name: 'Variables' });
    await listed.getByText(/1 user with their own value/).waitFor();
    assert.match(await listed.innerText(), /var\.slogan[\s\S]*Default “Together we grow”; groups: Sales “Sales sells”; 1 user with their own value/);

    await page.getByRole('button', { name: 'Edit var.slogan' }).click();
    assert.equal(await page.getByLabel('Value for Sales', { exact: true }).inputValue(), 'Sales sells', 'the edit form shows the stored values');
    assert.equal(await page.getByLabel('Variable name').getAttribute('readonly'), '', 'a variable keeps its name');
    await page.getByLabel('Default value').fill('Together we grow more');
    await page.getByRole('button', { name: 'Save variable' }).click();
    await page.getByRole('status').getByText('Variable “slogan” saved.').waitFor();
    await listed.getByText(/Default “Together we grow more”/).waitFor();

    // The preview renders var.slogan as each person gets it: the group's (Sales, through Sales EMEA), their own, the default.
    await page.getByRole('link', { name: 'Signature templates' }).click();
    await page.getByRole('link', { name: 'New template' }).click();
    await page.getByLabel('Template source').waitFor();
    await typeSource(page, '<p>Slogan: {{ var.slogan }}</p>');
    const preview = page.getByRole('document', { name: 'Signature preview' });
    for (const [user, value] of [
      [seller, 'Sales sells'],
      [own, 'My own line'],
      [plain, 'Together we grow more'],
    ] as const) {
      await page.getByLabel('Preview as (user principal name)').fill(user.userPrincipalName);
      await preview.getByText(`Slogan: ${value}`, { exact: true }).waitFor();
    }

    await page.getByRole('link', { name: 'Signature variables' }).click();
    await page.getByRole('button', { name: 'Delete var.slogan' }).click();
    await page.getByRole('status').getByText('Variable “slogan” deleted.').waitFor();
    await page.getByText('No variables yet.').waitFor();
  });

  test('assets: a PNG is uploaded and listed with its thumbnail and reference; a program renamed .png is refused', async () => {
    await page.getByRole('link', { name: 'Signature images' }).click();
    const png = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#0f5cc0' } })
      .png()
      .toBuffer();
    await page.getByLabel('Image file').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png });
    await page
      .getByRole('status')
      .getByText(/Uploaded logo\.png/)
      .waitFor();
    const item = page.locator('.asset', { hasText: 'logo.png' });
    assert.match(await item.innerText(), /image\/png, 40×20 px/);
    assert.equal(await loadedImageWidth(item.locator('img.thumb')), 40, 'the thumbnail loads');
    assert.equal(await item.getByLabel('Reference to logo.png by name').inputValue(), 'asset:logo');
    assert.match(await item.getByLabel('Reference to exactly this logo.png').inputValue(), /^asset:[0-9a-f]{64}$/);

    await page.getByLabel('Image file').setInputFiles({ name: 'setup.png', mimeType: 'image/png', buffer: Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00') });
    await page
      .getByRole('alert')
      .getByText(/setup\.png is not a PNG, JPEG or GIF image/)
      .waitFor();
    assert.equal(await page.locator('.asset').count(), 1, 'nothing was uploaded');
    assert.deepEqual(await accessibilityViolations(page), []);
  });

  test('deployment: blocked with the roaming-signatures warning while they are on; once off, the progress bar reaches done and the simulator mailbox holds the HTML', async () => {
    const user = member();
    await page.getByRole('link', { name: 'Signature deployment' }).click();
    await pushAndWait(page, 'Start deployment', 'blocked');
    assert.match(
      await page.getByRole('alert').first().innerText(),
      /roaming signatures are on[\s\S]*Set-OrganizationConfig -PostponeRoamingSignaturesUntilLater \$true/,
    );
    assert.equal(tenant.sim.control.tenant.signatures.get(user.mail!.toLowerCase()), undefined, 'nothing claimed to be set');

    // Roaming off, and Exchange failing for one mailbox: the run finishes and names it with the reason.
    tenant.sim.control.setRoamingSignatures(false);
    tenant.sim.control.setFaults({ failingNames: [user.mail!] });
    await pushAndWait(page, 'Start deployment', 'done');
    assert.equal(await page.getByRole('progressbar', { name: 'Mailboxes done' }).getAttribute('aria-valuenow'), '100');
    const failure = page.getByRole('table', { name: 'Failures' }).getByRole('row').filter({ hasText: user.mail! });
    await failure.waitFor();
    const [, reason] = await failure.getByRole('cell').allInnerTexts();
    assert.ok(reason && reason.length > 10, `the failure says why: ${reason}`);
    assert.equal(tenant.sim.control.tenant.signatures.get(user.mail!.toLowerCase()), undefined);

    tenant.sim.control.setFaults({ failingNames: [] });
    // The retry is a run of its own over the one failed mailbox.
    await pushAndWait(page, 'Retry failed (1)', 'done');
    assert.equal(await page.locator('.run-count').innerText(), '1 of 1 mailboxes (100%)');
    assert.equal(await page.getByRole('table', { name: 'Failures' }).count(), 0);
    const stored = tenant.sim.control.tenant.signatures.get(user.mail!.toLowerCase());
    assert.ok(stored, 'the simulator holds a web signature for the rule’s user');
    assert.match(stored.html, new RegExp(user.displayName));

    // The mailbox's signatures are shown on the fleet's mailbox page, the one screen for them.
    await page.getByLabel('Mailbox', { exact: true }).fill(user.mail!);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('heading', { name: `Signatures of ${user.mail!}` }).waitFor();
    await page.getByRole('table', { name: 'Signature state per place' }).getByText('up to date', { exact: true }).waitFor();
    assert.match(await page.locator('#mailbox-title ~ .signature-state .table-wrap').first().innerText(), /Contoso standard/);
    assert.deepEqual(await accessibilityViolations(page), []);
  });

  test('viewer: reads templates, rules, images and deployment, with nothing to change (no save, no reorder, no upload, no push) and a read-only source', async () => {
    const viewerContext = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const viewerPage = await viewerContext.newPage();
      const viewer = [...tenant.sim.control.tenant.users.values()].find((u) => u.appRoles.includes('Onramp.Viewer'))!;
      await signInWithMicrosoft(viewerPage, base, viewer.displayName);
      await viewerPage.getByRole('link', { name: 'Signature templates' }).click();
      await viewerPage.getByRole('link', { name: 'Contoso standard' }).click();
      await viewerPage.getByRole('heading', { name: 'Versions' }).waitFor();
      assert.equal(await viewerPage.getByLabel('Template source').getAttribute('aria-readonly'), 'true');
      for (const name of ['Save new version', 'Delete template', /^Roll back/])
        assert.equal(await viewerPage.getByRole('button', { name }).count(), 0, String(name));
      await viewerPage.getByRole('link', { name: 'Signature rules' }).click();
      await viewerPage.locator('.rule-list .rule-name').first().waitFor();
      assert.equal(await viewerPage.getByRole('button', { name: /New rule|Move|Edit|Delete/ }).count(), 0);
      await viewerPage.getByRole('link', { name: 'Signature variables' }).click();
      await viewerPage.getByRole('heading', { name: 'Signature variables' }).waitFor();
      assert.equal(await viewerPage.getByRole('button', { name: /New variable|Edit|Delete/ }).count(), 0);
      await viewerPage.getByRole('link', { name: 'Signature images' }).click();
      await viewerPage.locator('.asset').first().waitFor();
      assert.equal(await viewerPage.getByLabel('Image file').count(), 0);
      await viewerPage.getByRole('link', { name: 'Signature deployment' }).click();
      await viewerPage.locator('#run-title').waitFor();
      assert.equal(await viewerPage.getByRole('button', { name: /Start deployment|Retry/ }).count(), 0);
    } finally {
      await viewerContext.close();
    }
  });

  test('import from Set-OutlookSignatures: a zipped folder shows its dry-run report and each template beside its original for a user, then imports; the templates are listed', async () => {
    const folder = await fixtureFolder();
    const zip = Buffer.from(zipSync(Object.fromEntries([...folder].map(([path, bytes]) => [path, new Uint8Array(bytes)]))));
    await page.getByRole('link', { name: 'Signature templates' }).click();
    await page.getByText('Import from Set-OutlookSignatures').click();
    await page.getByLabel('SOS folder (zip)').setInputFiles({ name: 'sos.zip', mimeType: 'application/zip', buffer: zip });
    const report = page.getByTestId('sos-report');
    await report.waitFor();
    assert.match(
      await report.innerText(),
      /Formal Vertrieb from Formal\.htm[\s\S]*\$UMMail\$ → manager\.mail[\s\S]*var\.sos_CurrentUserSalutation[\s\S]*_Signatures\.ini:27: writeProtect/,
    );
    assert.equal(await page.getByRole('link', { name: 'Weihnachten' }).count(), 0, 'the dry run stored nothing');
    // Side by side for a directory user: the SOS file with its placeholders, onramp's rendering with the user's name.
    const user = member();
    await page.getByLabel('Preview as (user principal name, optional)').fill(user.userPrincipalName);
    await page.getByRole('button', { name: 'Show side by side' }).click();
    const sideBySide = page.getByTestId('sos-previews');
    await sideBySide.getByRole('document', { name: 'Original Formal.htm', exact: true }).getByText('$CurrentUserGivenName$').first().waitFor();
    await sideBySide.getByRole('document', { name: 'onramp Formal', exact: true }).getByText(user.givenName!).first().waitFor();
    assert.equal(await page.getByRole('link', { name: 'Weihnachten' }).count(), 0, 'the previewed dry run stored nothing');
    await page.getByRole('button', { name: 'Import 6 templates and 7 rules' }).click();
    await page.getByRole('status').getByText('Imported 6 templates and 7 rules from sos.zip.').waitFor();
    await page.getByRole('link', { name: 'Weihnachten' }).waitFor();
    assert.deepEqual(await accessibilityViolations(page), []);
  });

  test('at 390 px every signature screen fits without sideways scrolling, and the SPA ran under its CSP', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const screen of SCREENS) {
      await page.goto(`${base}/${screen}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.waitForLoadState('networkidle');
      assert.equal(await horizontalOverflow(page), 0, screen);
    }
    assert.deepEqual(
      consoleErrors.filter((e) => /Content Security Policy/i.test(e)),
      [],
    );
  });
});
