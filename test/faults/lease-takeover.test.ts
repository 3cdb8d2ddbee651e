/**
 * Two `onramp serve` instances on one PostgreSQL database; the one running the invitation run is
 * killed (SIGKILL) in the middle of it. Expected: the survivor takes the interrupted run over once the
 * lease expires (leaseSeconds, plus at most one lease poll), not at its next scheduled run an hour
 * later, and every eligible user is invited.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/onramp-config.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { OnboardingService } from '../../src/onboarding/onboarding.service.js';
import { LISTENING, runCli, type CliProcess } from '../support/process.js';
import { SmtpSink } from '../support/smtp.js';
import { postgresBackend } from '../support/storage.js';
import { faultServeEnv, faultTenant, eligibleOf, figure, lostAndDuplicates, rosterCsv, statusCounts, until } from './support.js';

const USERS = 150;
const LEASE_SECONDS = 3;

describe('fault: two instances on one database, the lease holder killed mid-run', { skip: postgresBackend.skip }, () => {
  const fixture = faultTenant(USERS, 'lease');

  test('the survivor resumes the interrupted run within leaseSeconds + one poll; every eligible user invited', async () => {
    const { tenant } = fixture;
    const storage = await postgresBackend.open();
    const sink = await new SmtpSink().start();
    const env: Record<string, string> = {
      ...storage.env,
      ...faultServeEnv(fixture, sink.port, {
        ONRAMP_LOG_LEVEL: 'info',
        ONRAMP_INVITATIONS_LEASE_SECONDS: String(LEASE_SECONDS),
        // The next scheduled run is an hour away: only a takeover can finish the run within the test.
        ONRAMP_INVITATIONS_INTERVAL_MINUTES: '60',
      }),
    };
    const onboarding = new OnboardingService({ storage, config: loadConfig({ env }), clock: systemClock, log: createLogger('silent'), graph: tenant.graph });
    await onboarding.upload(rosterCsv(USERS), { actor: 'test' });
    tenant.sim.control.setFaults({ latencyMs: 30 });
    const instances: CliProcess[] = [runCli(['serve'], env), runCli(['serve'], env)];
    try {
      await Promise.all(instances.map((i) => i.waitFor(LISTENING)));
      const lease = () => storage.db.selectFrom('lease').select(['holder', 'expires_at']).where('name', '=', 'onboarding.invitations').executeTakeFirst();
      await until(async () => (await storage.db.selectFrom('mail_outbox').select('id').limit(1).execute()).length > 0, 'the run to be under way');
      const holding = await lease();
      assert.ok(holding, 'a run holds the lease');
      const holderIndex = instances.findIndex((i) => holding.holder.includes(`-${i.child.pid}-`));
      assert.ok(holderIndex >= 0, `the holder ${holding.holder} is one of the instances`);
      const holder = instances[holderIndex]!;
      const survivor = instances[1 - holderIndex]!;
      holder.child.kill('SIGKILL');
      const killedAt = Date.now();
      await holder.exited;
      const sentAtKill = (await statusCounts(storage.db)).Sent ?? 0;
      assert.ok(sentAtKill < eligibleOf(USERS).length, 'killed before the run could finish');

      await survivor.waitFor(/taking the run over/, 30_000);
      const takeoverSeconds = (Date.now() - killedAt) / 1000;
      const eligible = eligibleOf(USERS);
      await until(() => lostAndDuplicates(sink, eligible).lost.length === 0, 'every eligible user to be invited', 60_000);
      await until(async () => (await statusCounts(storage.db)).Sent === eligible.length, 'every eligible user to be Sent', 20_000);
      assert.equal(survivor.child.exitCode, null);
      const { duplicates } = lostAndDuplicates(sink, eligible);
      figure('lease-takeover', {
        leaseSeconds: LEASE_SECONDS,
        pollSeconds: Math.min(10, LEASE_SECONDS / 2),
        takeoverSeconds: Number(takeoverSeconds.toFixed(1)),
        sentAtKill,
        eligible: eligible.length,
        lost: 0,
        duplicates,
      });
    } finally {
      for (const i of instances) i.child.kill('SIGKILL');
      await Promise.all(instances.map((i) => i.exited));
      await sink.close();
      await storage.close();
    }
  });
});
