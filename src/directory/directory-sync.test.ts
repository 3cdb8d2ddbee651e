import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { BACKENDS } from '../../test/support/storage.js';
import { startTestTenant } from '../../test/support/simulator.js';
import { DirectorySync } from './directory-sync.js';
import { UserAttributes } from './user-attributes.js';

for (const backend of BACKENDS) {
  describe(`directory cache against the tenant simulator [${backend.name}]`, { skip: backend.skip }, () => {
    test('full round, then deltas (change, disable, delete); answers keep coming while Graph fails', async () => {
      const storage = await backend.open();
      const tenant = await startTestTenant({ users: 8 });
      try {
        const clock = new ManualClock(new Date());
        // Fail fast once the simulator is made to fail: the point is what devices see meanwhile.
        const graph = tenant.clients({ maxRetryMs: 0 }).graph;
        const sync = new DirectorySync(storage.db, graph, clock, createLogger('silent'), 'test');
        const attributes = new UserAttributes(storage.db, clock, {
          memoryTtlMs: 0,
          allowedAttributes: ['jobTitle', 'displayName', 'businessPhones', 'userPrincipalName'],
        });
        await assert.rejects(attributes.cacheAgeSeconds(), { code: 'ONRAMP_ERR_DIRECTORY_NOT_READY' });

        assert.equal(await sync.runOnce(), true);
        const users = [...tenant.sim.control.tenant.users.values()].filter((u) => u.accountEnabled);
        assert.ok(users.length >= 3);
        const [first, second, third] = users as [(typeof users)[0], (typeof users)[0], (typeof users)[0]];
        const seen = await attributes.lookup(first.userPrincipalName.toUpperCase());
        assert.equal(seen.displayName, first.displayName);
        assert.equal(seen.userPrincipalName, first.userPrincipalName);
        assert.equal(await attributes.cacheAgeSeconds(), 0);

        tenant.sim.control.updateUser(first.userPrincipalName, { jobTitle: 'Chief Onramp Officer', businessPhones: ['+1 555 0100', '+1 555 0101'] });
        tenant.sim.control.updateUser(second.userPrincipalName, { accountEnabled: false });
        tenant.sim.control.deleteUser(third.userPrincipalName);
        clock.advance(60_000);
        assert.equal(await sync.runOnce(), true);
        assert.deepEqual(await attributes.lookup(first.userPrincipalName, ['jobTitle', 'businessPhones']), {
          jobTitle: 'Chief Onramp Officer',
          businessPhones1: '+1 555 0100',
          businessPhones2: '+1 555 0101',
        });
        await assert.rejects(attributes.lookup(second.userPrincipalName), { code: 'ONRAMP_ERR_UNKNOWN_USER' });
        await assert.rejects(attributes.lookup(third.userPrincipalName), { code: 'ONRAMP_ERR_UNKNOWN_USER' });

        // A rename after Graph expired the delta token (410 syncStateNotFound): the sync starts a full
        // round on its own and the device lookup follows the new name.
        const formerName = first.userPrincipalName;
        const renamed = `renamed.${first.mailNickname}@${tenant.sim.domain}`;
        tenant.sim.control.updateUser(formerName, { userPrincipalName: renamed });
        tenant.sim.control.expireDeltaTokens();
        clock.advance(60_000);
        assert.equal(await sync.runOnce(), true);
        assert.equal((await attributes.lookup(renamed, ['jobTitle'])).jobTitle, 'Chief Onramp Officer');
        await assert.rejects(attributes.lookup(formerName), { code: 'ONRAMP_ERR_UNKNOWN_USER' });

        // Graph failing (every request 503): the sync reports it, devices still get answers, and the
        // cache age keeps growing so a device (or a dashboard) can see how stale they are.
        tenant.sim.control.setFaults({ failureRate503: 1 });
        clock.advance(600_000);
        await assert.rejects(sync.runOnce());
        assert.equal((await attributes.lookup(renamed, ['jobTitle'])).jobTitle, 'Chief Onramp Officer');
        assert.equal(await attributes.cacheAgeSeconds(), 600);

        // Throttling too, then the simulator gone altogether.
        // A rate below 1/s still lets one request through per Retry-After (Graph's bucket refills), so
        // another client of the same app takes that one first.
        tenant.sim.control.setFaults({ failureRate503: 0, throttlePerSecond: 0.001 });
        await tenant.graph.listGroupMemberIds(tenant.sim.mfaGroupId);
        await assert.rejects(sync.runOnce());
        await tenant.stop();
        await assert.rejects(sync.runOnce());
        assert.equal((await attributes.lookup(renamed, ['jobTitle'])).jobTitle, 'Chief Onramp Officer');
      } finally {
        await tenant.stop().catch(() => {});
        await storage.close();
      }
    });
  });
}
