/**
 * Regenerates docs/screenshots/*.png of the portal's main screens, wired as `serve --demo` wires them:
 * an in-process onramp on a temporary SQLite database, the tenant simulator as the tenant (sign-in,
 * Graph, mail), the invitation jobs running, sample progress on users of the simulated tenant, and
 * Chromium (the system's, else the npm-packaged one: test/support/browser.ts) signing in through "Sign in with Microsoft".
 * The fleet screens show the demo's seeded branding and devices (src/demo-fleet.ts) and a few real calls
 * over the device listener (mTLS, with client certificates from the demo's dev PKI).
 * Run: npm run build && node --import tsx scripts/screenshots.ts
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDeviceApp, buildPublicApp } from '../src/app.js';
import { demoFleetUsers, seedDemoFleet } from '../src/demo-fleet.js';
import { devPkiPaths, issueDevClient } from '../src/gateway/dev-pki.js';
import { resolveGatewayMaterial } from '../src/gateway/gateway-material.js';
import { loadConfig } from '../src/onramp-config.js';
import { openSqlite } from '../src/db/dialect.js';
import { migrateToLatest } from '../src/db/migrations/index.js';
import { createLogger } from '../src/lib/logger.js';
import { systemClock } from '../src/lib/clock.js';
import { AuthService } from '../src/auth/auth.service.js';
import { startDemoTenant } from '../src/demo.js';
import { createOnboardingJobs } from '../src/onboarding/invitations.scheduler.js';
import { launchChromium } from '../test/support/browser.js';
import { DirectorySync } from '../src/directory/directory-sync.js';

const OUT = 'docs/screenshots';
const dir = mkdtempSync(join(tmpdir(), 'onramp-shots-'));
const log = createLogger('silent');
const storage = openSqlite(dir);
await migrateToLatest(storage);
const base0 = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json', ONRAMP_AUTH_COOKIE_SECURE: 'false', ONRAMP_DATA_DIR: dir } });
const demo = await startDemoTenant(base0, log);
const { graph, simulator: sim } = demo;
const config = demo.config;
const ctx = {
  config,
  storage,
  log,
  clock: systemClock,
  demo: true,
  instanceId: 'screenshots',
  graph: graph.graph,
  exchange: graph.exchange,
  demoTenant: demo.demoTenant,
};
const app = await buildPublicApp(ctx);
const base = await app.listen({ host: '127.0.0.1', port: 0 });
const auth = new AuthService(storage.db, config.auth, systemClock);
const token = (await auth.createApiToken('screenshots', 'admin', 'script')).token;

// Sample users from the simulated tenant, with progress set so the charts have something to show.
const members = [...sim.control.tenant.users.values()].filter((u) => u.appRoles.length === 0 && u.accountEnabled && u.userType === 'Member' && u.mail);
const statuses = ['Pending', 'Sent', 'Sent', 'Clicked', 'AddedToGroup', 'Active', 'Active', 'Active', 'Overdue', 'Excluded'];
for (const [batch, from, to] of [
  ['finance-wave-1', 0, 40],
  ['sales-wave-1', 40, 65],
] as const) {
  const rows = members.slice(from, to).map((u) => u.userPrincipalName);
  await fetch(`${base}/api/upload-users?batchId=${batch}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: ['UPN', ...rows].join('\n'),
  });
}
const users = await storage.db.selectFrom('tracked_user').select(['id', 'upn_key']).orderBy('id').execute();
const day = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
for (const [i, u] of users.entries()) {
  const status = statuses[i % statuses.length]!;
  const person = sim.control.tenant.findByUpn(u.upn_key);
  await storage.db
    .updateTable('tracked_user')
    .set({
      invite_status: status,
      display_name: person?.displayName ?? null,
      department: person?.department ?? null,
      invite_sent_date: status === 'Pending' ? null : day(14 - (i % 12)),
      email_opened_date: ['Clicked', 'AddedToGroup', 'Active'].includes(status) ? day(12 - (i % 10)) : null,
      clicked_link_date: ['Clicked', 'AddedToGroup', 'Active'].includes(status) ? day(11 - (i % 10)) : null,
      mfa_registration_date: status === 'Active' ? day(10 - (i % 10)) : null,
    })
    .where('id', '=', u.id)
    .execute();
}
// The Pending ones get real invitations, sent through the simulator: they fill the Mailbox.
const jobs = createOnboardingJobs(ctx, { graph: graph.graph, publicUrl: base, demoMailbox: sim.sharedMailbox, reports: app.onboardingReports });
jobs.start(app.onboarding);
jobs.workflow.trigger();
for (let i = 0; i < 100 && sim.control.mail().length === 0; i++) await new Promise((r) => setTimeout(r, 100));

// Signatures: the directory copy, a template with a logo, two rules, and a push (roaming signatures off).
await new DirectorySync(storage.db, graph.graph, systemClock, log, 'screenshots').runOnce();
const api = async <T>(path: string, method: string, body: unknown): Promise<T> => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body instanceof FormData || body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body instanceof FormData || body === undefined ? body : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};
const sharp = (await import('sharp')).default;
const logo = await sharp({ create: { width: 120, height: 32, channels: 3, background: '#0b2545' } })
  .png()
  .toBuffer();
const upload = new FormData();
upload.append('file', new Blob([new Uint8Array(logo)], { type: 'image/png' }), 'contoso-logo.png');
const asset = await api<{ hash: string }>('/api/signatures/assets', 'POST', upload);
const source = [
  '<table cellpadding="0" cellspacing="0" style="font-family: Arial, sans-serif; font-size: 10pt; color: #1b1f24">',
  '  <tr><td style="padding-bottom: 6px"><strong style="font-size: 11pt">{{ user.displayName }}</strong><br>',
  '    {{ user.jobTitle }}{% if user.department %}, {{ user.department }}{% endif %}</td></tr>',
  '  <tr><td>{% if user.mobilePhone %}Mobile {{ user.mobilePhone }}<br>{% endif %}<a href="mailto:{{ user.mail }}">{{ user.mail }}</a></td></tr>',
  `  <tr><td style="padding-top: 8px"><img src="asset:${asset.hash}" width="120" height="32" alt="Contoso"></td></tr>`,
  '</table>',
].join('\n');
const template = await api<{ id: number; currentVersion: number }>('/api/signatures/templates', 'POST', {
  name: 'Contoso standard',
  description: 'Everyone’s signature for new mail and replies',
  source,
  comment: 'first version',
});
await api('/api/signatures/templates/' + template.id, 'PUT', {
  baseVersion: template.currentVersion,
  source: source.replace('Mobile ', 'Mobile: '),
  comment: 'a colon after Mobile',
});
const person = members.find((u) => u.department)!;
const criteria = { departments: [person.department!] };
for (const [name, conditions] of [
  [`${person.department} team`, criteria],
  ['Everyone else', {}],
] as const)
  await api('/api/signatures/rules', 'POST', {
    name,
    enabled: true,
    kind: 'signature',
    templateId: template.id,
    defaults: 'both',
    conditions,
    exclusions: {},
    window: null,
  });
sim.control.setRoamingSignatures(false);
await api('/api/signatures/deployments', 'POST', {});

// The fleet: the demo's branding and devices, then real calls over the device listener (Device calls, Certificates).
const fleetUsers = demoFleetUsers(sim);
await seedDemoFleet(ctx, app.branding, fleetUsers);
const tls = await resolveGatewayMaterial(ctx);
if (!tls) throw new Error('the demo device listener needs its dev PKI');
const deviceApp = await buildDeviceApp(ctx, tls, { planner: app.signatures.planner, branding: app.branding });
const deviceBase = await deviceApp.listen({ host: '127.0.0.1', port: 0 });
const pki = join(dir, 'pki');
const deviceGet = async (client: { certFile: string; keyFile: string }, path: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const options = { ca: readFileSync(devPkiPaths(pki).rootCert), cert: readFileSync(client.certFile), key: readFileSync(client.keyFile), agent: false };
    get(deviceBase.replace('127.0.0.1', 'localhost') + path, options, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
const { devices: fleet } = await api<{ devices: Array<{ hostname: string; upn: string }> }>('/api/fleet/devices?limit=5', 'GET', undefined);
for (const [i, device] of fleet.entries()) {
  // One certificate expires within the month: the Certificates screen's "expiring" list.
  const client = await issueDevClient(pki, { upn: device.upn, pfxPassword: 'screenshots', days: i === 0 ? 12 : 365 });
  await deviceGet(client, `/api/manifest?upn=${encodeURIComponent(device.upn)}&hostname=${device.hostname}`);
  // A device asking for someone else's manifest: refused, and shown with its reason.
  if (i === 1) await deviceGet(client, `/api/manifest?upn=${encodeURIComponent(fleet[0]!.upn)}&hostname=${device.hostname}`);
}
for (let i = 0; i < 100; i++) {
  const calls = await api<{ total: number }>('/api/fleet/device-calls', 'GET', undefined);
  if (calls.total >= fleet.length + 1) break;
  await new Promise((r) => setTimeout(r, 100));
}

mkdirSync(OUT, { recursive: true });
const browser = await launchChromium();
try {
  // The simulator's certificate comes from its own dev CA; onramp trusts it, the browser is told to.
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ignoreHTTPSErrors: true });
  const page = await context.newPage();
  await page.goto(base + '/');
  await page.getByRole('link', { name: 'Sign in with Microsoft' }).waitFor();
  await page.screenshot({ path: `${OUT}/signin.png` });
  await page.getByRole('link', { name: 'Sign in with Microsoft' }).click();
  const admin = [...sim.control.tenant.users.values()].find((u) => u.appRoles.includes('Onramp.Admin'))!;
  await page.getByRole('link', { name: admin.displayName, exact: true }).click();
  await page.getByText('Tracked users').waitFor();
  await page.screenshot({ path: `${OUT}/reports.png`, fullPage: true });
  await page.goto(base + '/#/users');
  await page.locator('table.data tbody a').first().waitFor();
  await page.screenshot({ path: `${OUT}/users.png` });
  await page.locator('table.data tbody a').first().click();
  await page.getByRole('heading', { name: 'Timeline' }).waitFor();
  await page.screenshot({ path: `${OUT}/user.png` });
  await page.goto(base + '/#/upload');
  const transfer = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(
      new File(['UPN,Department\nnew.hire@contoso.com,Sales\nbroken-address,IT\nnew.hire@contoso.com,Sales\n'], 'new-hires.csv', { type: 'text/csv' }),
    );
    return dt;
  });
  await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: transfer });
  await page.locator('.preview').waitFor();
  await page.screenshot({ path: `${OUT}/upload.png` });
  await page.goto(base + '/#/mailbox');
  const first = page.getByRole('button', { name: /Set Up Multi-Factor Authentication/ }).first();
  await first.waitFor();
  await first.click();
  await page.frameLocator('iframe[title^="Body of:"]').locator('a[href*="token="]').first().waitFor();
  await page.locator('iframe[title^="Body of:"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${OUT}/mailbox.png` });
  await page.goto(base + '/#/audit');
  await page.locator('table.data tbody tr').first().waitFor();
  await page.screenshot({ path: `${OUT}/audit.png` });
  await page.goto(`${base}/#/signatures/templates/${template.id}`);
  await page.getByLabel('Preview as (user principal name)').fill(person.userPrincipalName);
  await page.getByRole('document', { name: 'Signature preview' }).getByText(person.displayName).waitFor();
  await page.getByRole('button', { name: 'Changes in version 2' }).click();
  await page.locator('pre.diff').waitFor();
  await page.screenshot({ path: `${OUT}/signature-editor.png`, fullPage: true });
  await page.goto(base + '/#/signatures/rules');
  await page.getByLabel('User principal name').fill(person.userPrincipalName);
  await page.getByRole('button', { name: 'Test', exact: true }).click();
  await page.locator('.verdicts li.matched').first().waitFor();
  await page.screenshot({ path: `${OUT}/signature-rules.png`, fullPage: true });
  await page.goto(base + '/#/signatures/assets');
  await page.locator('.asset img.thumb').first().waitFor();
  await page.screenshot({ path: `${OUT}/signature-images.png` });
  await page.goto(base + '/#/signatures/deployment');
  await page.locator('#run-title .status.run-done').waitFor({ timeout: 30_000 });
  await page.getByLabel('Mailbox', { exact: true }).fill(person.mail!);
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByRole('table', { name: 'Signature state per place' }).getByText('up to date', { exact: true }).waitFor();
  await page.screenshot({ path: `${OUT}/signature-deployment.png`, fullPage: true });
  await page.goto(base + '/#/fleet/devices');
  await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
  await page
    .locator('table.data tbody tr')
    .nth(fleet.length - 1)
    .waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${OUT}/devices.png` });
  const shown = fleet[1]!;
  await page.goto(`${base}/#/fleet/devices/${shown.hostname}/${encodeURIComponent(shown.upn)}`);
  await page.getByRole('heading', { name: new RegExp(shown.hostname, 'i'), level: 1 }).waitFor();
  await page.locator('table.data tbody tr').first().waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${OUT}/device.png` });
  await page.goto(base + '/#/fleet/charts');
  await page.getByRole('heading', { name: 'Device charts', level: 1 }).waitFor();
  await page.locator('figure.chart svg rect').first().waitFor({ state: 'attached' });
  await page.screenshot({ path: `${OUT}/device-charts.png`, fullPage: true });
  await page.goto(base + '/#/fleet/mailboxes');
  await page.getByRole('heading', { name: 'Signatures per mailbox', level: 1 }).waitFor();
  await page.locator('table tbody tr').first().waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${OUT}/signatures-per-mailbox.png` });
  await page.goto(base + '/#/branding/files');
  await page.getByRole('heading', { name: 'Branding files' }).waitFor();
  await page.locator('img').nth(4).waitFor();
  await page.screenshot({ path: `${OUT}/branding-files.png`, fullPage: true });
  await page.goto(base + '/#/branding/assignments');
  await page.getByRole('list', { name: 'Assignments in priority order' }).getByText('Everyone: wallpaper').waitFor();
  await page.screenshot({ path: `${OUT}/branding-assignments.png`, fullPage: true });
  await page.goto(base + '/#/fleet/device-calls');
  await page.getByRole('table', { name: 'Device calls' }).locator('tbody tr').first().waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${OUT}/device-calls.png` });
  await page.goto(base + '/#/fleet/certificates');
  await page.getByRole('table', { name: 'Expiring within 30 days' }).locator('tbody tr').first().waitFor();
  await page.screenshot({ path: `${OUT}/certificates.png`, fullPage: true });
} finally {
  await browser.close();
  await jobs.stop();
  await deviceApp.close();
  await app.close();
  await graph.close();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`screenshots written to ${OUT}/\n`);
