import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../onramp-config.js';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { BACKENDS } from '../../test/support/storage.js';
import { ephemeralServeEnv, LISTENING, runCli } from '../../test/support/process.js';
import { linkTokenOf, USER_EVENT } from './onboarding.domain.js';
import * as q from './onboarding.queries.js';
import { OnboardingService } from './onboarding.service.js';

for (const backend of BACKENDS) {
  describe(`onramp serve, SIGTERM [${backend.name}]`, { skip: backend.skip }, () => {
    test('opens answered just before SIGTERM are in the database after the process exits', async () => {
      const storage = await backend.open();
      try {
        const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json' } });
        const service = new OnboardingService({ storage, config, clock: systemClock, log: createLogger('silent') });
        await service.upload(['UPN', ...Array.from({ length: 200 }, (_, i) => `user${i}@example.com`)].join('\n'), { actor: 'test' });
        const campaign = await q.defaultCampaign(storage.db);
        const users = await q.listUsers(storage.db, { campaignId: campaign.id }, { offset: 0, limit: 500, sort: 'upn_key', descending: false });

        const cli = runCli(['serve'], ephemeralServeEnv(storage.env));
        const [, base] = await cli.waitFor(LISTENING);
        // All at once, then the signal at once: most stamps are still buffered when it arrives.
        const answers = await Promise.all(users.map((u) => fetch(new URL(`/api/track-open?token=${linkTokenOf(u)}`, base)).then((r) => r.status)));
        cli.child.kill('SIGTERM');
        assert.deepEqual(new Set(answers), new Set([200]));
        assert.equal((await cli.exited).code, 0);

        const after = await q.listUsers(storage.db, { campaignId: campaign.id }, { offset: 0, limit: 500, sort: 'upn_key', descending: false });
        assert.deepEqual(
          after.filter((u) => u.email_opened_date === null).map((u) => u.upn),
          [],
        );
        const opened = await Promise.all(
          after.map(async (u) => (await q.userEvents(storage.db, u.id)).filter((e) => e.type === USER_EVENT.EmailOpened).length),
        );
        assert.deepEqual(new Set(opened), new Set([1]));
      } finally {
        await storage.close();
      }
    });
  });
}
