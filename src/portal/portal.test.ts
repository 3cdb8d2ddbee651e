import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPublicApp } from '../app.js';
import { demoTenantOf } from '../demo.js';
import { loadConfig } from '../onramp-config.js';
import { createLogger } from '../lib/logger.js';
import { ManualClock } from '../lib/clock.js';
import { BACKENDS } from '../../test/support/storage.js';
import { adminApp as harness } from '../../test/support/admin-app.js';
import { startTestTenant } from '../../test/support/simulator.js';
import { Agent, fetch as undiciFetch } from 'undici';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, relative, resolve } from 'node:path';

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
      // A browser is sent to the portal's page saying so, not left on a JSON answer.
      const start = await app.inject('/api/auth/oidc/login');
      const authorize = new URL(String(start.headers.location));
      authorize.searchParams.set('login_hint', people.find((u) => u.appRoles.length === 0 && u.accountEnabled)!.userPrincipalName);
      const answer = await undiciFetch(authorize, { dispatcher: new Agent({ connect: { ca: tenant.sim.caPem } }), redirect: 'manual' });
      const callback = new URL(answer.headers.get('location')!);
      const browser = await app.inject({
        url: callback.pathname + callback.search,
        headers: { accept: 'text/html,application/xhtml+xml', cookie: String(start.headers['set-cookie']).split(';')[0]! },
      });
      assert.deepEqual([browser.statusCode, browser.headers.location], [302, '/?signin=no-role']);
      const adminUser = people.find((u) => u.appRoles.includes('Onramp.Admin'))!;
      const signedIn = await signInAs(adminUser.userPrincipalName);
      assert.equal(signedIn.statusCode, 302);
      const sessionCookie = [signedIn.headers['set-cookie']]
        .flat()
        .map(String)
        .find((c) => c.startsWith('onramp_session='))!;
      const who = (await app.inject({ url: '/api/auth/session', headers: { cookie: sessionCookie.split(';')[0]! } })).json();
      assert.deepEqual(who.user, { subject: adminUser.userPrincipalName, displayName: adminUser.displayName, role: 'admin', kind: 'session' });

      // With Secure cookies (the default), browsers refuse a __Host- cookie unless its Path is /.
      const secureApp = await buildPublicApp({
        config: loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json' } }),
        storage,
        log: createLogger('silent'),
        clock: new ManualClock(new Date()),
        demo: true,
        instanceId: 't',
        demoTenant: demoTenantOf(tenant.sim),
      });
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
      assert.equal(
        (await app.inject({ method: 'POST', url: '/api/admin/reports/send', headers: as(viewer), payload: { recipients: ['boss@contoso.com'] } })).statusCode,
        403,
      );
      // A mistyped address is named in words, not as a schema path.
      const typo = await app.inject({
        method: 'POST',
        url: '/api/admin/reports/send',
        headers: as(admin),
        payload: { recipients: ['boss@contoso.com', 'boss'] },
      });
      assert.equal(typo.statusCode, 400);
      assert.equal(typo.json().message, 'Invalid request: "recipients" item 2 is not a valid email address');
      const sent = await app.inject({ method: 'POST', url: '/api/admin/reports/send', headers: as(admin), payload: { recipients: ['boss@contoso.com'] } });
      assert.equal(sent.statusCode, 200, sent.body);
      assert.deepEqual([sent.json().total, sent.json().scope], [1, null]);

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
      // The report of a scope says so, and covers only it.
      const scoped = await app.inject({
        method: 'POST',
        url: '/api/admin/reports/send',
        headers: as(admin),
        payload: { recipients: ['boss@contoso.com'], batch: 'nothing-here' },
      });
      assert.deepEqual([scoped.json().total, scoped.json().scope], [0, 'batch nothing-here']);
      const scopedMail = (await app.inject({ url: '/api/admin/mailbox', headers: as(admin) }))
        .json()
        .messages.find((m: { id: string }) => m.id !== box.messages[0].id);
      const scopedBody = await app.inject({ url: `/api/admin/mailbox/${scopedMail.id}/body`, headers: as(admin) });
      assert.match(scopedBody.body, /Only the users of: batch nothing-here\./);
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

      // The session answer the SPA starts with keeps every field under its response schema.
      assert.deepEqual(Object.keys((await app.inject('/api/auth/session')).json()).sort(), [
        'csrfToken',
        'demo',
        'mailbox',
        'methods',
        'setupRequired',
        'signedIn',
        'user',
      ]);

      const doc = (await app.inject('/api/openapi.json')).json();
      assert.equal(doc.openapi, '3.1.0');
      assert.ok(doc.paths['/api/auth/session'].get.responses['200'].content['application/json'].schema.properties.csrfToken);
      for (const path of [
        '/api/admin/users',
        '/api/admin/users/{id}',
        '/api/admin/users/{id}/resend',
        '/api/admin/reports',
        '/api/admin/reports/send',
        '/api/admin/reports/export.csv',
        '/api/admin/audit',
        '/api/auth/login',
        '/api/upload-users',
      ]) {
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

      const allowed = await app.inject({
        method: 'OPTIONS',
        url: '/api/admin/users',
        headers: { origin: 'https://admin.example.org', 'access-control-request-method': 'GET' },
      });
      assert.equal(allowed.headers['access-control-allow-origin'], 'https://admin.example.org');
      // The signature admin API saves templates and reorders rules with PUT.
      assert.match(String(allowed.headers['access-control-allow-methods']), /\bPUT\b/);
      const foreign = await app.inject({ url: '/api/admin/users', headers: { origin: 'https://evil.example', ...as(viewer) } });
      assert.equal(foreign.headers['access-control-allow-origin'], undefined);
    } finally {
      await app.close();
      await storage.close();
    }
  });
});

describe('what the SPA shares with the server', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const importsOf = (text: string) => [...text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);

  test('the SPA reaches into src/ only for the shared modules, which import TypeBox at most (no Node, no server code)', () => {
    const tsconfig = JSON.parse(readFileSync(`${root}portal/tsconfig.json`, 'utf8')) as { include: string[] };
    const shared = tsconfig.include.filter((f) => f.startsWith('../src/')).map((f) => f.slice('../'.length));
    assert.ok(shared.includes('src/onboarding/admin.schemas.ts') && shared.includes('src/portal/portal.schemas.ts'), JSON.stringify(shared));
    for (const file of shared) {
      for (const spec of importsOf(readFileSync(`${root}${file}`, 'utf8'))) {
        // TypeBox, or another shared module (signature rules take their criteria from the directory's).
        const sibling = spec.startsWith('.') ? relative(root, resolve(dirname(`${root}${file}`), spec.replace(/\.js$/, '.ts'))) : undefined;
        assert.ok(spec === '@sinclair/typebox' || (sibling !== undefined && shared.includes(sibling)), `${file} imports ${spec}`);
      }
    }
    const spaFiles = readdirSync(`${root}portal/src`, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f));
    assert.ok(spaFiles.length > 5);
    for (const file of spaFiles) {
      for (const spec of importsOf(readFileSync(`${root}portal/src/${file}`, 'utf8'))) {
        const inServer = /^(?:\.\.\/)+src\/(.+)$/.exec(spec);
        if (inServer) assert.ok(shared.includes(`src/${inServer[1]}`), `portal/src/${file} imports ${spec}, which is not a shared module`);
      }
    }
  });
});
