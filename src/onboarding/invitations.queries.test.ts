import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../../test/support/storage.js';
import { defaultCampaign, upsertUploadedUsers } from './onboarding.queries.js';
import { dueUsers, updateCheckedUsers } from './invitations.queries.js';
import { USER_STATUS } from './onboarding.domain.js';

for (const backend of BACKENDS) {
  describe(`invitation run selection on ${backend.name}`, { skip: backend.skip }, () => {
    test('due: Pending; invited, Overdue and Error users checked before the interval; and those who clicked since their last check', async () => {
      const storage = await backend.open();
      try {
        const db = storage.db;
        const campaign = await defaultCampaign(db);
        const rows = ['pending', 'stale', 'fresh', 'clicked', 'active', 'overdue', 'error', 'excluded'].map((name, i) => ({
          upn: `${name}@example.com`,
          upn_key: `${name}@example.com`,
          link_secret: String(i).repeat(22),
          correlation_id: `c${i}`,
        }));
        const users = await upsertUploadedUsers(db, storage.dialect, campaign.id, 'b1', rows, '2026-01-01T09:00:00.000Z');
        const id = (name: string) => users.find((u) => u.upn_key === `${name}@example.com`)!.id;
        const set = (name: string, patch: { invite_status: string; last_checked: string; clicked_link_date?: string }) =>
          db.updateTable('tracked_user').set(patch).where('id', '=', id(name)).execute();
        await set('stale', { invite_status: USER_STATUS.Sent, last_checked: '2026-01-01T09:00:00.000Z' });
        await set('fresh', { invite_status: USER_STATUS.Sent, last_checked: '2026-01-05T08:00:00.000Z' });
        await set('clicked', {
          invite_status: USER_STATUS.AddedToGroup,
          last_checked: '2026-01-05T08:00:00.000Z',
          clicked_link_date: '2026-01-05T08:30:00.000Z',
        });
        await set('active', { invite_status: USER_STATUS.Active, last_checked: '2026-01-01T09:00:00.000Z' });
        // Overdue and Error users get no email but are still checked (a late registration makes them Active).
        await set('overdue', { invite_status: USER_STATUS.Overdue, last_checked: '2026-01-01T09:00:00.000Z' });
        await set('error', { invite_status: USER_STATUS.Error, last_checked: '2026-01-01T09:00:00.000Z' });
        await set('excluded', { invite_status: USER_STATUS.Excluded, last_checked: '2026-01-01T09:00:00.000Z' });

        const due = await dueUsers(db, { checkedBeforeIso: '2026-01-04T09:00:00.000Z', afterId: 0, limit: 100 });
        assert.deepEqual(due.map((u) => u.upn_key.split('@')[0]).sort(), ['clicked', 'error', 'overdue', 'pending', 'stale']);
      } finally {
        await storage.close();
      }
    });

    test("a run's writes: one statement for many users, each only at the version the run read; what a patch leaves out keeps its value", async () => {
      const storage = await backend.open();
      try {
        const db = storage.db;
        const campaign = await defaultCampaign(db);
        const rows = ['ann', 'bob', 'cyd'].map((name, i) => ({
          upn: `${name}@example.com`,
          upn_key: `${name}@example.com`,
          link_secret: String(i).repeat(22),
          correlation_id: `c${i}`,
        }));
        await upsertUploadedUsers(db, storage.dialect, campaign.id, 'b1', rows, '2026-01-01T09:00:00.000Z');
        const read = await dueUsers(db, { checkedBeforeIso: '2026-01-04T09:00:00.000Z', afterId: 0, limit: 100 });
        const [ann, bob, cyd] = ['ann', 'bob', 'cyd'].map((name) => read.find((u) => u.upn_key.startsWith(name))!);
        // Someone else changes Bob after the run read him: his row is not the run's to write.
        await db
          .updateTable('tracked_user')
          .set({ notes: 'edited by an admin', version: bob!.version + 1 })
          .where('id', '=', bob!.id)
          .execute();
        const now = '2026-01-05T10:00:00.000Z';
        const written = await updateCheckedUsers(
          db,
          storage.dialect,
          [
            { user: ann!, patch: { last_checked: now, invite_status: USER_STATUS.Sent, reminder_count: 0, display_name: 'Ann A' } },
            { user: bob!, patch: { last_checked: now, invite_status: USER_STATUS.Sent } },
            { user: cyd!, patch: { last_checked: now, in_group: 1 } },
          ],
          now,
        );
        assert.deepEqual([...written].sort(), [ann!.id, cyd!.id].sort());
        const after = await db.selectFrom('tracked_user').selectAll().orderBy('id').execute();
        const byName = (name: string) => after.find((u) => u.upn_key.startsWith(name))!;
        assert.deepEqual(
          ['ann', 'bob', 'cyd'].map((name) => {
            const u = byName(name);
            return [name, u.invite_status, u.last_checked, u.display_name, Number(u.in_group), u.notes, Number(u.version)];
          }),
          [
            ['ann', USER_STATUS.Sent, now, 'Ann A', 0, null, ann!.version + 1],
            ['bob', USER_STATUS.Pending, null, null, 0, 'edited by an admin', bob!.version + 1],
            ['cyd', USER_STATUS.Pending, now, null, 1, null, cyd!.version + 1],
          ],
        );
        assert.equal(byName('ann').updated_at, now);
        assert.deepEqual(await updateCheckedUsers(db, storage.dialect, [], now), new Set());
      } finally {
        await storage.close();
      }
    });
  });
}
