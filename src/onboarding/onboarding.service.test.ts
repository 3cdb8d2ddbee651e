import { describe, test } from 'node:test';
import { sql } from 'kysely';
import assert from 'node:assert/strict';
import { loadConfig } from '../onramp-config.js';
import { createLogger } from '../lib/logger.js';
import { ManualClock } from '../lib/clock.js';
import { BACKENDS, type Backend, type TestStorage } from '../../test/support/storage.js';
import { OnboardingService } from './onboarding.service.js';
import { USER_STATUS } from './onboarding.domain.js';
import * as q from './onboarding.queries.js';
import type { OnrampError } from '../errors.js';

/** A fresh database of the engine and an onboarding service on it at a fixed time; removed afterwards. */
async function withService(backend: Backend, run: (service: OnboardingService, storage: TestStorage) => Promise<void>): Promise<void> {
  const storage = await backend.open();
  try {
    const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json' } });
    await run(new OnboardingService({ storage, config, clock: new ManualClock('2026-03-02T08:00:00.000Z'), log: createLogger('silent') }), storage);
  } finally {
    await storage.close();
  }
}

for (const backend of BACKENDS) {
  describe(`onboarding read API [${backend.name}]`, { skip: backend.skip }, () => {
    test('list with filters, search, sort and paging; a user with their timeline; resend now; remove', async () => {
      await withService(backend, async (service, storage) => {
        await service.upload('UPN\nada@example.com\nbob@example.com\ncarol_x@example.com\n', { batchId: 'wave-1', actor: 'admin:alice' });
        await service.upload('UPN\ndave@example.com\n', { batchId: 'wave-2', actor: 'admin:alice' });
        const campaign = await q.defaultCampaign(storage.db);
        const bob = (await q.findByUpnKey(storage.db, campaign.id, 'bob@example.com'))!;
        await q.updateUser(storage.db, bob.id, bob.version, { invite_status: USER_STATUS.Sent }, '2026-03-02T08:00:00.000Z');
        await storage.db.updateTable('tracked_user').set({ department: 'Finance', display_name: 'Bob Builder' }).where('id', '=', bob.id).execute();

        const all = await service.listUsers({ limit: 2, sort: 'upn_key', descending: true });
        assert.deepEqual([all.total, all.items.map((u) => u.upn)], [4, ['dave@example.com', 'carol_x@example.com']]);
        assert.deepEqual(
          (await service.listUsers({ offset: 2, limit: 2 })).items.map((u) => u.upn),
          ['carol_x@example.com', 'dave@example.com'],
        );
        assert.deepEqual(
          (await service.listUsers({ batchId: 'wave-2' })).items.map((u) => u.upn),
          ['dave@example.com'],
        );
        assert.deepEqual(
          (await service.listUsers({ status: USER_STATUS.Sent })).items.map((u) => u.upn),
          ['bob@example.com'],
        );
        assert.deepEqual(
          (await service.listUsers({ department: 'Finance' })).items.map((u) => u.upn),
          ['bob@example.com'],
        );
        assert.deepEqual(
          (await service.listUsers({ search: 'BUILDER' })).items.map((u) => u.upn),
          ['bob@example.com'],
        );
        // LIKE wildcards in the search are literal: "_x" matches only carol_x.
        assert.deepEqual(
          (await service.listUsers({ search: '_x' })).items.map((u) => u.upn),
          ['carol_x@example.com'],
        );

        const renewed = await service.resendNow(bob.id, 'admin:alice');
        assert.notEqual(renewed.link_secret, bob.link_secret);
        const detail = await service.getUser(bob.id);
        assert.equal(detail.user.invite_status, USER_STATUS.Pending);
        assert.deepEqual(
          detail.events.map((e) => [e.type, e.actor]),
          [
            ['uploaded', 'admin:alice'],
            ['resend-requested', 'admin:alice'],
          ],
        );
        assert.deepEqual(detail.events[1]!.detail, { previousStatus: 'Sent' });

        await service.removeUser(bob.id, 'admin:alice');
        assert.equal((await service.listUsers()).total, 3);
        await assert.rejects(service.getUser(bob.id), { code: 'ONRAMP_ERR_TRACKED_USER_NOT_FOUND' });
        await assert.rejects(service.removeUser(bob.id, 'admin:alice'), { code: 'ONRAMP_ERR_TRACKED_USER_NOT_FOUND' });
      });
    });

    test('two uploads of the same new users at once: one adds them, the other resets them; one record each', async () => {
      await withService(backend, async (service) => {
        const csv = 'UPN\nada@example.com\nbob@example.com\n';
        // Connections open beforehand (PostgreSQL), so both transactions really run at the same time.
        await Promise.all([service.listUsers(), service.listUsers()]);
        const results = await Promise.all([
          service.upload(csv, { batchId: 'a', actor: 'admin:alice', resetExisting: true }),
          service.upload(csv, { batchId: 'b', actor: 'admin:bob', resetExisting: true }),
        ]);
        assert.deepEqual(results.map((r) => [r.added.length, r.reset.length]).sort(), [
          [0, 2],
          [2, 0],
        ]);
        const page = await service.listUsers();
        assert.equal(page.total, 2);
        const events = (await service.getUser(page.items[0]!.id)).events.map((e) => e.type).sort();
        assert.deepEqual(events, ['reuploaded', 'uploaded']);
      });
    });

    test('a file that stops being CSV after several chunks were written: rejected with the line, nothing of it stored', async () => {
      await withService(backend, async (service, storage) => {
        await service.upload('UPN\nada@example.com\n', { batchId: 'first', actor: 'test' });
        const rows = Array.from({ length: 12_000 }, (_, i) => `user${i}@example.com`);
        // Line 12,003: a quote opened and never closed.
        const csv = ['UPN', ...rows, 'ada@example.com', '"broken@example.com', 'last@example.com'].join('\n');
        await assert.rejects(service.upload(csv, { batchId: 'second', actor: 'test' }), (err: OnrampError) => {
          assert.equal(err.code, 'ONRAMP_ERR_CSV_UNREADABLE');
          assert.match(err.message, /line 12003/);
          return true;
        });
        const users = await storage.db.selectFrom('tracked_user').select(['upn', 'source_batch_id']).execute();
        assert.deepEqual(users, [{ upn: 'ada@example.com', source_batch_id: 'first' }]);
        assert.equal((await storage.db.selectFrom('user_event').select('id').execute()).length, 1);
        // The connection is fine afterwards.
        assert.equal((await service.upload('UPN\nbob@example.com\n', { actor: 'test' })).added.length, 1);
      });
    });

    test('an upload of several statement chunks, known and new users mixed: each user once, with one event naming its batch and row', async () => {
      await withService(backend, async (service, storage) => {
        const upns = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `user${from + i}@example.com`);
        await service.upload(['UPN', ...upns(0, 6_000)].join('\n'), { batchId: 'first', actor: 'test' });
        // 6,000 of these 12,500 are known (reset in chunks), 6,500 are new: chunks of both kinds.
        const second = await service.upload(['UPN', ...upns(0, 12_500)].join('\n'), { batchId: 'second', actor: 'test', resetExisting: true });
        assert.deepEqual([second.added.length, second.reset.length], [6_500, 6_000]);
        const { db } = storage;
        // A bulk upload refreshes the planner's statistics (in the background), so the next queries plan
        // for 12,500 users rather than an empty table.
        await service.idle();
        const estimated =
          backend.name === 'sqlite'
            ? Number(
                (await sql<{ stat: string }>`select stat from sqlite_stat1 where idx = 'tracked_user_campaign_upn'`.execute(db)).rows[0]?.stat.split(' ')[0],
              )
            : Number((await sql<{ n: number }>`select reltuples::int as n from pg_class where oid = 'tracked_user'::regclass`.execute(db)).rows[0]?.n);
        assert.ok(estimated >= 12_000, `planner statistics see ${estimated} users`);
        const users = await db.selectFrom('tracked_user').select(['id', 'upn', 'link_secret']).execute();
        assert.equal(users.length, 12_500);
        assert.equal(new Set(users.map((u) => u.link_secret)).size, 12_500, 'every user has their own secret');
        const events = await db
          .selectFrom('user_event')
          .select(['tracked_user_id', 'type', 'detail'])
          .where('at', '=', '2026-03-02T08:00:00.000Z')
          .orderBy('id')
          .execute();
        const byUser = new Map<number, Array<{ type: string; detail: unknown }>>();
        for (const e of events) byUser.set(e.tracked_user_id, [...(byUser.get(e.tracked_user_id) ?? []), { type: e.type, detail: JSON.parse(e.detail) }]);
        for (const u of users) {
          const n = Number(/^user(\d+)@/.exec(u.upn)![1]);
          const expected = [
            ...(n < 6_000 ? [{ type: 'uploaded', detail: { batchId: 'first', row: n + 2 } }] : []),
            { type: n < 6_000 ? 'reuploaded' : 'uploaded', detail: { batchId: 'second', row: n + 2 } },
          ];
          assert.deepEqual(byUser.get(u.id), expected, u.upn);
        }
      });
    });
  });
}
