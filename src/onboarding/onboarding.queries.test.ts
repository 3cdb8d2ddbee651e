import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../../test/support/storage.js';
import { appendEvents, defaultCampaign, existingUpnKeys, findById, stampFirstOpens, upsertUploadedUsers, userEvents } from './onboarding.queries.js';
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
        const first = await upsertUploadedUsers(
          db,
          storage.dialect,
          campaign.id,
          'b1',
          [
            { upn: 'Ada@Example.com', upn_key: 'ada@example.com', link_secret: 'A'.repeat(22), correlation_id: 'c1' },
            { upn: 'bob@example.com', upn_key: 'bob@example.com', link_secret: 'B'.repeat(22), correlation_id: 'c2' },
          ],
          now,
        );
        assert.equal(first.length, 2);
        const { dialect } = storage;
        const later = '2026-01-05T10:00:00.000Z';
        const [adaId, bobId] = [first[0]!.id, first[1]!.id];
        // A wrong secret and an unknown id stamp nothing; a second open of Ada's link neither.
        assert.deepEqual(
          await stampFirstOpens(db, dialect, [
            { id: adaId, secret: 'A'.repeat(22), at: now },
            { id: bobId, secret: 'Z'.repeat(22), at: now },
            { id: bobId + 100, secret: 'B'.repeat(22), at: now },
          ]),
          [{ id: adaId, at: now }],
        );
        assert.deepEqual(
          await stampFirstOpens(db, dialect, [
            { id: adaId, secret: 'A'.repeat(22), at: later },
            { id: bobId, secret: 'B'.repeat(22), at: later },
          ]),
          [{ id: bobId, at: later }],
        );
        const again = await upsertUploadedUsers(
          db,
          storage.dialect,
          campaign.id,
          'b2',
          [{ upn: 'ADA@example.com', upn_key: 'ada@example.com', link_secret: 'C'.repeat(22), correlation_id: 'c3' }],
          '2026-01-06T09:00:00.000Z',
        );
        assert.equal(again[0]!.id, first[0]!.id);
        assert.deepEqual([...(await existingUpnKeys(db, storage.dialect, campaign.id, ['ada@example.com', 'bob@example.com', 'cy@example.com']))].sort(), [
          'ada@example.com',
          'bob@example.com',
        ]);
        const ada = await findById(db, adaId);
        assert.equal(ada?.link_secret, 'C'.repeat(22), 're-upload gives a new secret');
        assert.equal(ada?.upn, 'Ada@Example.com');
        assert.equal(ada?.source_batch_id, 'b2');
        assert.equal(ada?.invite_status, USER_STATUS.Pending);
        assert.equal(ada?.email_opened_date, null);
        assert.equal(ada?.version, 3);
        await appendEvents(db, [{ tracked_user_id: ada!.id, at: now, type: USER_EVENT.Uploaded, actor: 'test', detail: { batchId: 'b1' } }], storage.dialect);
        assert.deepEqual(JSON.parse((await userEvents(db, ada!.id))[0]!.detail), { batchId: 'b1' });
      } finally {
        await storage.close();
      }
    });
  });
}
