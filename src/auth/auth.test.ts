import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildPublicApp } from '../app.js';
import { loadConfig } from '../onramp-config.js';
import type { OnrampContext } from '../context.js';
import { createLogger } from '../lib/logger.js';
import { ManualClock, HOUR_MS } from '../lib/clock.js';
import { BACKENDS, type TestStorage } from '../../test/support/storage.js';
import { recordAudit, requireRole } from './auth.plugin.js';
import { AuditLog, AuthService } from './auth.service.js';
import { roleFromClaims } from './oidc.js';

const PASSWORD = 'correct horse battery staple';

async function harness(storage: TestStorage, env: Record<string, string> = {}) {
  const clock = new ManualClock('2026-03-02T08:00:00.000Z');
  const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json', ONRAMP_AUTH_COOKIE_SECURE: 'false', ...env } });
  const ctx: OnrampContext = { config, storage, log: createLogger('silent'), clock, demo: false, instanceId: 'test' };
  const app = await buildPublicApp(ctx);
  // Two routes standing in for the features' routes that use the hook.
  app.get('/api/test/read', { preHandler: requireRole('viewer') }, async (req) => ({ subject: req.principal?.subject, role: req.principal?.role }));
  app.post('/api/test/change', { preHandler: requireRole('admin') }, async (req) => {
    await recordAudit(req, 'test.change', 'thing-1', { n: 1 });
    return { changed: true };
  });
  const auth = new AuthService(storage.db, config.auth, clock);
  return { app, auth, clock, audit: new AuditLog(storage.db, clock) };
}

function sessionCookie(res: { cookies: Array<{ name: string; value: string }> }): string {
  const c = res.cookies.find((x) => x.name === 'onramp_session');
  assert.ok(c, 'session cookie set');
  return `onramp_session=${c.value}`;
}

async function setupAdmin(app: FastifyInstance): Promise<{ cookie: string; csrf: string }> {
  const setupCode = app.onrampAuth.setupCode;
  assert.ok(setupCode);
  const res = await app.inject({ method: 'POST', url: '/api/auth/setup', payload: { username: 'alice', password: PASSWORD, setupCode } });
  assert.equal(res.statusCode, 201, res.body);
  return { cookie: sessionCookie(res), csrf: res.json().csrfToken };
}

