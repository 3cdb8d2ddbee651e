import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPublicApp } from '../app.js';
import { loadConfig } from '../onramp-config.js';
import type { OnrampContext } from '../context.js';
import { createLogger } from '../lib/logger.js';
import { ManualClock } from '../lib/clock.js';
import { BACKENDS, type TestStorage } from '../../test/support/storage.js';
import { AuthService } from '../auth/auth.service.js';
import { startTestTenant } from '../../test/support/simulator.js';
import { Agent, fetch as undiciFetch } from 'undici';
import { demoTenantOf } from '../demo.js';

async function harness(storage: TestStorage, extra: Partial<OnrampContext> = {}) {
  const clock = new ManualClock(new Date());
  const config = loadConfig({
    env: {
      ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json',
      ONRAMP_AUTH_COOKIE_SECURE: 'false',
      ONRAMP_PORTAL_ALLOWED_ORIGINS: 'https://admin.example.org',
      ONRAMP_DATABASE_URL: 'postgres://u:hunter2@db.example/x',
      // A relay nobody listens on: "send report now" must say mail failed, not fail with a 500.
      ONRAMP_SMTP_HOST: '127.0.0.1',
      ONRAMP_SMTP_PORT: '9',
    },
  });
  // The database URL above is only there to prove the settings view redacts it; storage is the test's.
  const ctx: OnrampContext = { config, storage, log: createLogger('silent'), clock, demo: false, instanceId: 'test', ...extra };
  const app = await buildPublicApp(ctx);
  const auth = new AuthService(storage.db, config.auth, clock);
  const admin = (await auth.createApiToken('ops', 'admin', 'test')).token;
  const viewer = (await auth.createApiToken('board', 'viewer', 'test')).token;
  return { app, storage, as: (t: string) => ({ authorization: `Bearer ${t}` }), admin, viewer };
}

