import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../onramp-config.js';
import { ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { BACKENDS } from '../../test/support/storage.js';
import { linkTokenOf } from './onboarding.domain.js';
import * as q from './onboarding.queries.js';
import { OnboardingService } from './onboarding.service.js';

const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json' } });

for (const backend of BACKENDS) {
  describe(`enrol-page token lookups [${backend.name}]`, { skip: backend.skip }, () => {
    test('lookups asked together are answered together, each with its own user; unknown ids, wrong or case-changed secrets, repeats', async () => {
      const storage = await backend.open();
      const service = new OnboardingService({ storage, config, clock: new ManualClock(), log: createLogger('silent') });
      try {
        await service.upload(['UPN', ...Array.from({ length: 450 }, (_, i) => `user${i}@example.com`)].join('\n'), { actor: 'test' });
        const campaign = await q.defaultCampaign(storage.db);
        const users = await q.listUsers(storage.db, { campaignId: campaign.id }, { offset: 0, limit: 500, sort: 'upn_key', descending: false });
        const unknownId = `${Math.max(...users.map((u) => u.id)) + 1}.${'U'.repeat(43)}`;
        const flipped = `${users[0]!.id}.${users[0]!.link_secret.replace(/[a-z]/gi, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()))}`;
        // Another user's secret with this user's id, and the bare secret of the old token format.
        const crossed = `${users[1]!.id}.${users[2]!.link_secret}`;
        const asked = [...users.map(linkTokenOf), linkTokenOf(users[7]!), unknownId, flipped, crossed, users[3]!.link_secret, 'short'];
        const answers = await Promise.all(asked.map((t) => service.linkHolder(t)));
        for (const [i, u] of users.entries()) assert.deepEqual(answers[i], { upn: u.upn, in_group: 0, preferred_language: null });
        assert.deepEqual(answers[users.length], { upn: users[7]!.upn, in_group: 0, preferred_language: null });
        assert.deepEqual(answers.slice(users.length + 1), [undefined, undefined, undefined, undefined, undefined]);
      } finally {
        await storage.close();
      }
    });
  });
}
