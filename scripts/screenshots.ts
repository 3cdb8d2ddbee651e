/**
 * Regenerates docs/screenshots/*.png of the portal's main screens: an in-process onramp on a temporary
 * SQLite database with a few sample users, driven by Debian's chromium.
 * Run: npm run build && node --import tsx scripts/screenshots.ts
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildPublicApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { openSqlite } from '../src/db/dialect.js';
import { migrateToLatest } from '../src/db/migrations/index.js';
import { createLogger } from '../src/lib/logger.js';
import { systemClock } from '../src/lib/clock.js';
import { AuthService } from '../src/auth/auth.service.js';

const OUT = 'docs/screenshots';
const dir = mkdtempSync(join(tmpdir(), 'onramp-shots-'));
const storage = openSqlite(dir);
await migrateToLatest(storage);
const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json', ONRAMP_AUTH_COOKIE_SECURE: 'false' } });
const app = await buildPublicApp({ config, storage, log: createLogger('silent'), clock: systemClock, demo: true, instanceId: 'screenshots' });
const base = await app.listen({ host: '127.0.0.1', port: 0 });
const auth = new AuthService(storage.db, config.auth, systemClock);
const token = (await auth.createApiToken('screenshots', 'admin', 'script')).token;

const departments = ['Finance', 'Sales', 'IT', 'Operations', 'Legal'];
const statuses = ['Pending', 'Sent', 'Sent', 'Clicked', 'AddedToGroup', 'Active', 'Active', 'Active', 'Overdue', 'Excluded'];
for (const [batch, n] of [['finance-wave-1', 40], ['sales-wave-1', 25]] as const) {
  const rows = Array.from({ length: n }, (_, i) => `user${batch.slice(0, 3)}${i}@contoso.com`);
  await fetch(`${base}/api/upload-users?batchId=${batch}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: ['UPN', ...rows].join('\n') });
}
// Sample progress so the charts have something to show (the invitation workflow does this for real).
const users = await storage.db.selectFrom('tracked_user').select(['id']).orderBy('id').execute();
const day = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
for (const [i, u] of users.entries()) {
  const status = statuses[i % statuses.length]!;
  await storage.db
    .updateTable('tracked_user')
    .set({
      invite_status: status,
      display_name: `Sample User ${i + 1}`,
      department: departments[i % departments.length]!,
      invite_sent_date: status === 'Pending' ? null : day(14 - (i % 12)),
      email_opened_date: ['Clicked', 'AddedToGroup', 'Active'].includes(status) ? day(12 - (i % 10)) : null,
      clicked_link_date: ['Clicked', 'AddedToGroup', 'Active'].includes(status) ? day(11 - (i % 10)) : null,
      mfa_registration_date: status === 'Active' ? day(10 - (i % 10)) : null,
    })
    .where('id', '=', u.id)
    .execute();
}

mkdirSync(OUT, { recursive: true });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await page.goto(base + '/');
  await page.screenshot({ path: `${OUT}/signin.png` });
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill('correct horse battery staple');
  await page.getByLabel('Setup code').fill(app.onrampAuth.setupCode!);
  await page.getByRole('button', { name: 'Create admin and sign in' }).click();
  await page.getByText('Tracked users').waitFor();
  await page.screenshot({ path: `${OUT}/reports.png`, fullPage: true });
  await page.goto(base + '/#/users');
  await page.getByRole('link', { name: /@contoso\.com/ }).first().waitFor();
  await page.screenshot({ path: `${OUT}/users.png` });
  await page.getByRole('link', { name: /@contoso\.com/ }).first().click();
  await page.getByRole('heading', { name: 'Timeline' }).waitFor();
  await page.screenshot({ path: `${OUT}/user.png` });
  await page.goto(base + '/#/upload');
  const transfer = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['UPN,Department\nnew.hire@contoso.com,Sales\nbroken-address,IT\nnew.hire@contoso.com,Sales\n'], 'new-hires.csv', { type: 'text/csv' }));
    return dt;
  });
  await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: transfer });
  await page.locator('.preview').waitFor();
  await page.screenshot({ path: `${OUT}/upload.png` });
  await page.goto(base + '/#/audit');
  await page.locator('table.data tbody tr').first().waitFor();
  await page.screenshot({ path: `${OUT}/audit.png` });
} finally {
  await browser.close();
  await app.close();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`screenshots written to ${OUT}/\n`);