for (const backend of BACKENDS) {
  describe(`admin API [${backend.name}]`, { skip: backend.skip }, () => {
    test('users, reports, timeline and removal; viewers read but cannot change; every change audited', async () => {
      const storage = await backend.open();
      const { app, as, admin, viewer } = await harness(storage);
      try {
        const csv = 'UPN,Department\nann@contoso.com,Sales\nbob@contoso.com,IT\ncy@contoso.com,IT\n';
        const denied = await app.inject({ method: 'POST', url: '/api/upload-users', headers: { ...as(viewer), 'content-type': 'text/csv' }, payload: csv });
        assert.equal(denied.statusCode, 403);
        assert.equal(denied.json().code, 'ONRAMP_ERR_FORBIDDEN');
        const up = await app.inject({ method: 'POST', url: '/api/upload-users?batchId=wave-1', headers: { ...as(admin), 'content-type': 'text/csv' }, payload: csv });
        assert.equal(up.statusCode, 200, up.body);
        assert.equal(up.json().added.length, 3);

        const list = await app.inject({ url: '/api/admin/users?sort=upn_key&desc=false&limit=2', headers: as(viewer) });
        assert.equal(list.statusCode, 200, list.body);
        assert.equal(list.json().total, 3);
        assert.deepEqual(list.json().users.map((u: { upn: string }) => u.upn), ['ann@contoso.com', 'bob@contoso.com']);
        const search = (await app.inject({ url: '/api/admin/users?search=BOB', headers: as(viewer) })).json();
        assert.deepEqual(search.users.map((u: { upn: string }) => u.upn), ['bob@contoso.com']);
        const badSort = await app.inject({ url: '/api/admin/users?sort=password', headers: as(viewer) });
        assert.equal(badSort.statusCode, 400);

        const report = (await app.inject({ url: '/api/admin/reports?batch=wave-1', headers: as(viewer) })).json();
        assert.equal(report.total, 3);
        assert.equal(report.completionRate, 0);
        assert.deepEqual(report.perBatch, [{ batchId: 'wave-1', total: 3, active: 0, excluded: 0, completionRate: 0 }]);
        assert.equal(report.activity.length, 30);
        assert.deepEqual(report.filters.batches, ['wave-1']);
        assert.equal((await app.inject({ url: '/api/admin/reports?batch=other', headers: as(viewer) })).json().total, 0);

        const unsent = await app.inject({ method: 'POST', url: '/api/admin/reports/send', headers: as(admin), payload: { recipients: ['boss@contoso.com'] } });
        assert.equal(unsent.statusCode, 503, unsent.body);
        assert.equal(unsent.json().code, 'ONRAMP_ERR_MAIL_UNAVAILABLE');
        assert.doesNotMatch(unsent.body, /ECONNREFUSED|127\.0\.0\.1/, 'the relay error stays in the log');

        const csvRes = await app.inject({ url: '/api/admin/reports/export.csv?batch=wave-1', headers: as(viewer) });
        assert.equal(csvRes.statusCode, 200);
        assert.match(String(csvRes.headers['content-disposition']), /mfa-report-wave-1-\d{4}-\d{2}-\d{2}\.csv/);
        const lines = csvRes.body.trim().split('\r\n');
        assert.match(lines[0]!, /UPN/);
        assert.equal(lines.length, 4);

        const id = list.json().users[0].id as number;
        const detail = (await app.inject({ url: `/api/admin/users/${id}`, headers: as(viewer) })).json();
        assert.equal(detail.user.upn, 'ann@contoso.com');
        assert.ok(detail.timeline.some((e: { type: string }) => e.type === 'uploaded'));

        assert.equal((await app.inject({ method: 'DELETE', url: `/api/admin/users/${id}`, headers: as(viewer) })).statusCode, 403);
        assert.equal((await app.inject({ method: 'DELETE', url: `/api/admin/users/${id}`, headers: as(admin) })).statusCode, 204);
        assert.equal((await app.inject({ url: `/api/admin/users/${id}`, headers: as(viewer) })).statusCode, 404);

        const audit = (await app.inject({ url: '/api/admin/audit', headers: as(viewer) })).json();
        const removal = audit.entries.find((e: { action: string }) => e.action === 'user.remove');
        assert.equal(removal.actor, 'token:ops');
        assert.equal(removal.target, 'ann@contoso.com');
        const upload = audit.entries.find((e: { action: string }) => e.action === 'users.upload');
        assert.equal(upload.actor, 'token:ops');
        assert.equal(upload.target, 'wave-1');
        assert.deepEqual(upload.details, { total: 3, added: 3, updated: 0, skipped: 0, errors: 0 });
        assert.equal((await app.inject({ url: '/api/admin/audit' })).statusCode, 401);
      } finally {
        await app.close();
        await storage.close();
      }
    });
  });
}

