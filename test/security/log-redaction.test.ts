/**
 * Issue 16, finding 3: a live enrol token must not reach the server log, whichever way the request
 * missed (another method, a trailing slash, another letter case, the token in the path, a URL that
 * does not decode) or hit a route and failed there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { buildPublicApp } from '../../src/app.js';
import { AuthService } from '../../src/auth/auth.service.js';
import { loadConfig } from '../../src/onramp-config.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger, redactUrl } from '../../src/lib/logger.js';
import { linkTokenOf } from '../../src/onboarding/onboarding.domain.js';
import * as q from '../../src/onboarding/onboarding.queries.js';
import { sqliteBackend } from '../support/storage.js';

test('redactUrl keeps route words and parameter names and replaces query values and token-shaped segments', () => {
  assert.equal(redactUrl('/api/enrol?token=12.abc&x=1'), '/api/enrol?token=[redacted]&x=[redacted]');
  assert.equal(redactUrl('/api/enrol/12.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg/'), '/api/enrol/[redacted]/');
  assert.equal(redactUrl('/api/admin/users/42/timeline'), '/api/admin/users/42/timeline');
  assert.equal(redactUrl('/api/getUserAttributes'), '/api/getUserAttributes');
  assert.equal(redactUrl('/x/onr_0123456789abcdefABCDEF'), '/x/[redacted]');
  assert.equal(redactUrl('/x?onr_0123456789abcdefABCDEF'), '/x?[redacted]=[redacted]');
});

test('no log line holds a live link token after requests that miss the route or fail on it', async () => {
  const storage = await sqliteBackend.open();
  const lines: string[] = [];
  const sink = new Writable({
    write: (chunk, _encoding, done) => {
      lines.push(String(chunk));
      done();
    },
  });
  const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json', ...storage.env } });
  const app = await buildPublicApp({ config, storage, log: createLogger('debug', sink), clock: systemClock, demo: false, instanceId: 'test' });
  try {
    const auth = new AuthService(storage.db, config.auth, systemClock);
    const admin = { authorization: `Bearer ${(await auth.createApiToken('ci', 'admin', 'test')).token}` };
    assert.equal(
      (await app.inject({ method: 'POST', url: '/api/upload-users', headers: admin, payload: { csv: 'upn\nada@contoso.example\n' } })).statusCode,
      200,
    );
    const user = await q.findByUpnKey(storage.db, (await q.defaultCampaign(storage.db)).id, 'ada@contoso.example');
    assert.ok(user);
    const token = linkTokenOf(user);
    const secret = user.link_secret;
    const encoded = encodeURIComponent(token).replace('.', '%2E');

    const probes: Array<[string, string]> = [
      ['OPTIONS', `/api/enrol?token=${token}`],
      ['PUT', `/api/enrol?token=${token}`],
      ['POST', `/api/track-mfa-click?token=${token}`],
      ['DELETE', `/api/track-open?token=${token}`],
      ['GET', `/api/enrol/?token=${token}`],
      ['GET', `/API/ENROL?token=${token}`],
      ['GET', `/Api/Track-Open?token=${encoded}`],
      ['GET', `/api/enrol/${token}`],
      ['GET', `/api/enrol/${encoded}/`],
      ['GET', `/api/enrol?${token}`],
      ['GET', `/api/%zz?token=${token}`],
      ['GET', `/api/enrol/%E0%A4%A/${token}`],
      // Matched routes that refuse the request log it too (the hot GETs log at warn only).
      ['POST', `/api/enrol?token=${token}`],
      ['POST', `/api/resend?token=${token}`],
    ];
    for (const [method, url] of probes) {
      const res = await app.inject({
        method: method as 'GET',
        url,
        headers: { 'content-type': 'application/json' },
        payload: method === 'GET' || method === 'OPTIONS' ? undefined : '{',
      });
      assert.ok(res.statusCode >= 400, `${method} ${url} answered ${res.statusCode}`);
    }
    const log = lines.join('');
    // The requests were logged (so the test can see a leak), with their tokens replaced.
    assert.ok(lines.filter((l) => l.includes('"incoming request"')).length >= probes.length, 'every probe was logged');
    assert.ok(!log.includes(secret), 'the link secret appears in the log');
    assert.ok(!log.includes(encodeURIComponent(secret)));
    assert.ok(log.includes('[redacted]'));
  } finally {
    await app.close();
    await storage.close();
  }
});
