/**
 * Security regressions on the public listener: classes issue 16's review found holding, kept so they
 * cannot regress. CSRF on cookie sessions, session fixation, CSV formula injection in the export,
 * mass assignment and prototype pollution in the upload, no user enumeration in the resend and enrol
 * answers, no stack traces in error bodies.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildPublicApp } from '../../src/app.js';
import { loadConfig } from '../../src/onramp-config.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { sqliteBackend, type TestStorage } from '../support/storage.js';

const PASSWORD = 'correct horse battery staple';
const SESSION = 'onramp_session';
let storage: TestStorage;
let app: FastifyInstance;
let admin: { cookie: string; csrf: string };

const cookieOf = (res: LightMyRequestResponse) => res.cookies.find((c) => c.name === SESSION)?.value;

before(async () => {
  storage = await sqliteBackend.open();
  const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json', ONRAMP_AUTH_COOKIE_SECURE: 'false', ...storage.env } });
  app = await buildPublicApp({ config, storage, log: createLogger('silent'), clock: systemClock, demo: false, instanceId: 'test' });
  const setup = await app.inject({
    method: 'POST',
    url: '/api/auth/setup',
    payload: { username: 'alice', password: PASSWORD, setupCode: app.onrampAuth.setupCode },
  });
  assert.equal(setup.statusCode, 201, setup.body);
  admin = { cookie: `${SESSION}=${cookieOf(setup)}`, csrf: setup.json().csrfToken };
});

after(async () => {
  await app?.close();
  await storage?.close();
});

test("CSRF: a cookie-authenticated state change needs the session's x-csrf-token; a cross-site form post is refused", async () => {
  const upload = (headers: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/api/upload-users', headers, payload: { csv: 'upn\ncsrf@contoso.example\n' } });
  const attempts: Array<Record<string, string>> = [
    { cookie: admin.cookie },
    { cookie: admin.cookie, 'x-csrf-token': 'forged' },
    { cookie: admin.cookie, 'x-csrf-token': '' },
  ];
  for (const headers of attempts) {
    const res = await upload(headers);
    assert.equal(res.statusCode, 403, res.body);
    assert.equal(res.json().code, 'ONRAMP_ERR_CSRF');
  }
  const form = await app.inject({
    method: 'POST',
    url: '/api/upload-users',
    headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    payload: 'csv=upn%0Aa%40b.c',
  });
  assert.ok(form.statusCode === 403 || form.statusCode === 415, form.body);
  assert.equal((await upload({ cookie: admin.cookie, 'x-csrf-token': admin.csrf })).statusCode, 200);
  // No CORS for origins that are not configured: the browser would not let evil.example read answers.
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/api/admin/users',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'DELETE' },
  });
  assert.equal(preflight.headers['access-control-allow-origin'], undefined);
});

test('session fixation: a session id chosen before sign-in is never adopted; sign-in issues a new one', async () => {
  const planted = 'a'.repeat(43);
  const login = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    headers: { cookie: `${SESSION}=${planted}` },
    payload: { username: 'alice', password: PASSWORD },
  });
  assert.equal(login.statusCode, 200, login.body);
  const issued = cookieOf(login);
  assert.ok(issued && issued !== planted);
  assert.equal((await app.inject({ url: '/api/auth/session', headers: { cookie: `${SESSION}=${planted}` } })).json().signedIn, false);
  assert.equal((await app.inject({ url: '/api/auth/session', headers: { cookie: `${SESSION}=${issued}` } })).json().signedIn, true);
});

test('CSV export: cells a spreadsheet would run as formulas are neutralised', async () => {
  // Addresses may start with + or - (RFC 5321 local parts); a spreadsheet would read those as formulas.
  const csv = 'upn\n+cmd@contoso.example\n-2+3@contoso.example\n';
  const up = await app.inject({ method: 'POST', url: '/api/upload-users', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf }, payload: { csv } });
  assert.equal(up.statusCode, 200, up.body);
  const exported = await app.inject({ url: '/api/admin/reports/export.csv', headers: { cookie: admin.cookie } });
  assert.equal(exported.statusCode, 200);
  const cells = exported.body
    .split(/\r?\n/)
    .flatMap((line) => line.split(','))
    .map((c) => c.replace(/^"|"$/g, ''));
  for (const cell of cells) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `a cell starts like a formula: ${cell}`);
  assert.ok(exported.body.includes("'+cmd@contoso.example") && exported.body.includes("'-2+3@contoso.example"), exported.body);
});

test('upload: unknown fields and __proto__ keys change nothing (mass assignment, prototype pollution)', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/api/upload-users',
    headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/json' },
    payload: '{"csv":"upn\\nproto@contoso.example\\n","role":"admin","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
  });
  assert.equal(res.statusCode, 400, res.body);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('no user enumeration: resend and enrol answers are the same for members and strangers; errors carry no stack', async () => {
  const ask = (email: string) =>
    app.inject({ method: 'POST', url: '/api/resend', headers: { accept: 'application/json', 'user-agent': 'script' }, payload: { email } });
  const member = await ask('+cmd@contoso.example');
  const stranger = await ask('nobody-here@contoso.example');
  assert.deepEqual([member.statusCode, member.body], [stranger.statusCode, stranger.body]);
  const unknownLink = await app.inject({
    url: '/api/enrol?token=1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    headers: { accept: 'application/json', 'user-agent': 'script' },
  });
  const malformedLink = await app.inject({ url: '/api/enrol?token=%00%00', headers: { accept: 'application/json', 'user-agent': 'script' } });
  assert.deepEqual([unknownLink.statusCode, unknownLink.json().message], [malformedLink.statusCode, malformedLink.json().message]);
  const broken = await app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"username":' });
  assert.equal(broken.statusCode, 400);
  assert.doesNotMatch(broken.body, /\bat \S+:\d+:\d+|node_modules|\/src\//);
});
