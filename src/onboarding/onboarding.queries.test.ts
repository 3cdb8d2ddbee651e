import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../../test/support/storage.js';
import { appendEvents, defaultCampaign, existingUpnKeys, findByToken, stampFirstOpens, upsertUploadedUsers, userEvents } from './onboarding.queries.js';
import { USER_EVENT, USER_STATUS } from './onboarding.domain.js';

for (const backend of BACKENDS) {
  describe(`onboarding queries on ${backend.name}`, { skip: backend.skip }, () => {
    test('default campaign; upsert keeps one row per UPN key and the first spelling; pixel stamps once', async () => {
      const storage = await backend.open();
      try {
        const db = storage.db;
        const campaign = await defaultCampaign(db);
        assert.equal(campaign.is_default, 1);
        const now = '2026-01-05T09:00:00.000Z';
        const first = await upsertUploadedUsers(db, { name: backend.name, maxParameters: 20 }, campaign.id, 'b1', [
          { upn: 'Ada@Example.com', upn_key: 'ada@example.com', tracking_token: 'A'.repeat(22), correlation_id: 'c1' },
          { upn: 'bob@example.com', upn_key: 'bob@example.com', tracking_token: 'B'.repeat(22), correlation_id: 'c2' },
        ], now);
        assert.equal(first.length, 2);
        const dialect = { name: backend.name, maxParameters: 20 };
        const later = '2026-01-05T10:00:00.000Z';
        assert.deepEqual(await stampFirstOpens(db, dialect, [{ token: 'A'.repeat(22), at: now }, { token: 'Z'.repeat(22), at: now }]), [{ id: first[0]!.id, at: now }]);
        assert.deepEqual(await stampFirstOpens(db, dialect, [{ token: 'A'.repeat(22), at: later }, { token: 'B'.repeat(22), at: later }]), [{ id: first[1]!.id, at: later }]);
        const again = await upsertUploadedUsers(db, { name: backend.name, maxParameters: 20 }, campaign.id, 'b2', [
          { upn: 'ADA@example.com', upn_key: 'ada@example.com', tracking_token: 'C'.repeat(22), correlation_id: 'c3' },
        ], '2026-01-06T09:00:00.000Z');
        assert.equal(again[0]!.id, first[0]!.id);
        assert.deepEqual([...(await existingUpnKeys(db, campaign.id))].sort(), ['ada@example.com', 'bob@example.com']);
        assert.equal(await findByToken(db, 'A'.repeat(22)), undefined);
        const ada = await findByToken(db, 'C'.repeat(22));
        assert.equal(ada?.upn, 'Ada@Example.com');
        assert.equal(ada?.source_batch_id, 'b2');
        assert.equal(ada?.invite_status, USER_STATUS.Pending);
        assert.equal(ada?.email_opened_date, null);
        assert.equal(ada?.version, 3);
        await appendEvents(db, [{ tracked_user_id: ada!.id, at: now, type: USER_EVENT.Uploaded, actor: 'test', detail: { batchId: 'b1' } }], { name: backend.name, maxParameters: 20 });
        assert.deepEqual(JSON.parse((await userEvents(db, ada!.id))[0]!.detail), { batchId: 'b1' });
      } finally {
        await storage.close();
      }
    });
  });
}
