import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { BACKENDS, type TestStorage } from '../../test/support/storage.js';
import { loadConfig } from '../onramp-config.js';
import { ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { OnboardingService } from './onboarding.service.js';
import { compactUserCounts, countUsers, defaultCampaign, userCounts } from './onboarding.queries.js';
import { ReportService } from './reports.service.js';

const log = createLogger('silent');

/** What the counters say, key by key, sorted. */
async function counted(storage: TestStorage): Promise<string[]> {
  const { counts } = await userCounts(storage.db, {});
  return counts.map((c) => `${c.batchId ?? ''}|${c.status}|${c.reason}=${c.users}`).sort();
}

/** A fresh COUNT(*) over the rows, by the same keys. */
async function recounted(storage: TestStorage): Promise<string[]> {
  const rows = await sql<{ k: string; n: number }>`
    select coalesce(source_batch_id, '') || '|' || invite_status || '|' ||
      (case when invite_status = 'Excluded' then coalesce(status_reason, '') else '' end) as k, count(*) as n
    from tracked_user group by 1`.execute(storage.db);
  return rows.rows.map((r) => `${r.k}=${Number(r.n)}`).sort();
}

for (const backend of BACKENDS) {
  describe(`user counters (${backend.name})`, { skip: backend.skip }, () => {
    test('equal a fresh COUNT(*) after uploads, re-uploads, status changes, bulk actions, removals and compaction', async () => {
      const storage = await backend.open();
      const clock = new ManualClock('2026-03-10T09:00:00.000Z');
      const config = loadConfig({ env: {} });
      try {
        const onboarding = new OnboardingService({ storage, config, clock, log });
        const reports = new ReportService({
          db: storage.db,
          dialect: storage.dialect,
          clock,
          log,
          settings: config.reports,
          branding: { companyName: 'Contoso', supportTeam: 'IT', supportEmail: 'it@x.test', primaryColor: '#0078d4' },
          instanceId: 'one',
        });
        const same = async (step: string) => {
          assert.deepEqual(await counted(storage), await recounted(storage), step);
          const all = Number(
            (
              await storage.db
                .selectFrom('tracked_user')
                .select((eb) => eb.fn.countAll().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          );
          assert.equal((await reports.summary()).total, all, `${step}: report total`);
          const campaignId = (await defaultCampaign(storage.db)).id;
          assert.equal(await countUsers(storage.db, { campaignId }), all, `${step}: users list total`);
        };
        const roster = (from: number, to: number) => `UPN\n${Array.from({ length: to - from }, (_, i) => `u${from + i}@x.test`).join('\n')}\n`;

        await same('empty');
        await onboarding.upload(roster(0, 6000), { actor: 't', batchId: 'wave-1' });
        await same('first upload (two chunks)');
        await onboarding.upload(roster(5000, 7000), { actor: 't', batchId: 'wave-2' });
        await same('second upload: 1,000 known left alone, 1,000 added');
        await onboarding.upload(roster(6500, 7500), { actor: 't', batchId: 'wave-3', resetExisting: true });
        await same('re-upload resetting users into another batch');
        await assert.rejects(onboarding.upload(`UPN\nz1@x.test\n"z2@x.test\n`, { actor: 't' }));
        await same('an upload that stops being CSV stored nothing, counted nothing');

        const set = (upns: string[], patch: Record<string, unknown>) =>
          storage.db.updateTable('tracked_user').set(patch).where('upn_key', 'in', upns).execute();
        await set(['u1@x.test', 'u2@x.test'], { invite_status: 'Active' });
        await set(['u3@x.test', 'u4@x.test'], { invite_status: 'Excluded', status_reason: 'not found in the directory' });
        await set(['u5@x.test'], { invite_status: 'Excluded', status_reason: 'account disabled' });
        await same('status changes');
        await set(['u4@x.test'], { status_reason: 'account disabled' });
        await set(['u1@x.test'], { email_opened_date: clock.now().toISOString() });
        await same('a reason changed; a date changed (no counter moves)');
        await set(['u6@x.test'], { invite_status: 'Error', status_reason: 'mailbox full' });
        await same('an error');

        const excluded = await onboarding.bulk('exclude', { batchId: 'wave-2' }, 500, 'admin:a');
        assert.equal(excluded.changed, 500);
        await same('bulk exclude');
        await onboarding.bulk('resend', { status: 'Excluded' }, 503, 'admin:a');
        await same('bulk resend');
        await onboarding.bulk('remove', { batchId: 'wave-3' }, 1000, 'admin:a');
        await same('bulk remove');
        const one = await storage.db.selectFrom('tracked_user').select('id').orderBy('id').executeTakeFirstOrThrow();
        await onboarding.removeUser(Number(one.id), 'admin:a');
        await same('one removal');

        await compactUserCounts(storage.db, storage.dialect);
        await same('after folding the counters up');
        const { rows, counts } = await userCounts(storage.db, {});
        if (storage.dialect.statementTriggers) assert.equal(rows, counts.length, 'one row per key after compaction');
        await same('again');
        // '' is the counters' key for users of no batch, but as a filter it selects nobody, as in the rows.
        await storage.db.updateTable('tracked_user').set({ source_batch_id: null }).where('upn_key', '=', 'u7@x.test').execute();
        await same('a user of no batch');
        assert.equal(await countUsers(storage.db, { campaignId: (await defaultCampaign(storage.db)).id, batchId: '' }), 0);
        assert.equal((await reports.summary({ batchId: '' })).total, 0);
      } finally {
        await storage.close();
      }
    });
  });
}
