import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPublicApp } from '../app.js';
import { loadConfig } from '../onramp-config.js';
import type { OnrampContext } from '../context.js';
import { ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { BACKENDS, type TestStorage } from '../../test/support/storage.js';
import { linkTokenOf, USER_EVENT } from './onboarding.domain.js';
import * as q from './onboarding.queries.js';
import { OnboardingService } from './onboarding.service.js';

const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json' } });

async function users(storage: TestStorage): Promise<q.TrackedUserRow[]> {
  const campaign = await q.defaultCampaign(storage.db);
  return q.listUsers(storage.db, { campaignId: campaign.id }, { offset: 0, limit: 5000, sort: 'upn_key', descending: false });
}

async function openEvents(storage: TestStorage, id: number): Promise<q.UserEventRow[]> {
  return (await q.userEvents(storage.db, id)).filter((e) => e.type === USER_EVENT.EmailOpened);
}

for (const backend of BACKENDS) {
  describe(`buffered email-open stamps [${backend.name}]`, { skip: backend.skip }, () => {
    test('idle() writes every buffered open, more than one batch of them; the first open wins, within and across writes; one event each', async () => {
      const storage = await backend.open();
      const clock = new ManualClock('2026-03-02T08:00:00.000Z');
      const service = new OnboardingService({ storage, config, clock, log: createLogger('silent') });
      try {
        const roster = ['UPN', ...Array.from({ length: 1_200 }, (_, i) => `user${String(i).padStart(4, '0')}@example.com`)].join('\n');
        await service.upload(roster, { actor: 'test' });
        const before = await users(storage);
        assert.equal(before.length, 1_200);

        const firstOpen = clock.now().toISOString();
        for (const u of before) service.recordOpen(linkTokenOf(u));
        clock.advance(60_000);
        // Seen again before the write, and made-up or malformed tokens: none of them changes anything.
        service.recordOpen(linkTokenOf(before[0]!));
        service.recordOpen('A'.repeat(43));
        service.recordOpen('not a token');
        service.recordOpen(undefined);
        await service.idle();

        const after = await users(storage);
        assert.deepEqual(new Set(after.map((u) => u.email_opened_date)), new Set([firstOpen]));
        for (const u of [after[0]!, after[599]!, after[1_199]!])
          assert.deepEqual(
            (await openEvents(storage, u.id)).map((e) => e.at),
            [firstOpen],
          );

        // A later open, in a later write: the stamp and the history stay as they were.
        clock.advance(3_600_000);
        service.recordOpen(linkTokenOf(before[0]!));
        await service.idle();
        assert.equal((await q.findById(storage.db, before[0]!.id))?.email_opened_date, firstOpen);
        assert.equal((await openEvents(storage, before[0]!.id)).length, 1);
      } finally {
        await service.idle();
        await storage.close();
      }
    });

    test('closing the app writes the opens it answered but had not written yet', async () => {
      const storage = await backend.open();
      const clock = new ManualClock('2026-03-02T08:00:00.000Z');
      const ctx: OnrampContext = { config, storage, log: createLogger('silent'), clock, demo: false, instanceId: 'test' };
      const app = await buildPublicApp(ctx);
      try {
        await app.onboarding.upload('UPN\nada@example.com\nbob@example.com\n', { actor: 'test' });
        const [ada, bob] = await users(storage);
        const res = await app.inject({ url: `/api/track-open?token=${linkTokenOf(ada!)}` });
        assert.equal(res.statusCode, 200);
        assert.equal(res.rawPayload.length, 43);
        await app.close();
        assert.equal((await q.findById(storage.db, ada!.id))?.email_opened_date, '2026-03-02T08:00:00.000Z');
        assert.equal((await openEvents(storage, ada!.id)).length, 1);
        assert.equal((await q.findById(storage.db, bob!.id))?.email_opened_date, null);
      } finally {
        await app.close();
        await storage.close();
      }
    });
  });
}
