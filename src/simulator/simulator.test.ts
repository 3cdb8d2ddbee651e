/**
 * The simulator rejects what Graph rejects, over real HTTPS, with raw requests (no onramp client),
 * and serves the sign-in flow the portal uses.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request, fetch as undiciFetch } from 'undici';
import { createLocalJWKSet, createRemoteJWKSet, customFetch, jwtVerify, type JSONWebKeySet } from 'jose';
import { startSimulator, ThrottleBuckets, type RunningSimulator } from './index.js';
import { parseFilter, FilterSyntaxError, evaluate } from './odata.js';

describe('tenant simulator', () => {
  let sim: RunningSimulator;
  let agent: Agent;
  let token: string;

  const call = async (method: string, path: string, body?: unknown, auth: string | null = `Bearer ${token}`) => {
    const res = await request(`${sim.url}${path}`, {
      method: method as 'GET',
      dispatcher: agent,
      headers: { ...(auth ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    // biome-ignore lint/suspicious/noExplicitAny: ad-hoc JSON in assertions
    return { status: res.statusCode, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, any>) : null };
  };

  before(async () => {
    sim = await startSimulator({ users: 60, seed: 7 });
    agent = new Agent({ connect: { ca: sim.caPem } });
    token = await sim.control.issueAccessToken();
  });
  after(async () => {
    await agent.close();
    await sim.stop();
  });

  it('generates the same tenant from the same seed', async () => {
    const again = await startSimulator({ users: 60, seed: 7 });
    try {
      assert.deepEqual([...again.control.tenant.users.keys()], [...sim.control.tenant.users.keys()]);
      assert.equal(again.tenantId, sim.tenantId);
    } finally {
      await again.stop();
    }
    const users = [...sim.control.tenant.users.values()];
    assert.ok(users.some((u) => u.userType === 'Guest') || users.length < 40, 'some guests');
    assert.ok(
      users.some((u) => !u.accountEnabled),
      'some disabled accounts',
    );
    assert.ok(users.some((u) => u.methods.length === 0) && users.some((u) => u.methods.length > 0), 'a mix of MFA states');
    assert.ok(users.filter((u) => u.managerId).length > users.length / 2, 'most users have a manager');
  });

  it('refuses requests without a valid token (401 InvalidAuthenticationToken)', async () => {
    const none = await call('GET', '/v1.0/users', undefined, null);
    assert.equal(none.status, 401);
    assert.equal(none.body!.error.code, 'InvalidAuthenticationToken');
    const expired = await call('GET', '/v1.0/users', undefined, `Bearer ${await sim.control.issueAccessToken({ lifetimeSeconds: -10 })}`);
    assert.equal(expired.status, 401);
    assert.match(expired.body!.error.message, /expired/);
    const forged = await call('GET', '/v1.0/users', undefined, `Bearer ${token.slice(0, -4)}AAAA`);
    assert.equal(forged.status, 401);
  });

  it('answers 404 Request_ResourceNotFound for an unknown user', async () => {
    const res = await call('GET', '/v1.0/users/nobody@contoso.example');
    assert.equal(res.status, 404);
    assert.equal(res.body!.error.code, 'Request_ResourceNotFound');
  });

  it('rejects a 21-request batch and answers items independently', async () => {
    const items = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ id: String(i + 1), method: 'GET', url: i === 0 ? '/users/nobody@x.example' : '/users?$top=1' }));
    const tooMany = await call('POST', '/v1.0/$batch', { requests: items(21) });
    assert.equal(tooMany.status, 400);
    const ok = await call('POST', '/v1.0/$batch', { requests: items(20) });
    assert.equal(ok.status, 200);
    const statuses = ok.body!.responses.map((r: { status: number }) => r.status);
    assert.equal(statuses.filter((s: number) => s === 404).length, 1);
    assert.equal(statuses.filter((s: number) => s === 200).length, 19);
  });

  it("rejects 21 members in one PATCH and an already-member add, with Graph's message", async () => {
    const ids = [...sim.control.tenant.users.values()].filter((u) => !sim.control.tenant.groups.get(sim.mfaGroupId)!.members.has(u.id)).map((u) => u.id);
    const bind = (list: string[]) => ({ 'members@odata.bind': list.map((id) => `https://graph.microsoft.com/v1.0/directoryObjects/${id}`) });
    const tooMany = await call('PATCH', `/v1.0/groups/${sim.mfaGroupId}`, bind(ids.slice(0, 21)));
    assert.equal(tooMany.status, 400);
    assert.equal((await call('PATCH', `/v1.0/groups/${sim.mfaGroupId}`, bind(ids.slice(0, 2)))).status, 204);
    const again = await call('PATCH', `/v1.0/groups/${sim.mfaGroupId}`, bind(ids.slice(1, 3)));
    assert.equal(again.status, 400);
    assert.match(again.body!.error.message, /One or more added object references already exist/);
    assert.ok(!sim.control.tenant.groups.get(sim.mfaGroupId)!.members.has(ids[2]!), 'a rejected PATCH changes nothing');
  });

  it('limits `in` filters to 15 values and pages with nextLink', async () => {
    const upns = [...sim.control.tenant.users.values()].slice(0, 16).map((u) => `'${u.userPrincipalName}'`);
    const sixteen = await call('GET', `/v1.0/users?$filter=${encodeURIComponent(`userPrincipalName in (${upns.join(',')})`)}`);
    assert.equal(sixteen.status, 400);
    const fifteen = await call('GET', `/v1.0/users?$filter=${encodeURIComponent(`userPrincipalName in (${upns.slice(0, 15).join(',')})`)}&$select=id`);
    assert.equal(fifteen.body!.value.length, 15);
    const seen = new Set<string>();
    let next: string | undefined = '/v1.0/users?$top=25&$select=id';
    let pages = 0;
    while (next) {
      const page = await call('GET', next.replace(sim.url, ''));
      for (const u of page.body!.value as Array<{ id: string }>) seen.add(u.id);
      next = page.body!['@odata.nextLink'];
      pages++;
    }
    assert.equal(seen.size, sim.control.tenant.users.size);
    assert.ok(pages >= 3);
    assert.equal((await call('GET', '/v1.0/users?$top=1000')).status, 400);
    assert.equal((await call('GET', '/v1.0/users?$select=noSuchProperty')).status, 400);
  });

  it('throttles per app with 429 and Retry-After, and can be changed at run time over HTTP', async () => {
    const set = await call('PUT', '/_sim/faults', { throttlePerSecond: 2 }, null);
    assert.equal(set.status, 200);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await call('GET', '/v1.0/users?$top=1'));
    const throttled = answers.filter((a) => a.status === 429);
    assert.ok(throttled.length >= 2);
    assert.ok(Number(throttled[0]!.headers['retry-after']) >= 1);
    assert.equal((await call('PUT', '/_sim/faults', { throttlePerSecond: -1 }, null)).status, 400);
    await call('PUT', '/_sim/faults', { throttlePerSecond: 0 }, null);
  });

  it("mints a user's delegated token through /_sim/tokens/user, shaped and signed as Entra's", async () => {
    const user = [...sim.control.tenant.users.values()].find((u) => u.userType === 'Member' && u.accountEnabled)!;
    const res = await call(
      'POST',
      '/_sim/tokens/user',
      { user: user.userPrincipalName, audience: 'api://onramp', scope: 'Signatures.Read', clientId: 'addin' },
      null,
    );
    assert.equal(res.status, 200);
    const jwks = createRemoteJWKSet(new URL(`${sim.url}/${sim.tenantId}/discovery/v2.0/keys`), {
      [customFetch]: ((url: string, init?: object) => undiciFetch(url, { ...init, dispatcher: agent })) as unknown as typeof fetch,
    });
    const { payload } = await jwtVerify(res.body!.access_token, jwks, { issuer: `${sim.url}/${sim.tenantId}/v2.0`, audience: 'api://onramp' });
    assert.deepEqual(
      [payload.scp, payload.oid, payload.preferred_username, payload.azp, payload.tid, payload.ver],
      ['Signatures.Read', user.id, user.userPrincipalName, 'addin', sim.tenantId, '2.0'],
    );
    assert.equal((await call('POST', '/_sim/tokens/user', { user: 'nobody@x.example', audience: 'a', scope: 's' }, null)).status, 404);
    assert.equal((await call('POST', '/_sim/tokens/user', { user: user.userPrincipalName }, null)).status, 400);
  });

  it('flips MFA state and lists sent mail through /_sim', async () => {
    const user = [...sim.control.tenant.users.values()].find((u) => u.methods.length === 0 && u.userType === 'Member')!;
    const res = await call('POST', `/_sim/users/${encodeURIComponent(user.userPrincipalName)}/mfa`, { registered: true }, null);
    assert.equal(res.status, 200);
    const methods = await call('GET', `/v1.0/users/${user.id}/authentication/methods`);
    assert.ok(methods.body!.value.some((m: { '@odata.type': string }) => m['@odata.type'] === '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod'));
    assert.equal((await call('POST', '/_sim/users/nobody@x.example/mfa', { registered: true }, null)).status, 404);
    const sent = await call('POST', `/v1.0/users/${encodeURIComponent(sim.sharedMailbox)}/sendMail`, {
      message: { subject: 'Hello', body: { contentType: 'HTML', content: '<p>hi</p>' }, toRecipients: [{ emailAddress: { address: user.mail } }] },
    });
    assert.equal(sent.status, 202);
    const mail = await call('GET', `/_sim/mail?to=${encodeURIComponent(user.mail!)}`, undefined, null);
    assert.equal(mail.body!.value.length, 1);
    assert.equal(mail.body!.value[0].subject, 'Hello');
  });

  it('serves a security-info page standing in for aka.ms/mfasetup: lists enrolled users without methods (escaped), registers Authenticator on a POST carrying its form key, and tells listeners', async () => {
    const user = [...sim.control.tenant.users.values()].find((u) => u.methods.length === 0 && u.userType === 'Member' && u.accountEnabled && u.mail)!;
    sim.control.updateUser(user.id, { displayName: '<img src=x onerror=alert(1)>' });
    sim.control.tenant.groups.get(sim.mfaGroupId)!.members.add(user.id);
    const page = async (init?: { body: string }) => {
      const res = await request(sim.mfaSetupUrl, {
        method: init ? 'POST' : 'GET',
        dispatcher: agent,
        ...(init ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: init.body } : {}),
      });
      return { status: res.statusCode, html: await res.body.text() };
    };
    const shown = await page();
    assert.equal(shown.status, 200);
    assert.match(shown.html, /standing in for <code>https:\/\/aka\.ms\/mfasetup<\/code>/);
    assert.ok(shown.html.includes(`<option value="${user.userPrincipalName}">&lt;img src=x onerror=alert(1)&gt;`), 'listed, escaped');
    assert.ok(!shown.html.includes('<img'));
    const formKey = shown.html.match(/name="form_key" value="([^"]+)"/)![1]!;
    const changed: string[] = [];
    const unsubscribe = sim.control.onMethodsChanged((u) => changed.push(u.userPrincipalName));
    try {
      const forged = await page({ body: new URLSearchParams({ upn: user.userPrincipalName, form_key: 'guess' }).toString() });
      assert.equal(forged.status, 403);
      assert.deepEqual(user.methods, []);
      const unknown = await page({ body: new URLSearchParams({ upn: 'nobody@x.example', form_key: formKey }).toString() });
      assert.equal(unknown.status, 404);
      const done = await page({ body: new URLSearchParams({ upn: user.userPrincipalName, form_key: formKey }).toString() });
      assert.equal(done.status, 200);
      assert.match(done.html, /Microsoft Authenticator registered/);
      assert.deepEqual(user.methods, ['microsoftAuthenticator']);
      assert.deepEqual(changed, [user.userPrincipalName]);
      assert.ok(!(await page()).html.includes(`value="${user.userPrincipalName}"`), 'no longer waiting');
    } finally {
      unsubscribe();
    }
  });

  it('parses the $filter forms Graph supports and refuses syntax errors as BadRequest "Invalid filter clause"', async () => {
    const f = parseFilter(
      "(startswith(displayName,'An') or userPrincipalName eq 'o''neil@x.example') and not (accountEnabled eq false) and methodsRegistered/any(m: m eq 'fido2')",
    );
    assert.deepEqual(f.advanced, ['not']);
    assert.equal(f.orClauses, 2);
    assert.equal(evaluate(f.root, { displayName: 'Anna', accountEnabled: true, methodsRegistered: ['fido2'] }), true);
    assert.equal(evaluate(f.root, { displayName: 'Bo', userPrincipalName: "O'Neil@x.example", accountEnabled: true, methodsRegistered: ['fido2'] }), true);
    assert.equal(evaluate(f.root, { displayName: 'Anna', accountEnabled: false, methodsRegistered: ['fido2'] }), false);
    for (const bad of [
      "userPrincipalName eq 'x",
      'userPrincipalName eq',
      "eq 'x'",
      "userPrincipalName eq 'x' and",
      "startswith(displayName 'a')",
      "userPrincipalName eq 'a' userType eq 'b'",
    ]) {
      assert.throws(() => parseFilter(bad), FilterSyntaxError, bad);
      const res = await call('GET', `/v1.0/users?$filter=${encodeURIComponent(bad)}`);
      assert.equal(res.status, 400, bad);
      assert.equal(res.body!.error.code, 'BadRequest');
      assert.match(res.body!.error.message, /^Invalid filter clause: Syntax error/);
    }
  });

  it("puts the response's request ids in innerError, in top-level answers and $batch items", async () => {
    const res = await request(`${sim.url}/v1.0/users/nobody@x.example`, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${token}`, 'client-request-id': 'my-client-id-1' },
    });
    const body = (await res.body.json()) as { error: { innerError: Record<string, string> } };
    assert.equal(body.error.innerError['request-id'], res.headers['request-id']);
    assert.equal(body.error.innerError['client-request-id'], 'my-client-id-1');
    assert.equal(res.headers['client-request-id'], 'my-client-id-1');
    const batch = await call('POST', '/v1.0/$batch', { requests: [{ id: 'a', method: 'GET', url: '/users/nobody@x.example' }] });
    assert.equal(batch.body!.responses[0].body.error.innerError['request-id'], batch.headers['request-id']);
    const dup = await call('POST', '/v1.0/$batch', {
      requests: [
        { id: 'a', method: 'GET', url: '/users' },
        { id: 'A', method: 'GET', url: '/users' },
      ],
    });
    assert.equal(dup.status, 400);
  });

  it('lets a throttle below 1 request/s through once Retry-After has passed', () => {
    const buckets = new ThrottleBuckets();
    const t0 = 1_000_000;
    assert.equal(buckets.take('app', 0.5, t0), 0, 'the first request goes');
    assert.equal(buckets.take('app', 0.5, t0), 2, 'the next one is told to wait 2 s');
    assert.equal(buckets.take('app', 0.5, t0 + 1000), 1);
    assert.equal(buckets.take('app', 0.5, t0 + 2000), 0, 'and goes once it has waited');
    assert.equal(buckets.take('slow', 0.001, t0), 0);
    assert.equal(buckets.take('slow', 0.001, t0), 1000);
    assert.equal(buckets.take('other', 0.5, t0), 0, 'buckets are per app');
    assert.equal(buckets.take('app', 0, t0), 0, '0 turns throttling off');
  });

  it('plays manager changes, renames, deletions and restores through /_sim, and expires delta tokens', async () => {
    const users = [...sim.control.tenant.users.values()].filter((u) => u.userType === 'Member' && u.accountEnabled);
    const [a, b] = users as [(typeof users)[0], (typeof users)[0]];
    const path = (u: { userPrincipalName: string }) => `/_sim/users/${encodeURIComponent(u.userPrincipalName)}`;
    let res = await call('PATCH', path(a), { managerId: b.userPrincipalName }, null);
    assert.equal(res.status, 200);
    assert.equal(res.body!.managerId, b.id);
    assert.equal((await call('PATCH', path(a), { managerId: 'nobody@x.example' }, null)).status, 400);
    assert.equal((await call('PATCH', path(a), { managerId: a.id }, null)).status, 400);
    assert.equal((await call('PATCH', path(a), { managerId: null }, null)).body!.managerId, null);
    const renamed = `renamed.${a.mailNickname}@${sim.domain}`;
    res = await call('PATCH', path(a), { userPrincipalName: renamed }, null);
    assert.equal(res.body!.userPrincipalName, renamed);
    assert.equal((await call('GET', `/v1.0/users/${encodeURIComponent(renamed)}?$select=id`)).body!.id, a.id);
    assert.equal((await call('PATCH', path(a), { userPrincipalName: b.userPrincipalName }, null)).status, 400, 'a taken UPN');

    let delta = await call('GET', '/v1.0/users/delta?$select=id');
    while (delta.body!['@odata.nextLink']) delta = await call('GET', delta.body!['@odata.nextLink'].slice(sim.url.length));
    const deltaPath = () => delta.body!['@odata.deltaLink'].slice(sim.url.length);
    assert.equal((await call('DELETE', path(b), undefined, null)).status, 204);
    assert.equal((await call('GET', `/v1.0/users/${b.id}`)).status, 404);
    delta = await call('GET', deltaPath());
    assert.deepEqual(delta.body!.value, [{ id: b.id, '@removed': { reason: 'changed' } }]);
    assert.equal((await call('POST', `/_sim/users/${b.id}/restore`, undefined, null)).status, 200);
    assert.equal((await call('GET', `/v1.0/users/${b.id}?$select=id`)).status, 200);
    delta = await call('GET', deltaPath());
    assert.deepEqual(delta.body!.value, [{ id: b.id }]);

    assert.equal((await call('DELETE', path(b), undefined, null)).status, 204);
    assert.equal((await call('DELETE', `/_sim/users/${b.id}?permanently=true`, undefined, null)).status, 204);
    delta = await call('GET', deltaPath());
    assert.deepEqual(delta.body!.value, [{ id: b.id, '@removed': { reason: 'deleted' } }]);
    assert.equal((await call('POST', `/_sim/users/${b.id}/restore`, undefined, null)).status, 404, 'gone for good');

    assert.equal((await call('POST', '/_sim/delta/expire', undefined, null)).status, 204);
    const gone = await call('GET', deltaPath());
    assert.equal(gone.status, 410);
    assert.equal(gone.body!.error.code, 'syncStateNotFound');
    assert.equal(gone.headers.location, `${sim.url}/v1.0/users/delta?$select=id`);
  });

  it('signs a user in with the authorization code flow (PKCE) and puts app roles in the id_token', async () => {
    const admin = [...sim.control.tenant.users.values()].find((u) => u.appRoles.includes('Onramp.Admin'))!;
    const discovery = await call('GET', `/${sim.tenantId}/v2.0/.well-known/openid-configuration`, undefined, null);
    const config = discovery.body!;
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirect = 'http://localhost:9999/auth/callback';
    const authorize = new URL(config.authorization_endpoint);
    for (const [k, v] of Object.entries({
      client_id: sim.clientId,
      redirect_uri: redirect,
      response_type: 'code',
      scope: 'openid profile',
      state: 's1',
      nonce: 'n1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }))
      authorize.searchParams.set(k, v);
    const picker = await request(authorize, { dispatcher: agent });
    assert.equal(picker.statusCode, 200);
    assert.match(await picker.body.text(), new RegExp(admin.userPrincipalName.replace('.', '\\.')));
    authorize.searchParams.set('login_hint', admin.userPrincipalName);
    const redirected = await request(authorize, { dispatcher: agent });
    await redirected.body.text();
    assert.equal(redirected.statusCode, 302);
    const location = new URL(String(redirected.headers.location));
    assert.equal(location.searchParams.get('state'), 's1');
    const form = (v: string) =>
      new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: sim.clientId,
        client_secret: sim.clientSecret,
        code: location.searchParams.get('code')!,
        redirect_uri: redirect,
        code_verifier: v,
      });
    const tokenRes = await request(config.token_endpoint, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form(verifier).toString(),
    });
    const tokens = (await tokenRes.body.json()) as { id_token: string };
    assert.equal(tokenRes.statusCode, 200);
    const jwks = createLocalJWKSet((await call('GET', new URL(config.jwks_uri).pathname, undefined, null)).body as JSONWebKeySet);
    const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer: config.issuer, audience: sim.clientId });
    assert.deepEqual(payload.roles, ['Onramp.Admin']);
    assert.equal(payload.nonce, 'n1');
    assert.equal(payload.preferred_username, admin.userPrincipalName);
    // A code works once.
    const reuse = await request(config.token_endpoint, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form(verifier).toString(),
    });
    assert.equal(reuse.statusCode, 400);
    await reuse.body.text();
  });
});