describe('reports: one scope for the screen and the export; resend now', () => {
  test('every report filter selects the same users in the tiles and the CSV; resend starts a new cycle, audited', async () => {
    const storage = await BACKENDS[0]!.open();
    const { app, as, admin, viewer } = await harness(storage);
    try {
      const csv = 'UPN,Department\nann@contoso.com,Sales\nbob@contoso.com,IT\ncy@contoso.com,IT\ndee@contoso.com,IT\n';
      assert.equal((await app.inject({ method: 'POST', url: '/api/upload-users?batchId=wave-1', headers: { ...as(admin), 'content-type': 'text/csv' }, payload: csv })).statusCode, 200);
      await app.inject({ method: 'POST', url: '/api/upload-users?batchId=wave-2', headers: { ...as(admin), 'content-type': 'text/csv' }, payload: 'UPN\neve@contoso.com\n' });
      // Departments come from the directory; set them as the sync would, with one formula-looking value.
      await storage.db.updateTable('tracked_user').set({ department: 'IT' }).where('upn_key', 'in', ['bob@contoso.com', 'cy@contoso.com', 'dee@contoso.com']).execute();
      await storage.db.updateTable('tracked_user').set({ department: '=HYPERLINK("x")' }).where('upn_key', '=', 'ann@contoso.com').execute();
      await storage.db.updateTable('tracked_user').set({ invite_status: 'Active' }).where('upn_key', '=', 'cy@contoso.com').execute();
      const today = new Date().toISOString().slice(0, 10);
      const scopes: Array<[string, number]> = [
        ['', 5],
        ['batch=wave-1', 4],
        ['department=IT', 3],
        ['department=IT&status=Active', 1],
        ['search=DEE', 1],
        [`batch=wave-1&from=${today}&to=${today}`, 4],
        ['from=2000-01-01&to=2000-01-02', 0],
      ];
      for (const [scope, expected] of scopes) {
        const report = (await app.inject({ url: `/api/admin/reports?${scope}`, headers: as(viewer) })).json();
        assert.equal(report.total, expected, scope);
        const exported = await app.inject({ url: `/api/admin/reports/export.csv?${scope}`, headers: as(viewer) });
        assert.equal(exported.statusCode, 200);
        const rows = exported.body.trim().split('\r\n');
        assert.equal(rows[0]!.split(',')[0], 'UPN');
        assert.equal(rows.length - 1, report.total, `export of ${scope}`);
      }
      const it = (await app.inject({ url: '/api/admin/reports?department=IT', headers: as(viewer) })).json();
      assert.equal(it.completionRate, 33.3);
      assert.equal(it.byStatus.Active, 1);
      const all = (await app.inject({ url: '/api/admin/reports/export.csv', headers: as(viewer) })).body;
      assert.match(all, /,"'=HYPERLINK\(""x""\)",/, 'formula neutralised');

      const bob = (await app.inject({ url: '/api/admin/users?search=bob', headers: as(viewer) })).json().users[0];
      const tokenBefore = (await storage.db.selectFrom('tracked_user').select('link_secret').where('id', '=', bob.id).executeTakeFirstOrThrow()).link_secret;
      await storage.db.updateTable('tracked_user').set({ invite_status: 'Sent', reminder_count: 2 }).where('id', '=', bob.id).execute();
      assert.equal((await app.inject({ method: 'POST', url: `/api/admin/users/${bob.id}/resend`, headers: as(viewer) })).statusCode, 403);
      const resent = await app.inject({ method: 'POST', url: `/api/admin/users/${bob.id}/resend`, headers: as(admin) });
      assert.equal(resent.statusCode, 200, resent.body);
      assert.equal(resent.json().user.status, 'Pending');
      assert.equal(resent.json().user.reminderCount, 0);
      const tokenAfter = (await storage.db.selectFrom('tracked_user').select('link_secret').where('id', '=', bob.id).executeTakeFirstOrThrow()).link_secret;
      assert.notEqual(tokenAfter, tokenBefore);
      const timeline = (await app.inject({ url: `/api/admin/users/${bob.id}`, headers: as(viewer) })).json().timeline;
      assert.ok(timeline.some((e: { type: string; actor: string }) => e.type === 'resend-requested' && e.actor === 'token:ops'), JSON.stringify(timeline));
      assert.equal((await app.inject({ method: 'POST', url: '/api/admin/users/999999/resend', headers: as(admin) })).json().code, 'ONRAMP_ERR_TRACKED_USER_NOT_FOUND');
      const audit = (await app.inject({ url: '/api/admin/audit', headers: as(viewer) })).json().entries;
      assert.ok(audit.some((e: { action: string; target: string }) => e.action === 'user.resend' && e.target === 'bob@contoso.com'));
      assert.ok(audit.some((e: { action: string; details: { department?: string } }) => e.action === 'report.export' && e.details?.department === 'IT'));
      assert.equal((await app.inject({ url: '/api/admin/mailbox', headers: as(admin) })).statusCode, 404, 'no mailbox without the in-process simulator');
    } finally {
      await app.close();
      await storage.close();
    }
  });
});