for (const backend of BACKENDS) {
  describe(`auth [${backend.name}]`, { skip: backend.skip }, () => {
    test('API tokens: admin and viewer roles, stored hashed, unknown and revoked tokens get 401', async () => {
      const storage = await backend.open();
      const { app, auth } = await harness(storage);
      try {
        const admin = await auth.createApiToken('ci', 'admin', 'test');
        const viewer = await auth.createApiToken('dash', 'viewer', 'test');
        const stored = await storage.db.selectFrom('auth_api_token').select('token_hash').execute();
        assert.ok(stored.every((r) => r.token_hash !== admin.token && r.token_hash !== viewer.token && /^[0-9a-f]{64}$/.test(r.token_hash)));

        const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
        assert.deepEqual((await app.inject({ url: '/api/test/read', headers: bearer(viewer.token) })).json(), { subject: 'token:dash', role: 'viewer' });
        const change = await app.inject({ method: 'POST', url: '/api/test/change', headers: bearer(admin.token) });
        assert.equal(change.statusCode, 200, 'Bearer calls need no CSRF token');

        const denied = await app.inject({ method: 'POST', url: '/api/test/change', headers: bearer(viewer.token) });
        assert.equal(denied.statusCode, 403);
        assert.equal(denied.json().code, 'ONRAMP_ERR_FORBIDDEN');

        for (const headers of [{}, bearer('onr_' + 'x'.repeat(43)), bearer('garbage'), { authorization: 'Basic YTpi' }]) {
          const res = await app.inject({ url: '/api/test/read', headers });
          assert.equal(res.statusCode, 401);
          assert.equal(res.json().code, 'ONRAMP_ERR_UNAUTHENTICATED');
        }
        assert.equal(await auth.revokeApiToken(admin.id), true);
        assert.equal((await app.inject({ method: 'POST', url: '/api/test/change', headers: bearer(admin.token) })).statusCode, 401);
      } finally {
        await app.close();
        await storage.close();
      }
    });

    test('first-run setup, sign-in, CSRF on state changes, logout and the audit trail', async () => {
      const storage = await backend.open();
      const { app, audit } = await harness(storage);
      try {
        const before = (await app.inject('/api/auth/session')).json();
        assert.equal(before.signedIn, false);
        assert.equal(before.setupRequired, true);
        const wrongCode = await app.inject({
          method: 'POST',
          url: '/api/auth/setup',
          payload: { username: 'mallory', password: PASSWORD, setupCode: 'guess' },
        });
        assert.equal(wrongCode.json().code, 'ONRAMP_ERR_SETUP_CODE');
        const shortPassword = await app.inject({
          method: 'POST',
          url: '/api/auth/setup',
          payload: { username: 'alice', password: 'short', setupCode: app.onrampAuth.setupCode },
        });
        assert.equal(shortPassword.statusCode, 400);

        const { cookie, csrf } = await setupAdmin(app);
        const again = await app.inject({ method: 'POST', url: '/api/auth/setup', payload: { username: 'mallory', password: PASSWORD, setupCode: 'x' } });
        assert.equal(again.json().code, 'ONRAMP_ERR_SETUP_DONE');

        const me = (await app.inject({ url: '/api/auth/session', headers: { cookie } })).json();
        assert.equal(me.signedIn, true);
        assert.deepEqual(me.user, { subject: 'alice', displayName: 'alice', role: 'admin', kind: 'session' });
        assert.equal(me.csrfToken, csrf);

        const noCsrf = await app.inject({ method: 'POST', url: '/api/test/change', headers: { cookie } });
        assert.equal(noCsrf.statusCode, 403);
        assert.equal(noCsrf.json().code, 'ONRAMP_ERR_CSRF');
        const badCsrf = await app.inject({ method: 'POST', url: '/api/test/change', headers: { cookie, 'x-csrf-token': csrf.slice(1) + 'A' } });
        assert.equal(badCsrf.json().code, 'ONRAMP_ERR_CSRF');
        const ok = await app.inject({ method: 'POST', url: '/api/test/change', headers: { cookie, 'x-csrf-token': csrf } });
        assert.equal(ok.statusCode, 200);

        // Wrong password and unknown user answer the same.
        const wrong = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: 'not the password' } });
        const unknown = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'bob', password: 'not the password' } });
        assert.equal(wrong.statusCode, 401);
        const withoutId = (body: Record<string, unknown>) => ({ ...body, requestId: '' });
        assert.deepEqual(withoutId(wrong.json()), withoutId(unknown.json()));

        const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: PASSWORD } });
        assert.equal(login.statusCode, 200);
        const second = sessionCookie(login);
        const set = login.headers['set-cookie'];
        assert.match(String(set), /HttpOnly/);
        assert.match(String(set), /SameSite=Lax/);

        const logout = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: second, 'x-csrf-token': login.json().csrfToken } });
        assert.equal(logout.statusCode, 204);
        assert.equal((await app.inject({ url: '/api/test/read', headers: { cookie: second } })).statusCode, 401);
        assert.equal((await app.inject({ url: '/api/test/read', headers: { cookie } })).statusCode, 200, 'other sessions live on');

        const entries = await audit.list({ limit: 50 });
        const actions = entries.map((e) => `${e.actor} ${e.action}`).reverse();
        // bob is no admin: his name is left out (it is often a password typed into the wrong field).
        assert.deepEqual(actions, [
          'alice auth.setup',
          'alice test.change',
          'alice auth.login.failed',
          '(unknown user name) auth.login.failed',
          'alice auth.login',
          'alice auth.logout',
        ]);
        const change = entries.find((e) => e.action === 'test.change')!;
        assert.equal(change.target, 'thing-1');
        assert.deepEqual(change.details, { n: 1 });
        assert.equal(change.ip, '127.0.0.1');
        assert.ok(change.requestId);
      } finally {
        await app.close();
        await storage.close();
      }
    });

    test('sign-in attempts are limited per user name and per client network; a password reset or switching local admin off ends local sessions; an anonymous upload is refused before its body is read', async () => {
      const storage = await backend.open();
      const { app, auth, clock } = await harness(storage);
      try {
        const { cookie } = await setupAdmin(app);
        const login = (username: string, password: string) => app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
        // Setting her up was the first attempt for her name and from this address.
        for (let i = 0; i < 8; i++) assert.equal((await login('alice', 'wrong password')).statusCode, 401);
        assert.equal((await login('alice', PASSWORD)).statusCode, 200, 'the tenth attempt, right');
        const limited = await login('ALICE', PASSWORD);
        assert.deepEqual([limited.statusCode, limited.json().code], [429, 'ONRAMP_ERR_RATE_LIMITED'], 'the eleventh, right or not, waits');
        for (let i = 0; i < 19; i++) assert.equal((await login(`guess${i}`, 'wrong password')).statusCode, 401);
        assert.equal((await login('someone', 'wrong password')).statusCode, 429, 'thirty from one address');
        clock.advance(15 * 60_000);
        const later = await login('alice', PASSWORD);
        assert.equal(later.statusCode, 200, 'a new window');

        assert.equal((await app.inject({ url: '/api/test/read', headers: { cookie } })).statusCode, 200);
        await auth.setLocalAdminPassword('alice', 'another long passphrase');
        assert.equal((await app.inject({ url: '/api/test/read', headers: { cookie } })).statusCode, 401, 'the reset ended her session');

        const anonymous = await app.inject({
          method: 'POST',
          url: '/api/upload-users',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ csv: 'x'.repeat(3_000_000), extra: true }),
        });
        assert.deepEqual([anonymous.statusCode, anonymous.json().code], [401, 'ONRAMP_ERR_UNAUTHENTICATED']);
      } finally {
        await app.close();
        await storage.close();
      }
      // The same database, local admin switched off: Alice's session from before no longer works.
      const reopened = await backend.open();
      try {
        const { app: on } = await harness(reopened);
        const { cookie } = await setupAdmin(on);
        await on.close();
        const { app: off } = await harness(reopened, { ONRAMP_AUTH_LOCAL_ADMIN: 'false' });
        assert.equal((await off.inject({ url: '/api/test/read', headers: { cookie } })).statusCode, 401);
        await off.close();
      } finally {
        await reopened.close();
      }
    });

    test('sessions end after the idle timeout and after their lifetime', async () => {
      const storage = await backend.open();
      const { app, clock } = await harness(storage, { ONRAMP_AUTH_SESSION_HOURS: '2', ONRAMP_AUTH_SESSION_IDLE_MINUTES: '30' });
      try {
        const { cookie } = await setupAdmin(app);
        clock.advance(29 * 60_000);
        assert.equal((await app.inject({ url: '/api/test/read', headers: { cookie } })).statusCode, 200);
        clock.advance(29 * 60_000);
        assert.equal((await app.inject({ url: '/api/test/read', headers: { cookie } })).statusCode, 200, 'activity keeps it alive');
        clock.advance(31 * 60_000);
        assert.equal((await app.inject({ url: '/api/test/read', headers: { cookie } })).statusCode, 401, 'idle too long');

        const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: PASSWORD } });
        const fresh = sessionCookie(login);
        for (let i = 0; i < 4; i++) {
          clock.advance(25 * 60_000);
          assert.equal((await app.inject({ url: '/api/test/read', headers: { cookie: fresh } })).statusCode, 200);
        }
        clock.advance(HOUR_MS);
        assert.equal((await app.inject({ url: '/api/test/read', headers: { cookie: fresh } })).statusCode, 401, 'past its lifetime');
      } finally {
        await app.close();
        await storage.close();
      }
    });
  });
}

describe('auth without local admin', () => {
  test('production can switch local sign-in off', async () => {
    const storage = await BACKENDS[0]!.open();
    const { app } = await harness(storage, { ONRAMP_AUTH_LOCAL_ADMIN: 'false' });
    try {
      assert.equal(app.onrampAuth.setupCode, undefined);
      const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: PASSWORD } });
      assert.equal(res.json().code, 'ONRAMP_ERR_LOCAL_ADMIN_DISABLED');
      assert.equal((await app.inject('/api/auth/session')).json().setupRequired, false);
    } finally {
      await app.close();
      await storage.close();
    }
  });

  test('OIDC roles come from the configured claim; admin wins, no match means no role', () => {
    const c = { roleClaim: 'groups', adminValues: ['g-admin'], viewerValues: ['g-view'] };
    assert.equal(roleFromClaims({ groups: ['x', 'g-view', 'g-admin'] }, c), 'admin');
    assert.equal(roleFromClaims({ groups: ['g-view'] }, c), 'viewer');
    assert.equal(roleFromClaims({ groups: ['other'], roles: ['g-admin'] }, c), undefined);
    assert.equal(roleFromClaims({}, c), undefined);
  });
});
