/**
 * The invitation run against a tenant that throttles every request to 5 per second for the whole run,
 * and against one with a user whose lookup always fails (the simulator's failingNames). Expected: one
 * run processes everybody, in time close to requests ÷ 5 s; the failing user alone goes to Error after
 * maxLookupFailures runs, everybody else is done in the first run.
 *
 * The suite uses 800 users; `scripts/fault-figures.sh` runs the 3,000 (ONRAMP_FAULT_USERS).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/onramp-config.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { InvitationService } from '../../src/onboarding/invitations.service.js';
import { OnboardingService } from '../../src/onboarding/onboarding.service.js';
import { startTestTenant, type TestTenant } from '../support/simulator.js';
import { BACKENDS, type TestStorage } from '../support/storage.js';
import { D, disabled, figure, rosterCsv, statusCounts, tenantOf, upnOf } from './support.js';

const USERS = Number(process.env.ONRAMP_FAULT_USERS ?? 800);
const log = createLogger('silent');

function workflowFor(storage: TestStorage, tenant: TestTenant, env: Record<string, string> = {}): InvitationService {
  const config = loadConfig({ env });
  return new InvitationService({
    storage,
    graph: tenant.graph,
    clock: systemClock,
    log,
    instanceId: 'fault-test',
    settings: config.invitations,
    defaultGroupId: tenant.sim.mfaGroupId,
    branding: { companyName: 'Contoso', supportTeam: 'IT', supportEmail: `it@${D}`, primaryColor: '#0078d4' },
    publicUrl: 'https://mfa.contoso.test',
    mailFrom: `mfa@${D}`,
    defaultLanguage: 'en',
  });
}

const [sqlite] = BACKENDS;

describe('fault: Graph throttled and a poison user', () => {
  test(`throttled to 5 requests/s for the whole run: one run processes all ${USERS} users`, async () => {
    const storage = await sqlite!.open();
    // The default client settings (maxRetryMs 120 s, 8 attempts), as a server runs them.
    const tenant = await startTestTenant({ tenant: tenantOf(USERS) });
    const graph = tenant.clients({ maxRetryMs: 120_000 }).graph;
    try {
      await new OnboardingService({ storage, config: loadConfig({ env: {} }), clock: systemClock, log, graph }).upload(rosterCsv(USERS), { actor: 'test' });
      tenant.sim.control.setFaults({ throttlePerSecond: 5 });
      const before = tenant.sim.control.stats();
      const started = Date.now();
      const summary = await workflowFor(storage, { ...tenant, graph }).runOnce();
      const seconds = (Date.now() - started) / 1000;
      const after = tenant.sim.control.stats();
      assert.ok(summary);
      assert.equal(summary.failed, 0, JSON.stringify(summary));
      assert.equal(summary.processed, USERS, 'every user processed in one run');
      const disabledCount = Array.from({ length: USERS }, (_, k) => k + 1).filter(disabled).length;
      assert.deepEqual(await statusCounts(storage.db), { Sent: USERS - disabledCount, Excluded: disabledCount });
      // Batch items count one each against the throttle, as Graph counts them.
      const admitted = after.batchItems - before.batchItems + (after.graphRequests - before.graphRequests) - (after.throttled - before.throttled);
      figure('throttled-5-per-second', {
        users: USERS,
        runs: 1,
        processed: `${(100 * summary.processed) / USERS}%`,
        seconds: Number(seconds.toFixed(1)),
        requestsAdmitted: admitted,
        idealSeconds: Number((admitted / 5).toFixed(1)),
        throttledAnswers: after.throttled - before.throttled,
      });
    } finally {
      await tenant.stop();
      await storage.close();
    }
  });

  test(`one user whose lookup always fails among ${USERS}: everybody else done in the first run, that user in Error after maxLookupFailures runs`, async () => {
    const storage = await sqlite!.open();
    const poison = upnOf(Math.floor(USERS / 2) + 1);
    const tenant = await startTestTenant({ tenant: tenantOf(USERS), faults: { failingNames: [poison] } });
    try {
      await new OnboardingService({ storage, config: loadConfig({ env: {} }), clock: systemClock, log, graph: tenant.graph }).upload(rosterCsv(USERS), {
        actor: 'test',
      });
      const workflow = workflowFor(storage, tenant);
      const first = await workflow.runOnce();
      assert.deepEqual([first?.processed, first?.failed], [USERS - 1, 1], 'everybody but the failing user in the first run');
      const runs = [first];
      for (let i = 1; i < 3; i++) runs.push(await workflow.runOnce());
      assert.equal(runs[2]?.errored, 1);
      const user = await storage.db
        .selectFrom('tracked_user')
        .select(['invite_status', 'status_reason'])
        .where('upn_key', '=', poison)
        .executeTakeFirstOrThrow();
      assert.equal(user.invite_status, 'Error');
      assert.match(user.status_reason ?? '', /directory lookup failed in 3 runs in a row/);
      const counts = await statusCounts(storage.db);
      assert.equal(counts.Error, 1);
      assert.equal((counts.Sent ?? 0) + (counts.Excluded ?? 0), USERS - 1);
      figure('poison-user', { users: USERS, firstRun: { processed: first?.processed, failed: first?.failed }, runsUntilError: 3, othersDoneInFirstRun: true });
    } finally {
      await tenant.stop();
      await storage.close();
    }
  });
});
