/**
 * The branding screens in a real browser (Chromium through playwright-core) against the real server
 * and the simulator's synced directory: an admin uploads a wallpaper (a PNG named .mp4 is refused with
 * the server's reason), assigns it to everyone, tests a device and sees the assignment win, and the
 * manifest that device would be served carries the uploaded file. Needs the built SPA (npm run build).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildPublicApp } from '../app.js';
import { createLogger } from '../lib/logger.js';
import { systemClock } from '../lib/clock.js';
import { DirectorySync } from '../directory/directory-sync.js';
import { sqliteBackend, type TestStorage } from '../../test/support/storage.js';
import { startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import { launchChromium, loadedImageWidth } from '../../test/support/browser.js';
import { oidcConfig, signInWithMicrosoft } from '../../test/support/portal-sign-in.js';
import { axeViolations } from '../../test/support/axe.js';
import { png } from '../../test/support/branding.js';
import type { DeviceManifest } from './manifest.schemas.js';

const BUILT = existsSync(fileURLToPath(new URL('../../portal/dist/index.html', import.meta.url)));

describe('branding screens in the browser', { skip: BUILT ? false : 'portal not built: run npm run build' }, () => {
  let storage: TestStorage;
  let tenant: TestTenant;
  let app: FastifyInstance;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let dir: string;
  let cleanupConfig: (() => void) | undefined;

  before(async () => {
    storage = await sqliteBackend.open();
    tenant = await startTestTenant({ users: 12 });
    dir = mkdtempSync(join(tmpdir(), 'onramp-branding-browser-'));
    // Branding's files go in the test's own folder.
    const { config, cleanup } = oidcConfig(tenant, { ONRAMP_BRANDING_STORAGE_DIR: join(dir, 'branding') });
    cleanupConfig = cleanup;
    const log = createLogger('silent');
    await new DirectorySync(storage.db, tenant.graph, systemClock, log, 'branding-browser').runOnce();
    app = await buildPublicApp({ config, storage, log, clock: systemClock, demo: false, instanceId: 'branding-browser', graph: tenant.graph });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    // The simulator's sign-in page is HTTPS under its own dev CA.
    context = await browser.newContext({ ignoreHTTPSErrors: true });
    page = await context.newPage();
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
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('upload a wallpaper, assign it to everyone, see the assignment win for a device and the manifest carry the file', async () => {
    const member = [...tenant.sim.control.tenant.users.values()].find((u) => u.accountEnabled && u.userType === 'Member' && u.mail)!;
    const picture = await png(1280, 720);

    await page.getByRole('link', { name: 'Branding files' }).click();
    await page.getByRole('heading', { name: 'Branding files' }).waitFor();
    await page.getByLabel('Branding file', { exact: true }).setInputFiles({ name: 'holiday.mp4', mimeType: 'video/mp4', buffer: picture });
    await page.getByRole('alert').getByText('named .mp4 but its content is image/png').waitFor();
    await page.getByLabel('Branding file', { exact: true }).setInputFiles({ name: 'wallpaper.png', mimeType: 'image/png', buffer: picture });
    await page.getByRole('status').getByText('Uploaded wallpaper.png (image/png, 1280×720 px).').waitFor();
    const preview = page.getByRole('img', { name: 'Preview of wallpaper.png' });
    await preview.waitFor();
    assert.ok((await loadedImageWidth(preview)) > 0, 'the thumbnail loads');
    assert.deepEqual(await axeViolations(page), []);

    await page.getByRole('link', { name: 'Branding assignments' }).click();
    await page.getByRole('button', { name: 'New assignment' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Company wallpaper');
    await page.getByLabel('wallpaper.png').check();
    await page.getByRole('button', { name: 'Create assignment' }).click();
    await page.getByRole('status').getByText('Assignment “Company wallpaper” saved.').waitFor();
    await page.getByRole('list', { name: 'Assignments in priority order' }).getByText('Company wallpaper').waitFor();

    await page.getByLabel('User principal name').fill(member.userPrincipalName);
    await page.getByLabel('Host name').fill('PC-0042');
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    const verdicts = page.getByRole('list', { name: `Verdicts for ${member.userPrincipalName.toLowerCase()} on pc-0042` });
    await verdicts.getByText('sets the wallpaper').waitFor();
    assert.deepEqual(await axeViolations(page), []);

    const answer = await page.request.get(`${base}/api/branding/manifest?user=${encodeURIComponent(member.userPrincipalName)}&hostname=PC-0042`);
    assert.equal(answer.status(), 200);
    const manifest = (await answer.json()) as DeviceManifest;
    assert.equal(manifest.elements.wallpaper?.assignment.name, 'Company wallpaper');
    assert.equal(manifest.elements.wallpaper?.file.size, picture.length);
  });
});
