import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { BACKENDS } from '../../test/support/storage.js';
import { startTestTenant } from '../../test/support/simulator.js';
import { DirectoryFacts } from './directory-facts.js';
import { DirectorySync } from './directory-sync.js';
import { GroupMembership } from './group-membership.js';

for (const backend of BACKENDS) {
  describe(`what signature rules read of the directory [${backend.name}]`, { skip: backend.skip }, () => {
    test('managers come with users/delta; nested groups count transitively; both follow changes', async () => {
      const storage = await backend.open();
      const tenant = await startTestTenant({ users: 12 });
      try {
        const clock = new ManualClock(new Date());
        const log = createLogger('silent');
        const sync = new DirectorySync(storage.db, tenant.graph, clock, log, 'test');
        const groups = new GroupMembership(storage.db, tenant.graph, clock, log, 'test');
        const facts = new DirectoryFacts(storage.db);
        const told: string[][] = [];
        groups.onChanged((ids) => told.push(ids));
        const t = tenant.sim.control.tenant;
        const users = [...t.users.values()].filter((u) => u.accountEnabled && u.mail && u.userType === 'Member');
        const withManager = users.find((u) => u.managerId)!;
        const [a, b, c] = users.filter((u) => u.id !== withManager.id) as [(typeof users)[0], (typeof users)[0], (typeof users)[0]];
        assert.ok(c, 'the simulated tenant has enough members');

        await sync.runOnce();
        const seen = await facts.person(withManager.userPrincipalName.toUpperCase());
        assert.equal(seen?.managerId, withManager.managerId);
        assert.equal(seen?.attributes.displayName, withManager.displayName);
        assert.equal((await facts.person(withManager.mail!))?.id, withManager.id, 'found by mail address too');

        // Sales EMEA (a) sits inside Sales, which also has b directly; c is in neither.
        const emea = t.addGroup('Sales EMEA', [a.id]);
        const sales = t.addGroup('Sales', [b.userPrincipalName, emea.id]);
        await groups.track([{ id: sales.id, displayName: 'Sales' }]);
        assert.deepEqual([...(await facts.groupIdsOf(a.id))], [sales.id], 'a is in Sales through Sales EMEA');
        assert.deepEqual([...(await facts.groupIdsOf(b.id))], [sales.id]);
        assert.deepEqual([...(await facts.groupIdsOf(c.id))], []);
        assert.deepEqual(told, [[sales.id]], 'the first read is a change');
        await groups.job.runNow();
        assert.equal(told.length, 1, 'a refresh that finds the same members says nothing');

        // A nested change shows after the next refresh; a manager change after the next delta round.
        t.addGroupMember(emea.id, c.id);
        tenant.sim.control.updateUser(withManager.userPrincipalName, { managerId: c.id });
        await groups.job.runNow();
        await sync.runOnce();
        assert.deepEqual([...(await facts.groupIdsOf(c.id))], [sales.id]);
        assert.deepEqual(told, [[sales.id], [sales.id]], 'a member joined through the nested group');
        assert.equal((await facts.person(withManager.userPrincipalName))?.managerId, c.id);
        tenant.sim.control.updateUser(withManager.userPrincipalName, { managerId: null });
        await sync.runOnce();
        assert.equal((await facts.person(withManager.userPrincipalName))?.managerId, null, 'a manager taken away is cleared');

        // A group nothing names any more is forgotten with its members.
        await groups.track([]);
        assert.deepEqual([...(await facts.groupIdsOf(a.id))], []);
        const mailboxes = await facts.mailboxes(null, 1000);
        assert.ok(mailboxes.includes(a.mail!.toLowerCase()));
        assert.deepEqual(mailboxes, [...mailboxes].sort());
        assert.deepEqual(await facts.mailboxes(mailboxes[0]!, 2), mailboxes.slice(1, 3), 'paged after a mailbox');
      } finally {
        await tenant.stop();
        await storage.close();
      }
    });
  });
}
