import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPublicApp } from '../app.js';
import { AuthService } from '../auth/auth.service.js';
import { loadConfig } from '../onramp-config.js';
import type { OnrampContext } from '../context.js';
import type { GraphPort } from '../graph/graph-port.js';
import { createLogger } from '../lib/logger.js';
import { ManualClock } from '../lib/clock.js';
import { BACKENDS } from '../../test/support/storage.js';
import { startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import { linkTokenOf, USER_STATUS } from './onboarding.domain.js';
import * as q from './onboarding.queries.js';

const HTML = { accept: 'text/html', 'user-agent': 'Mozilla/5.0' };

describe('enrol link against the tenant simulator', () => {
  let tenant: TestTenant;
  before(async () => {
    tenant = await startTestTenant({ users: 20 });
  });
  after(async () => tenant.stop());

  for (const backend of BACKENDS) {
    test(
      `an Entra group's members, nested groups' too, are added with their profile; run again, only those who joined since [${backend.name}]`,
      { skip: backend.skip },
      async () => {
        const storage = await backend.open();
        const clock = new ManualClock('2026-03-02T08:00:00.000Z');
        const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json' } });
        const ctx: OnrampContext & { graph: GraphPort } = {
          config,
          storage,
          log: createLogger('silent'),
          clock,
          demo: false,
          instanceId: 'test',
          graph: tenant.graph,
        };
        const app = await buildPublicApp(ctx);
        const sim = tenant.sim.control.tenant;
        const [outer, inner] = [`outer-${backend.name}`, `inner-${backend.name}`];
        try {
          const people = [...sim.users.values()].filter((u) => u.userType === 'Member').slice(0, 4);
          sim.groups.set(outer, { id: outer, displayName: 'Finance', members: new Set([people[0]!.id, inner]) });
          // people[1] is in both: one user in the campaign.
          sim.groups.set(inner, { id: inner, displayName: 'Finance EMEA', members: new Set([people[1]!.id, people[2]!.id]) });
          sim.groups.get(outer)!.members.add(people[1]!.id);
          const token = (await new AuthService(storage.db, config.auth, clock).createApiToken('ci', 'admin', 'test')).token;
          const fromGroup = (body: Record<string, unknown>) =>
            app.inject({
              method: 'POST',
              url: '/api/admin/users/from-group',
              headers: { authorization: `Bearer ${token}` },
              payload: { groupId: outer, ...body },
            });
          const upns = (list: string[]) => list.map((u) => u.toLowerCase()).sort();
          const firstThree = upns(people.slice(0, 3).map((p) => p.userPrincipalName));

          const preview = await fromGroup({ dryRun: true });
          assert.equal(preview.statusCode, 200, preview.body);
          assert.deepEqual([upns(preview.json().added), preview.json().dryRun], [firstThree, true]);
          assert.equal(await q.countUsers(storage.db, { campaignId: (await q.defaultCampaign(storage.db)).id }), 0, 'a preview stores nothing');

          const first = (await fromGroup({})).json();
          assert.deepEqual([upns(first.added), first.batchId], [firstThree, `group-${outer}`]);
          const stored = await q.findByUpnKey(storage.db, (await q.defaultCampaign(storage.db)).id, people[2]!.userPrincipalName.toLowerCase());
          assert.deepEqual([stored?.display_name, stored?.department], [people[2]!.displayName, people[2]!.department]);

          sim.groups.get(inner)!.members.add(people[3]!.id);
          const again = (await fromGroup({})).json();
          assert.deepEqual(upns(again.added), [people[3]!.userPrincipalName.toLowerCase()]);
          assert.deepEqual(upns(again.unchanged), firstThree);

          const missing = await app.inject({
            method: 'POST',
            url: '/api/admin/users/from-group',
            headers: { authorization: `Bearer ${token}` },
            payload: { groupId: 'no-such-group' },
          });
          assert.deepEqual([missing.statusCode, missing.json().code], [404, 'ONRAMP_ERR_GROUP_NOT_FOUND']);
        } finally {
          sim.groups.delete(outer);
          sim.groups.delete(inner);
          await app.close();
          await storage.close();
        }
      },
    );

    test(`a click adds the user to the MFA group once, visible in the tenant [${backend.name}]`, { skip: backend.skip }, async () => {
      const storage = await backend.open();
      const clock = new ManualClock('2026-03-02T08:00:00.000Z');
      const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json', ONRAMP_ONBOARDING_MFA_GROUP_ID: tenant.sim.mfaGroupId } });
      const ctx: OnrampContext & { graph: GraphPort } = {
        config,
        storage,
        log: createLogger('silent'),
        clock,
        demo: false,
        instanceId: 'test',
        graph: tenant.graph,
      };
      const app = await buildPublicApp(ctx);
      try {
        const group = tenant.sim.control.tenant.groups.get(tenant.sim.mfaGroupId)!;
        const user = [...tenant.sim.control.tenant.users.values()].find((u) => u.accountEnabled && u.userType === 'Member' && !group.members.has(u.id));
        assert.ok(user, 'the simulated tenant has a member outside the MFA group');
        group.members.delete(user.id);
        const token = (await new AuthService(storage.db, config.auth, clock).createApiToken('ci', 'admin', 'test')).token;
        const up = await app.inject({
          method: 'POST',
          url: '/api/upload-users',
          headers: { authorization: `Bearer ${token}` },
          payload: { csv: `UPN\n${user.userPrincipalName.toUpperCase()}\n` },
        });
        assert.equal(up.statusCode, 200, up.body);
        const campaign = await q.defaultCampaign(storage.db);
        const row = await q.findByUpnKey(storage.db, campaign.id, user.userPrincipalName.toLowerCase());
        assert.ok(row);

        const page = await app.inject({ url: `/api/enrol?token=${linkTokenOf(row)}`, headers: HTML });
        const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
        assert.ok(csrf);
        assert.equal(group.members.has(user.id), false, 'the GET added nobody');
        const done = await app.inject({ method: 'POST', url: '/api/enrol', headers: HTML, payload: { token: linkTokenOf(row), csrf } });
        assert.equal(done.statusCode, 200, done.body);
        assert.match(done.body, /You are enrolled/);
        assert.equal((await tenant.graph.listGroupMemberIds(tenant.sim.mfaGroupId)).has(user.id), true, 'member of the MFA group, as Graph lists it');

        const after = await q.findById(storage.db, row.id);
        assert.deepEqual(
          [after?.invite_status, after?.in_group, after?.object_id, after?.clicked_link_date, after?.added_to_group_date],
          [USER_STATUS.AddedToGroup, 1, user.id, '2026-03-02T08:00:00.000Z', '2026-03-02T08:00:00.000Z'],
        );
        group.members.delete(user.id);
        const repeat = await app.inject({ method: 'POST', url: '/api/enrol', headers: HTML, payload: { token: linkTokenOf(row), csrf } });
        assert.match(repeat.body, /Already registered/);
        assert.equal(group.members.has(user.id), false, 'no second group add');
        assert.deepEqual(
          (await app.onboarding.getUser(row.id)).events.map((e) => e.type),
          ['uploaded', 'clicked', 'added-to-group'],
        );
      } finally {
        await app.close();
        await storage.close();
      }
    });
  }
});
