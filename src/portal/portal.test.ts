import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPublicApp } from '../app.js';
import { loadConfig } from '../config/config.js';
import type { OnrampContext } from '../context.js';
import { createLogger } from '../lib/logger.js';
import { ManualClock } from '../lib/clock.js';
import { BACKENDS, type TestStorage } from '../../test/support/storage.js';
import { AuthService } from '../auth/auth.service.js';

async function harness(storage: TestStorage) {
  const clock = new ManualClock(new Date());
  const config = loadConfig({
    env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json', ONRAMP_AUTH_COOKIE_SECURE: 'false', ONRAMP_PORTAL_ALLOWED_ORIGINS: 'https://admin.example.org', ONRAMP_DATABASE_URL: 'postgres://u:hunter2@db.example/x' },
  });
  // The database URL above is only there to prove the settings view redacts it; storage is the test's.
  const ctx: OnrampContext = { config, storage, log: createLogger('silent'), clock, demo: false, instanceId: 'test' };
  const app = await buildPublicApp(ctx);
  const auth = new AuthService(storage.db, config.auth, clock);
  const admin = (await auth.createApiToken('ops', 'admin', 'test')).token;
  const viewer = (await auth.createApiToken('board', 'viewer', 'test')).token;
  return { app, as: (t: string) => ({ authorization: `Bearer ${t}` }), admin, viewer };
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
        assert.deepEqual(report.perBatch, [{ batch: 'wave-1', total: 3, active: 0 }]);
        assert.deepEqual(report.filters.batches, ['wave-1']);
        assert.equal((await app.inject({ url: '/api/admin/reports?batch=other', headers: as(viewer) })).json().total, 0);

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
      for (const path of ['/api/admin/users', '/api/admin/users/{id}', '/api/admin/reports', '/api/admin/audit', '/api/auth/login', '/api/upload-users']) {
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
