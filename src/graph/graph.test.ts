/**
 * onramp's production Graph/Exchange client against the tenant simulator over real HTTPS,
 * with @azure/identity fetching real tokens from the simulator's token endpoint.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRootCa, issueClientCertificate } from '../pki/pki.js';
import { startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import { notConfiguredGraph } from './not-configured.js';
import { UpstreamError } from './graph-port.js';
import type { GraphClients } from './graph-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Graph client against the simulator', () => {
  let t: TestTenant;
  before(async () => {
    t = await startTestTenant({ users: 250, seed: 3, roamingSignatures: false });
  });
  after(async () => {
    await t.stop();
  });

  const members = () =>
    [...t.sim.control.tenant.users.values()].filter((u) => u.userType === 'Member' && u.id !== t.sim.control.tenant.findByUpn(t.sim.sharedMailbox)?.id);
  /** The registration report leaves disabled accounts out ("doesn't work for disabled users"); onramp checks enabled ones only. */
  const enabledMembers = () => members().filter((u) => u.accountEnabled);

  it('looks users up by UPN in bulk, case-insensitively, with managers; unknown UPNs map to null', async () => {
    const sample = members().slice(0, 40);
    const asked = [...sample.map((u) => u.userPrincipalName.toUpperCase()), 'nobody@contoso.example'];
    const found = await t.graph.getUsersByUpn(asked, { withManager: true });
    assert.equal(found.size, 41);
    assert.equal(found.get('nobody@contoso.example'), null);
    for (const u of sample) {
      const got = found.get(u.userPrincipalName.toLowerCase());
      assert.equal(got?.id, u.id);
      const manager = u.managerId ? t.sim.control.tenant.users.get(u.managerId) : undefined;
      assert.equal(got?.managerUpn ?? null, manager?.userPrincipalName ?? null);
    }
  });

  it('adds members 20 per PATCH; already-members count as ok and unknown users fail on their own', async () => {
    const group = t.sim.control.tenant.groups.get(t.sim.mfaGroupId)!;
    const outside = members()
      .filter((u) => !group.members.has(u.id))
      .slice(0, 45);
    const already = [...group.members][0]!;
    const unknown = '00000000-0000-4000-a000-000000000000';
    const result = await t.graph.addGroupMembers(t.sim.mfaGroupId, [...outside.map((u) => u.id), already, unknown]);
    assert.equal(result.size, 47);
    for (const u of outside) assert.deepEqual(result.get(u.id), { ok: true }, u.id);
    assert.deepEqual(result.get(already), { ok: true });
    const failed = result.get(unknown);
    assert.ok(failed && !failed.ok && failed.status === 404 && failed.code === 'Request_ResourceNotFound');
    for (const u of outside) assert.ok(group.members.has(u.id));
  });

  it('reads transitive members the same way for ids and for users: nested groups count, an unknown group is absent', async () => {
    const [inner, outer, shared] = members().slice(0, 3) as [ReturnType<typeof members>[0], ReturnType<typeof members>[0], ReturnType<typeof members>[0]];
    const nested = t.sim.control.tenant.addGroup('Transitive inner', [inner.id, shared.id]);
    const parent = t.sim.control.tenant.addGroup('Transitive outer', [outer.id, shared.id, nested.id]);
    const unknown = '00000000-0000-4000-a000-00000000beef';
    const ids = await t.graph.listTransitiveUserIds([parent.id, nested.id, parent.id, unknown]);
    assert.deepEqual([...ids.keys()], [parent.id, nested.id], 'each group once; Graph has no such group: left out');
    assert.deepEqual([...ids.get(parent.id)!].sort(), [inner.id, outer.id, shared.id].sort(), 'members of the nested group too, once each');
    assert.deepEqual([...ids.get(nested.id)!].sort(), [inner.id, shared.id].sort());
    const users = await t.graph.listTransitiveUsers(parent.id);
    assert.deepEqual(users?.map((u) => u.id).sort(), [...ids.get(parent.id)!].sort());
    const read = users!.find((u) => u.id === inner.id)!;
    assert.deepEqual(read, {
      id: inner.id,
      userPrincipalName: inner.userPrincipalName,
      displayName: inner.displayName,
      department: inner.department ?? null,
      jobTitle: inner.jobTitle ?? null,
    });
    assert.equal(await t.graph.listTransitiveUsers(unknown), undefined);
  });

  it('reads MFA registration from the report (by id and tenant-wide) and from per-user methods', async () => {
    const users = enabledMembers();
    const unknown = '00000000-0000-4000-a000-000000000001';
    const few = await t.graph.getMfaRegistrations([...users.slice(0, 10).map((u) => u.id), unknown]);
    assert.equal(few.has(unknown), false);
    for (const u of users.slice(0, 10)) assert.deepEqual(new Set(few.get(u.id)!.methods), new Set(u.methods));
    const many = await t.graph.getMfaRegistrations(users.map((u) => u.id));
    assert.equal(many.size, users.length);
    const methods = t.clients({ mfaSource: 'methods' }).graph;
    const viaMethods = await methods.getMfaRegistrations(
      users
        .slice(0, 30)
        .map((u) => u.id)
        .concat(unknown),
    );
    assert.equal(viaMethods.has(unknown), false);
    for (const u of users.slice(0, 30)) {
      const got = viaMethods.get(u.id)!.methods.filter((m) => m !== 'password');
      assert.deepEqual(new Set(got), new Set(u.methods.map((m) => (m === 'passkey' ? 'fido2' : m))));
    }
    // Flipping a user's state is seen at once.
    const pending = users.find((u) => u.methods.length === 0)!;
    t.sim.control.setMfa(pending.userPrincipalName, true);
    assert.deepEqual((await t.graph.getMfaRegistrations([pending.id])).get(pending.id)!.methods, ['microsoftAuthenticator']);
  });

  it('keeps every request succeeding under throttling, honouring Retry-After', async () => {
    const client = t.clients({ maxAttempts: 30 });
    t.sim.control.setFaults({ throttlePerSecond: 10 });
    try {
      const upns = members()
        .slice(0, 60)
        .map((u) => u.userPrincipalName);
      const results = await Promise.all([
        client.graph.getUsersByUpn(upns),
        client.graph.getMfaRegistrations(
          enabledMembers()
            .slice(0, 30)
            .map((u) => u.id),
        ),
        client.graph.listGroupMemberIds(t.sim.mfaGroupId),
      ]);
      assert.equal([...results[0].values()].filter(Boolean).length, 60);
      assert.equal(results[1].size, 30);
      const c = client.graph.counters();
      assert.ok(c.throttled > 0, 'the simulator throttled some requests or items');
      assert.ok(c.retries > 0);
    } finally {
      t.sim.control.setFaults({ throttlePerSecond: 0 });
    }
  });

  it('gives up within the retry budget instead of retrying forever', async () => {
    const client = t.clients({ maxRetryMs: 1500, maxAttempts: 3 });
    t.sim.control.setFaults({ failureRate503: 1 });
    try {
      await assert.rejects(client.graph.listGroupMemberIds(t.sim.mfaGroupId), (err: unknown) => err instanceof UpstreamError && err.status === 503);
      const c = client.graph.counters();
      assert.ok(c.requests <= 3, `at most maxAttempts requests, got ${c.requests}`);
    } finally {
      t.sim.control.setFaults({ failureRate503: 0 });
    }
  });

  it('sendMail is not sent again after a timeout (it may have gone); a 503 that says it was not is retried', async () => {
    const client = t.clients({ requestTimeoutMs: 1000, maxAttempts: 5 });
    const to = members()[4]!;
    const message = { to: [{ address: to.mail! }], subject: 'Once', html: '<p>once</p>', text: 'once' };
    t.sim.control.clearMail();
    t.sim.control.setFaults({ latencyMs: 1500 });
    try {
      await assert.rejects(client.graph.sendMail(t.sim.sharedMailbox, message), (err: unknown) => err instanceof UpstreamError && err.status === 503);
      assert.equal(client.graph.counters().requests, 1, 'one attempt: the caller decides whether to risk a second');
    } finally {
      t.sim.control.setFaults({ latencyMs: 0 });
    }
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(t.sim.control.mail().filter((m) => m.subject === 'Once').length, 1, 'the simulated Exchange did send it');

    t.sim.control.setFaults({ failureRate503: 1 });
    const retried = t.clients({ maxAttempts: 3, maxRetryMs: 10_000 });
    try {
      await assert.rejects(retried.graph.sendMail(t.sim.sharedMailbox, message), (err: unknown) => err instanceof UpstreamError && err.status === 503);
      assert.equal(retried.graph.counters().requests, 3, 'refusals are retried');
    } finally {
      t.sim.control.setFaults({ failureRate503: 0 });
    }
  });

  it('retries injected 503s on whole responses and batch items until they succeed', async () => {
    const client = t.clients({ maxAttempts: 20 });
    t.sim.control.setFaults({ failureRate503: 0.3 });
    try {
      const upns = members()
        .slice(0, 100)
        .map((u) => u.userPrincipalName);
      const found = await client.graph.getUsersByUpn(upns);
      assert.equal([...found.values()].filter(Boolean).length, 100);
    } finally {
      t.sim.control.setFaults({ failureRate503: 0 });
    }
  });

  it('syncs users with delta: a full round, then only what changed', async () => {
    let page = await t.graph.userDelta();
    let count = page.upserted.length;
    while (page.nextLink) {
      page = await t.graph.userDelta(page.nextLink);
      count += page.upserted.length;
    }
    assert.equal(count, t.sim.control.tenant.users.size);
    assert.ok(page.deltaLink);
    const nothing = await t.graph.userDelta(page.deltaLink);
    assert.equal(nothing.upserted.length + nothing.removed.length, 0);
    const [a, b] = members();
    t.sim.control.updateUser(a!.userPrincipalName, { department: 'Research', jobTitle: 'Scientist' });
    t.sim.control.deleteUser(b!.id);
    const changes = await t.graph.userDelta(nothing.deltaLink);
    assert.deepEqual(
      changes.upserted.map((u) => [u.id, u.department, u.jobTitle]),
      [[a!.id, 'Research', 'Scientist']],
    );
    assert.deepEqual(changes.removed, [b!.id]);
    assert.ok(changes.deltaLink);
    await assert.rejects(t.graph.userDelta('https://evil.example/v1.0/users/delta'), /outside/);
  });

  it('sends mail as the shared mailbox and sets web signatures through InvokeCommand', async () => {
    const to = members()[3]!;
    t.sim.control.clearMail();
    await t.graph.sendMail(t.sim.sharedMailbox, {
      to: [{ address: to.mail!, name: to.displayName }],
      subject: 'Action Required: Set Up Multi-Factor Authentication (MFA)',
      html: '<p>Hello</p>',
      text: 'Hello',
      messageId: 'outbox-42',
      attachments: [{ filename: 'logo.png', contentType: 'image/png', content: Buffer.from([1, 2, 3]) }],
    });
    const [mail] = t.sim.control.mail();
    assert.equal(mail?.from, t.sim.sharedMailbox);
    assert.equal(mail?.internetMessageId, '<outbox-42@onramp>');
    assert.deepEqual(mail?.attachments, [{ name: 'logo.png', contentType: 'image/png', size: 3 }]);
    await assert.rejects(
      t.graph.sendMail('nobody@contoso.example', { to: [{ address: to.mail! }], subject: 's', html: 'h', text: 't' }),
      (err: unknown) => err instanceof UpstreamError && err.status === 404,
    );

    await t.exchange.setWebSignature(to.userPrincipalName, { html: '<p>Sig</p>', text: 'Sig', autoAddSignature: true, autoAddSignatureOnReply: true });
    const sig = t.sim.control.signature(to.userPrincipalName);
    assert.equal(sig?.html, '<p>Sig</p>');
    assert.equal(sig?.autoAddSignatureOnReply, true);
    await assert.rejects(
      t.exchange.setWebSignature('nobody@contoso.example', { html: '', text: '', autoAddSignature: false, autoAddSignatureOnReply: false }),
      (err: unknown) => err instanceof UpstreamError && err.status === 404,
    );
  });

  it('authenticates with a certificate credential (client assertion)', async () => {
    const ca = await createRootCa('app credential CA');
    const cert = await issueClientCertificate(ca, { commonName: 'onramp-app', extendedKeyUsages: [] });
    const unregistered = t.clients({ credential: 'certificate', clientSecret: undefined }, { certificatePem: cert.certPem + cert.keyPem });
    await assert.rejects(unregistered.graph.listGroupMemberIds(t.sim.mfaGroupId), /invalid_client|certificate/i);
    t.sim.control.addClientCertificate(cert.certPem);
    const client = t.clients({ credential: 'certificate', clientSecret: undefined }, { certificatePem: cert.certPem + cert.keyPem });
    const ids = await client.graph.listGroupMemberIds(t.sim.mfaGroupId);
    assert.ok(ids.size > 0);
  });

  it('gets a new token when the cached one nears expiry', async () => {
    // MSAL treats a token within 5 minutes of expiry as expired, so a 301 s lifetime is "expiring" after ~1 s.
    const short = await startTestTenant({ users: 10, tokenLifetimeSeconds: 301 });
    try {
      await short.graph.listGroupMemberIds(short.sim.mfaGroupId);
      const first = short.sim.control.stats().tokensIssued;
      await sleep(2500);
      await short.graph.listGroupMemberIds(short.sim.mfaGroupId);
      assert.ok(short.sim.control.stats().tokensIssued > first);
      assert.equal(short.sim.control.stats().unauthorized, 0);
    } finally {
      await short.stop();
    }
  });

  it('fails clearly when Graph is not configured', async () => {
    await assert.rejects(notConfiguredGraph.getUsersByUpn(['a@b.c']), /Microsoft Graph is not configured/);
  });
});

