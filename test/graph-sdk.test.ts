/**
 * Microsoft's official clients, unchanged, against the tenant simulator: @azure/identity for tokens, the
 * Kiota-based @microsoft/msgraph-sdk and @microsoft/microsoft-graph-client 3.x. Each call onramp makes
 * (docs/GRAPH.md) and the ones an admin would script, with Graph's documented shapes and errors, so the
 * simulator's likeness to Graph cannot regress unnoticed. Only configuration differs from a real tenant:
 * the authority and base URL, and the simulator's CA for this traffic.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, fetch as undiciFetch, request } from 'undici';
import { AzureIdentityAuthenticationProvider } from '@microsoft/kiota-authentication-azure';
import { createGraphClientFactory } from '@microsoft/msgraph-sdk-core';
import { GraphRequestAdapter, createGraphServiceClient, type GraphServiceClient } from '@microsoft/msgraph-sdk';
import type { ODataError } from '@microsoft/msgraph-sdk/models/oDataErrors/index.js';
import type { PhoneAuthenticationMethod, User } from '@microsoft/msgraph-sdk/models/index.js';
import '@microsoft/msgraph-sdk-users';
import { Client, GraphError, PageIterator } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import type { TokenCredential } from '@azure/identity';
import { buildCredential } from '../src/graph/graph-client.js';
import { createRootCa, issueClientCertificate } from '../src/pki/pki.js';
import { startSimulator, type RunningSimulator } from '../src/simulator/index.js';

const SCOPES = ['https://graph.microsoft.com/.default'];

describe('official Microsoft SDKs against the tenant simulator', () => {
  let sim: RunningSimulator;
  let agent: Agent;
  let kiota: GraphServiceClient;
  let legacy: Client;

  /** The Kiota SDK as its README sets it up, with the simulator's base URL and CA. */
  const kiotaClient = (credential: TokenCredential): GraphServiceClient => {
    const auth = new AzureIdentityAuthenticationProvider(credential, SCOPES, undefined, new Set([new URL(sim.url).host]));
    const trustingFetch = (url: string, init: RequestInit) =>
      undiciFetch(url, { ...(init as object), dispatcher: agent } as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;
    const adapter = new GraphRequestAdapter(auth, undefined, undefined, createGraphClientFactory({ graphServiceTargetVersion: 'v1.0' }, trustingFetch));
    adapter.baseUrl = `${sim.url}/v1.0`;
    return createGraphServiceClient(adapter);
  };
  const secretCredential = () =>
    buildCredential({
      credential: 'clientSecret',
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
      authorityHost: sim.url,
      disableInstanceDiscovery: true,
      caPem: sim.caPem,
    });
  const enabledMembers = () =>
    [...sim.control.tenant.users.values()].filter((u) => u.userType === 'Member' && u.accountEnabled && u.userPrincipalName !== sim.sharedMailbox);
  const kiotaError = async (call: Promise<unknown>): Promise<ODataError> => {
    try {
      await call;
    } catch (err) {
      return err as ODataError;
    }
    assert.fail('expected Graph to refuse the call');
  };
  const legacyError = async (call: Promise<unknown>): Promise<GraphError> => {
    try {
      await call;
    } catch (err) {
      assert.ok(err instanceof GraphError, String(err));
      return err;
    }
    assert.fail('expected Graph to refuse the call');
  };

  before(async () => {
    sim = await startSimulator({ users: 120, seed: 11 });
    agent = new Agent({ connect: { ca: sim.caPem } });
    kiota = kiotaClient(secretCredential());
    legacy = Client.initWithMiddleware({
      authProvider: new TokenCredentialAuthenticationProvider(secretCredential(), { scopes: SCOPES }),
      baseUrl: `${sim.url}/`,
      customHosts: new Set([new URL(sim.url).hostname]),
      fetchOptions: { dispatcher: agent } as RequestInit,
    });
  });
  after(async () => {
    await sim.stop();
    await agent.close();
  });

  it('lists users with $select/$top and pages with @odata.nextLink (both SDKs)', async () => {
    const first = await kiota.users.get({ queryParameters: { select: ['id', 'userPrincipalName', 'accountEnabled'], top: 50 } });
    assert.equal(first?.value?.length, 50);
    assert.ok(first?.odataNextLink?.startsWith(`${sim.url}/v1.0/users?`));
    const second = await kiota.users.withUrl(first!.odataNextLink!).get();
    assert.equal(second?.value?.length, 50);
    const seen: string[] = [];
    const iterator = new PageIterator(legacy, await legacy.api('/users').select('id').top(40).get(), (u: { id: string }) => {
      seen.push(u.id);
      return true;
    });
    await iterator.iterate();
    assert.equal(new Set(seen).size, sim.control.tenant.users.size);
  });

  it("serves users/delta in the function-call forms, and sendMail with the Kiota SDK's PascalCase parameters", async () => {
    const round = await kiota.users.delta.get({ queryParameters: { select: ['id', 'displayName', 'userPrincipalName'] } }); // GET /users/delta()
    assert.equal(round?.value?.length, 100);
    let page = round!;
    let count = page.value!.length;
    while (page.odataNextLink) {
      page = (await kiota.users.delta.withUrl(page.odataNextLink).get())!;
      count += page.value!.length;
    }
    assert.equal(count, sim.control.tenant.users.size);
    assert.ok(page.odataDeltaLink);
    const qualified = await legacy.api('/users/microsoft.graph.delta()').select('id').get();
    assert.ok(qualified.value.length > 0);

    sim.control.clearMail();
    await kiota.users.byUserId(sim.sharedMailbox).sendMail.post({
      message: {
        subject: 'Kiota says hello',
        body: { contentType: 'html', content: '<p>Hello</p>' },
        toRecipients: [{ emailAddress: { address: 'ann@example.net', name: 'Ann' } }],
      },
      saveToSentItems: false,
    });
    await legacy
      .api(`/users/${sim.sharedMailbox}/microsoft.graph.sendMail`)
      .post({ message: { subject: 'legacy', body: { contentType: 'Text', content: 'hi' }, toRecipients: [{ emailAddress: { address: 'bo@example.net' } }] } });
    const mail = sim.control.mail();
    assert.deepEqual(
      mail.map((m) => [m.subject, m.to[0]!.address, m.contentType]),
      [
        ['Kiota says hello', 'ann@example.net', 'html'],
        ['legacy', 'bo@example.net', 'text'],
      ],
    );
  });

  it("answers $count, $filter, $search and $orderby by Graph's advanced query rules", async () => {
    const eventual = { ConsistencyLevel: 'eventual' };
    const all = sim.control.tenant.users.size;
    assert.equal(await kiota.users.count.get({ headers: eventual }), all);
    const noHeader = await kiotaError(kiota.users.count.get());
    assert.equal(noHeader.responseStatusCode, 400);

    const enabled = [...sim.control.tenant.users.values()].filter((u) => u.accountEnabled).length;
    const ne = await kiota.users.get({ queryParameters: { filter: 'accountEnabled ne false', count: true, top: 999, select: ['id'] }, headers: eventual });
    assert.equal(ne?.odataCount, enabled);
    assert.equal(ne?.value?.length, enabled);
    const neWithout = await kiotaError(kiota.users.get({ queryParameters: { filter: 'accountEnabled ne false' } }));
    assert.equal(neWithout.errorEscaped?.code, 'Request_UnsupportedQuery');

    const someone = enabledMembers()[3]!;
    const prefix = someone.displayName.slice(0, 3);
    const or = await kiota.users.get({
      queryParameters: {
        filter: `startswith(displayName,'${prefix}') or userPrincipalName eq '${sim.sharedMailbox}'`,
        select: ['id', 'displayName'],
        top: 999,
      },
    });
    const expected = [...sim.control.tenant.users.values()].filter(
      (u) => u.displayName.toLowerCase().startsWith(prefix.toLowerCase()) || u.userPrincipalName === sim.sharedMailbox,
    );
    assert.deepEqual(new Set(or?.value?.map((u) => u.id)), new Set(expected.map((u) => u.id)));

    const searchWithout = await legacyError(legacy.api('/users').search(`"displayName:${someone.givenName}"`).get());
    assert.equal(searchWithout.code, 'Request_UnsupportedQuery');
    assert.match(searchWithout.message, /ConsistencyLevel/);
    const search = await kiota.users.get({
      queryParameters: { search: `"displayName:${someone.givenName}"`, count: true, select: ['id', 'displayName'] },
      headers: eventual,
    });
    assert.ok(search?.value?.some((u) => u.id === someone.id));
    assert.ok(
      search?.value?.every((u) =>
        u
          .displayName!.toLowerCase()
          .split(' ')
          .some((w) => w.startsWith(someone.givenName!.toLowerCase())),
      ),
    );

    const sorted = await kiota.users.get({ queryParameters: { orderby: ['displayName desc'], select: ['displayName'], top: 999 } });
    const names = sorted!.value!.map((u) => u.displayName!.toLowerCase());
    assert.deepEqual(names, [...names].sort().reverse());
    const sortFiltered = await kiotaError(kiota.users.get({ queryParameters: { orderby: ['displayName'], filter: "userType eq 'Member'" } }));
    assert.equal(sortFiltered.errorEscaped?.message, 'Sorting not supported for current query.');

    const capped = await kiotaError(kiota.users.get({ queryParameters: { expand: ['manager'], top: 500 } }));
    assert.equal(capped.responseStatusCode, 400);
    const expanded = await kiota.users.get({ queryParameters: { expand: ['manager($select=id,displayName)'], top: 100, filter: `id eq '${someone.id}'` } });
    assert.equal(expanded?.value?.[0]?.manager?.id, someone.managerId ?? undefined);
  });

  it('shapes errors as Graph: BadRequest "Invalid filter clause", innerError ids equal to the headers and the client\'s id', async () => {
    const clientRequestId = 'b7c3a5c8-0a76-4d4f-9d26-3c1f2a9f0e11';
    const err = await kiotaError(
      kiota.users.get({ queryParameters: { filter: "userPrincipalName eq 'unterminated" }, headers: { 'client-request-id': clientRequestId } }),
    );
    assert.equal(err.responseStatusCode, 400);
    assert.equal(err.errorEscaped?.code, 'BadRequest');
    assert.match(err.errorEscaped?.message ?? '', /^Invalid filter clause/);
    assert.equal(err.errorEscaped?.innerError?.requestId, err.responseHeaders?.['request-id']?.[0]);
    assert.equal(err.errorEscaped?.innerError?.clientRequestId, clientRequestId);
    assert.equal(err.responseHeaders?.['client-request-id']?.[0], clientRequestId);
    const missing = await legacyError(legacy.api('/users/nobody@nowhere.example').get());
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.code, 'Request_ResourceNotFound');
    assert.equal(missing.requestId, missing.headers?.get('request-id'));
  });

  it('serves authentication methods with their properties per type, absolute @odata.context, and the manager', async () => {
    const withPhone = enabledMembers().find((u) => u.methods.includes('phone') && u.mobilePhone && u.managerId)!;
    const methods = await kiota.users.byUserId(withPhone.id).authentication.methods.get();
    const phone = methods?.value?.find((m) => m.odataType === '#microsoft.graph.phoneAuthenticationMethod') as PhoneAuthenticationMethod | undefined;
    assert.equal(phone?.phoneNumber, withPhone.mobilePhone);
    assert.equal(phone?.phoneType, 'mobile');
    assert.ok(methods?.value?.some((m) => m.odataType === '#microsoft.graph.passwordAuthenticationMethod'));
    const raw = await legacy.api(`/users/${withPhone.id}/authentication/methods`).get();
    assert.ok(String(raw['@odata.context']).startsWith(`${sim.url}/v1.0/$metadata#`));
    const manager = (await legacy.api(`/users/${withPhone.id}/manager`).get()) as User & { '@odata.context': string };
    assert.equal(manager.id, withPhone.managerId);
    assert.ok(manager['@odata.context'].startsWith(`${sim.url}/v1.0/$metadata#`));
  });

  it('serves userRegistrationDetails in its documented forms only (no $select/$top), paged, without disabled users', async () => {
    const rows: Array<{ id: string; methodsRegistered: string[]; isMfaRegistered: boolean }> = [];
    const iterator = new PageIterator(legacy, await legacy.api('/reports/authenticationMethods/userRegistrationDetails').get(), (r: (typeof rows)[number]) => {
      rows.push(r);
      return true;
    });
    await iterator.iterate();
    const enabled = [...sim.control.tenant.users.values()].filter((u) => u.accountEnabled);
    assert.deepEqual(new Set(rows.map((r) => r.id)), new Set(enabled.map((u) => u.id)));
    const filtered = await legacy.api('/reports/authenticationMethods/userRegistrationDetails').filter('isMfaRegistered eq false').get();
    assert.ok(filtered.value.length > 0 && filtered.value.every((r: (typeof rows)[number]) => r.isMfaRegistered === false));
    const selected = await legacyError(legacy.api('/reports/authenticationMethods/userRegistrationDetails').select('id,methodsRegistered').top(999).get());
    assert.equal(selected.statusCode, 400);
    assert.equal(selected.code, 'BadRequest');
    const one = enabled[0]!;
    assert.equal((await legacy.api(`/reports/authenticationMethods/userRegistrationDetails/${one.id}`).get()).id, one.id);
    assert.equal((await legacyError(legacy.api(`/reports/authenticationMethods/userRegistrationDetails/${one.id}`).select('id').get())).statusCode, 400);
  });

  it('runs $batch dependsOn (424 for dependents of a failed step), refuses unknown ids and version-prefixed item URLs', async () => {
    const someone = enabledMembers()[0]!;
    const result = await legacy.api('/$batch').post({
      requests: [
        { id: '1', method: 'GET', url: '/users/nobody@nowhere.example' },
        { id: '2', method: 'GET', url: `/users/${someone.id}`, dependsOn: ['1'] },
        { id: '3', method: 'GET', url: `/users/${someone.id}?$select=id` },
        { id: '4', method: 'GET', url: '/users?$top=1', dependsOn: ['3'] },
        { id: '5', method: 'GET', url: '/v1.0/users?$top=1' },
      ],
    });
    const status = Object.fromEntries(result.responses.map((r: { id: string; status: number }) => [r.id, r.status]));
    assert.deepEqual(status, { 1: 404, 2: 424, 3: 200, 4: 200, 5: 400 });
    const prefixed = result.responses.find((r: { id: string }) => r.id === '5');
    assert.equal(prefixed.body.error.message, "Resource not found for the segment 'v1.0'.");
    const unknown = await legacyError(legacy.api('/$batch').post({ requests: [{ id: '1', method: 'GET', url: '/users?$top=1', dependsOn: ['9'] }] }));
    assert.equal(unknown.statusCode, 400);
  });

  it('plays directory changes through Graph calls, each seen by users/delta: manager set/changed/removed, rename, delete and restore', async () => {
    const [a, b, c] = enabledMembers().filter((u) => u.managerId);
    let link = (await legacy.api('/users/delta').select('id,userPrincipalName').get()) as { '@odata.nextLink'?: string; '@odata.deltaLink'?: string };
    while (link['@odata.nextLink']) link = await legacy.api(link['@odata.nextLink']).get();
    const deltaSince = async () => {
      const page = await legacy.api(link['@odata.deltaLink']!).get();
      link = page;
      return page.value as Array<{ id: string; userPrincipalName?: string; '@removed'?: { reason: string } }>;
    };

    await kiota.users.byUserId(a!.id).manager.ref.put({ odataId: `${sim.url}/v1.0/users/${b!.id}` });
    assert.equal((await legacy.api(`/users/${a!.id}/manager`).get()).id, b!.id);
    assert.deepEqual(
      (await deltaSince()).map((u) => u.id),
      [a!.id],
    );
    await kiota.users.byUserId(a!.id).manager.ref.delete();
    assert.equal((await legacyError(legacy.api(`/users/${a!.id}/manager`).get())).statusCode, 404);
    assert.deepEqual(
      (await deltaSince()).map((u) => u.id),
      [a!.id],
    );

    const newName = `renamed.${b!.mailNickname}@${sim.domain}`;
    await kiota.users.byUserId(b!.id).patch({ userPrincipalName: newName });
    assert.deepEqual(await deltaSince(), [{ id: b!.id, userPrincipalName: newName }]);
    assert.equal((await kiota.users.byUserId(newName).get())?.id, b!.id);

    await kiota.users.byUserId(c!.id).delete();
    assert.deepEqual(await deltaSince(), [{ id: c!.id, '@removed': { reason: 'changed' } }]);
    const restored = await legacy.api(`/directory/deletedItems/${c!.id}/restore`).post({});
    assert.equal(restored.id, c!.id);
    assert.deepEqual(
      (await deltaSince()).map((u) => u.id),
      [c!.id],
    );
    await kiota.users.byUserId(c!.id).delete();
    await legacy.api(`/directory/deletedItems/${c!.id}`).delete();
    assert.deepEqual(
      (await deltaSince()).map((u) => u['@removed']?.reason),
      ['deleted'],
    );
  });

  it('answers an expired delta token with 410 syncStateNotFound and a Location to start over', async () => {
    let page = await legacy.api('/users/delta').select('id').get();
    while (page['@odata.nextLink']) page = await legacy.api(page['@odata.nextLink']).get();
    sim.control.expireDeltaTokens();
    const gone = await legacyError(legacy.api(page['@odata.deltaLink']).get());
    assert.equal(gone.statusCode, 410);
    assert.equal(gone.code, 'syncStateNotFound');
    const fresh = await legacy.api(gone.headers!.get('location')!).get();
    assert.equal(fresh.value.length, 100);
    const garbage = await legacyError(legacy.api('/users/delta?$deltatoken=not-a-token').get());
    assert.equal(garbage.statusCode, 410);
  });

  it('lets requests through after Retry-After with throttlePerSecond below 1', async () => {
    sim.control.setFaults({ throttlePerSecond: 0.5 });
    sim.control.resetStats();
    try {
      // The SDK's retry handler waits Retry-After (2 s here) and tries again.
      for (let i = 0; i < 2; i++) assert.equal((await legacy.api('/users').select('id').top(1).get()).value.length, 1);
      assert.ok(sim.control.stats().throttled >= 1);
    } finally {
      sim.control.setFaults({ throttlePerSecond: 0 });
    }
  });

  it('accepts a certificate credential registered through the control route', async () => {
    const ca = await createRootCa('sdk test app CA');
    const cert = await issueClientCertificate(ca, { commonName: 'sdk-app', extendedKeyUsages: [] });
    const res = await request(`${sim.url}/_sim/app/certificates`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ certificate: cert.certPem }),
    });
    assert.equal(res.statusCode, 201);
    assert.equal(((await res.body.json()) as { clientId: string }).clientId, sim.clientId);
    const withCertificate = kiotaClient(
      buildCredential({
        credential: 'certificate',
        tenantId: sim.tenantId,
        clientId: sim.clientId,
        certificatePem: cert.certPem + cert.keyPem,
        authorityHost: sim.url,
        disableInstanceDiscovery: true,
        caPem: sim.caPem,
      }),
    );
    assert.equal((await withCertificate.users.get({ queryParameters: { top: 1 } }))?.value?.length, 1);
    const bad = await request(`${sim.url}/_sim/app/certificates`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ certificate: 'not a certificate' }),
    });
    assert.equal(bad.statusCode, 400);
    await bad.body.dump();
  });
});
