import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../../test/support/storage.js';
import { defaultCampaign, upsertUploadedUsers } from './onboarding.queries.js';
import { dueUsers } from './invitations.queries.js';
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
  });
}