describe('a 1,000-user tenant', () => {
  let t: TestTenant;
  before(async () => {
    t = await startTestTenant({ users: 1000, seed: 11 });
  });
  after(async () => {
    await t.stop();
  });

  it('reads group members across several pages of 999', async () => {
    const group = t.sim.control.tenant.groups.get(t.sim.mfaGroupId)!;
    const saved = new Set(group.members);
    try {
      for (const id of t.sim.control.tenant.users.keys()) group.members.add(id);
      assert.ok(group.members.size > 999);
      const before = t.graph.counters().requests;
      const ids = await t.graph.listGroupMemberIds(t.sim.mfaGroupId);
      assert.deepEqual(ids, new Set(group.members));
      assert.equal(t.graph.counters().requests - before, 2);
    } finally {
      group.members.clear();
      for (const id of saved) group.members.add(id);
    }
  });

  it('reads transitive members across several pages of 999, for ids and for users alike', async () => {
    const everyone = [...t.sim.control.tenant.users.keys()];
    const half = t.sim.control.tenant.addGroup('Paged inner', everyone.slice(0, 600));
    const all = t.sim.control.tenant.addGroup('Paged outer', [half.id, ...everyone.slice(600)]);
    assert.ok(everyone.length > 999);
    let before = t.graph.counters().requests;
    const ids = await t.graph.listTransitiveUserIds([all.id]);
    assert.deepEqual(ids.get(all.id), new Set(everyone));
    assert.equal(t.graph.counters().requests - before, 2);
    before = t.graph.counters().requests;
    const users = await t.graph.listTransitiveUsers(all.id);
    assert.deepEqual(new Set(users?.map((u) => u.id)), new Set(everyone));
    assert.equal(users?.length, everyone.length);
    assert.equal(t.graph.counters().requests - before, 2);
  });

  it('reads the whole registration report once for the asks of the next minute, and keeps no failed read', async () => {
    const ids = [...t.sim.control.tenant.users.values()].filter((u) => u.accountEnabled).map((u) => u.id);
    assert.ok(ids.length > 400, 'enough users for the report path');
    const graphRequests = (client: GraphClients) => client.graph.counters().requests;
    const fresh = t.clients({ maxRetryMs: 1000, maxAttempts: 2 });

    t.sim.control.setFaults({ failingNames: ['userRegistrationDetails'] });
    try {
      await assert.rejects(fresh.graph.getMfaRegistrations(ids.slice(0, 300)), UpstreamError);
    } finally {
      t.sim.control.setFaults({ failingNames: [] });
    }
    // The failed read is not served again: the next ask pages through the report.
    let before = graphRequests(fresh);
    const first = await fresh.graph.getMfaRegistrations(ids.slice(0, 300));
    const pagesOfOneRead = graphRequests(fresh) - before;
    assert.equal(first.size, 300);
    assert.ok(pagesOfOneRead >= 2, `the report spans several pages (${pagesOfOneRead})`);

    // Chunks asked later, and asked at the same time, share that read: no request at all.
    before = graphRequests(fresh);
    const [second, third] = await Promise.all([fresh.graph.getMfaRegistrations(ids.slice(300)), fresh.graph.getMfaRegistrations(ids.slice(0, 250))]);
    assert.equal(graphRequests(fresh) - before, 0);
    assert.equal(second.size, ids.length - 300);
    assert.equal(third.size, 250);
  });

  it('stays at or below 0.15 Graph HTTP requests per user for a full check', async () => {
    {
      const users = [...t.sim.control.tenant.users.values()].slice(0, 1000);
      t.sim.control.resetStats();
      const clientBefore = t.graph.counters().requests;
      const found = await t.graph.getUsersByUpn(
        users.map((u) => u.userPrincipalName),
        { withManager: true },
      );
      assert.equal([...found.values()].filter((u) => u !== null).length, 1000);
      // As the invitation run does: registration state is read for enabled accounts only.
      const ids = [...found.values()].filter((u) => u?.accountEnabled === true).map((u) => u!.id);
      const mfa = await t.graph.getMfaRegistrations(ids);
      const inGroup = await t.graph.listGroupMemberIds(t.sim.mfaGroupId);
      assert.equal(mfa.size, ids.length);
      assert.ok(inGroup.size > 0);
      const requests = t.sim.control.stats().graphRequests;
      assert.equal(requests, t.graph.counters().requests - clientBefore);
      const perUser = requests / 1000;
      process.stdout.write(`# full check of 1000 users: ${requests} Graph requests = ${perUser.toFixed(3)} per user\n`);
      assert.ok(perUser <= 0.15, `${perUser} requests per user`);
    }
  });
});