describe('demo: the in-process tenant simulator', () => {
  test('send report now lands in the Mailbox; mail bodies are served sandboxed; sign-in offers the simulator', async () => {
    const tenant = await startTestTenant({ users: 10 });
    const storage = await BACKENDS[0]!.open();
    const { app, as, admin, viewer } = await harness(storage, { demo: true, demoTenant: demoTenantOf(tenant.sim), graph: tenant.graph });
    try {
      const session = (await app.inject('/api/auth/session')).json();
      assert.deepEqual(session.methods, { local: true, oidc: true });
      assert.equal(session.mailbox, true);
      const login = await app.inject('/api/auth/oidc/login');
      assert.equal(login.statusCode, 302);
      assert.ok(String(login.headers.location).startsWith(`${tenant.sim.url}/${tenant.sim.tenantId}/oauth2/v2.0/authorize?`));
      // The code flow, with the simulator answering at once for a login_hint: a user without an app role is refused.
      const signInAs = async (upn: string) => {
        const start = await app.inject('/api/auth/oidc/login');
        const authorize = new URL(String(start.headers.location));
        authorize.searchParams.set('login_hint', upn);
        const answer = await undiciFetch(authorize, { dispatcher: new Agent({ connect: { ca: tenant.sim.caPem } }), redirect: 'manual' });
        const callback = new URL(answer.headers.get('location')!);
        return app.inject({ url: callback.pathname + callback.search, headers: { cookie: String(start.headers['set-cookie']).split(';')[0]! } });
      };
      const people = [...tenant.sim.control.tenant.users.values()];
      const nobody = await signInAs(people.find((u) => u.appRoles.length === 0 && u.accountEnabled)!.userPrincipalName);
      assert.equal(nobody.statusCode, 403, nobody.body);
      assert.equal(nobody.json().code, 'ONRAMP_ERR_NO_ROLE');
      const adminUser = people.find((u) => u.appRoles.includes('Onramp.Admin'))!;
      const signedIn = await signInAs(adminUser.userPrincipalName);
      assert.equal(signedIn.statusCode, 302);
      const sessionCookie = [signedIn.headers['set-cookie']].flat().map(String).find((c) => c.startsWith('onramp_session='))!;
      const who = (await app.inject({ url: '/api/auth/session', headers: { cookie: sessionCookie.split(';')[0]! } })).json();
      assert.deepEqual(who.user, { subject: adminUser.userPrincipalName, displayName: adminUser.displayName, role: 'admin', kind: 'session' });

      // With Secure cookies (the default), browsers refuse a __Host- cookie unless its Path is /.
      const secureApp = await buildPublicApp({ config: loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json' } }), storage, log: createLogger('silent'), clock: new ManualClock(new Date()), demo: true, instanceId: 't', demoTenant: demoTenantOf(tenant.sim) });
      try {
        const cookies = [(await secureApp.inject('/api/auth/oidc/login')).headers['set-cookie']].flat().map(String);
        assert.equal(cookies.length, 1);
        assert.match(cookies[0]!, /^__Secure-onramp_oidc=.*; Path=\/api\/auth\/oidc;.*Secure/);
        for (const c of cookies) if (c.startsWith('__Host-')) assert.match(c, /; Path=\/(;|$)/);
      } finally {
        await secureApp.close();
      }

      await app.inject({ method: 'POST', url: '/api/upload-users', headers: { ...as(admin), 'content-type': 'text/csv' }, payload: 'UPN\nann@contoso.com\n' });
      const noRecipients = await app.inject({ method: 'POST', url: '/api/admin/reports/send', headers: as(admin), payload: {} });
      assert.equal(noRecipients.statusCode, 400);
      assert.equal(noRecipients.json().code, 'ONRAMP_ERR_VALIDATION');
      assert.equal((await app.inject({ method: 'POST', url: '/api/admin/reports/send', headers: as(viewer), payload: { recipients: ['boss@contoso.com'] } })).statusCode, 403);
      const sent = await app.inject({ method: 'POST', url: '/api/admin/reports/send', headers: as(admin), payload: { recipients: ['boss@contoso.com'] } });
      assert.equal(sent.statusCode, 200, sent.body);
      assert.equal(sent.json().total, 1);

      assert.equal((await app.inject({ url: '/api/admin/mailbox', headers: as(viewer) })).statusCode, 403, 'invitations carry live links: admins only');
      const box = (await app.inject({ url: '/api/admin/mailbox', headers: as(admin) })).json();
      assert.equal(box.messages.length, 1);
      assert.deepEqual(box.messages[0].to, ['boss@contoso.com']);
      assert.match(box.messages[0].subject, /^MFA Rollout Report - \d{4}-\d{2}-\d{2} - 0% Complete$/);
      const body = await app.inject({ url: `/api/admin/mailbox/${box.messages[0].id}/body`, headers: as(admin) });
      assert.equal(body.statusCode, 200);
      assert.match(String(body.headers['content-type']), /^text\/html/);
      assert.match(String(body.headers['content-security-policy']), /sandbox allow-popups allow-popups-to-escape-sandbox/);
      assert.doesNotMatch(String(body.headers['content-security-policy']), /script-src|allow-scripts|allow-same-origin/);
      assert.match(body.body, /^<!doctype html><meta charset="utf-8"><base target="_blank">/);
      assert.match(body.body, /<h3>By status<\/h3>/);
      assert.equal((await app.inject({ url: '/api/admin/mailbox/nope/body', headers: as(admin) })).statusCode, 404);
      const audit = (await app.inject({ url: '/api/admin/audit', headers: as(viewer) })).json().entries;
      assert.ok(audit.some((e: { action: string; target: string }) => e.action === 'report.send' && e.target === 'boss@contoso.com'));
    } finally {
      await app.close();
      await storage.close();
      await tenant.stop();
    }
  });
});

describe('portal shell', () => {
  test('settings redact secrets; OpenAPI lists the admin API; the SPA page carries a strict CSP; CORS only for the configured origin', async () => {
    const storage = await BACKENDS[0]!.open();
    const { app, as, viewer } = await harness(storage);
    try {
      const settings = await app.inject({ url: '/api/admin/settings', headers: as(viewer) });
      assert.equal(settings.json().config.database.url, 'postgres://u:[redacted]@db.example/x');
      assert.doesNotMatch(settings.body, /hunter2/);

      const doc = (await app.inject('/api/openapi.json')).json();
      assert.equal(doc.openapi, '3.1.0');
      for (const path of ['/api/admin/users', '/api/admin/users/{id}', '/api/admin/users/{id}/resend', '/api/admin/reports', '/api/admin/reports/send', '/api/admin/reports/export.csv', '/api/admin/audit', '/api/auth/login', '/api/upload-users']) {
        assert.ok(doc.paths[path], `${path} documented`);
      }
      assert.ok(doc.paths['/api/admin/users'].get.parameters.some((p: { name: string }) => p.name === 'search'));
      assert.ok(doc.paths['/api/admin/users/{id}'].delete);

      const missing = await app.inject('/api/nope');
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().code, 'ONRAMP_ERR_NOT_FOUND');
      assert.equal((await app.inject('/users/deep/link')).json().code, 'ONRAMP_ERR_NOT_FOUND');
      const page = await app.inject('/');
      assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
      assert.doesNotMatch(String(page.headers['content-security-policy']), /unsafe-inline/);
      assert.equal(page.headers['x-frame-options'], 'DENY');

      const allowed = await app.inject({ method: 'OPTIONS', url: '/api/admin/users', headers: { origin: 'https://admin.example.org', 'access-control-request-method': 'GET' } });
      assert.equal(allowed.headers['access-control-allow-origin'], 'https://admin.example.org');
      const foreign = await app.inject({ url: '/api/admin/users', headers: { origin: 'https://evil.example', ...as(viewer) } });
      assert.equal(foreign.headers['access-control-allow-origin'], undefined);
    } finally {
      await app.close();
      await storage.close();
    }
  });
});
