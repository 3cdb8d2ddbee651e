/**
 * SQLite stops accepting writes in the middle of an invitation run, then accepts them again. The store
 * is made read-only on onramp's own connection (`PRAGMA query_only`, which fails every write with
 * SQLITE_READONLY as a read-only file or mount does; a chmod would not, the open file stays writable).
 * Expected: the process goes on, readiness says why it is not ready and then ready again, the
 * failures are counted by the job and logged with their cause, and the run finishes by itself with
 * nobody lost.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { loadConfig } from '../../src/onramp-config.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { startOnramp } from '../../src/main.js';
import { OnboardingService } from '../../src/onboarding/onboarding.service.js';
import { SmtpSink } from '../support/smtp.js';
import { sqliteBackend } from '../support/storage.js';
import { faultServeEnv, faultTenant, eligibleOf, figure, lostAndDuplicates, rosterCsv, statusCounts, until } from './support.js';

const USERS = 200;

describe('fault: SQLite refuses writes mid-run, then accepts them again', () => {
  const fixture = faultTenant(USERS, 'ro');

  test('0 process exits, readiness false (with the cause) then true, the run completes by itself, 0 lost', async () => {
    const { tenant } = fixture;
    const storage = await sqliteBackend.open();
    const sink = await new SmtpSink().start();
    const lines: Array<{ level: number; msg: string; err?: { message?: string } }> = [];
    const log = createLogger(
      'info',
      new Writable({
        write: (chunk: Buffer, _e, done) => {
          lines.push(JSON.parse(chunk.toString()));
          done();
        },
      }),
    );
    const env: Record<string, string> = {
      ...storage.env,
      ...faultServeEnv(fixture, sink.port, {
        ONRAMP_INVITATIONS_RETRY_AFTER_FAILURE_SECONDS: '1',
      }),
    };
    const config = loadConfig({ env });
    const onboarding = new OnboardingService({ storage, config, clock: systemClock, log: createLogger('silent'), graph: tenant.graph });
    await onboarding.upload(rosterCsv(USERS), { actor: 'test' });
    // Slow enough that the run is surely under way when writes stop.
    tenant.sim.control.setFaults({ latencyMs: 20 });
    const running = await startOnramp({ config, log });
    const ready = async () => {
      const res = await fetch(`${running.publicUrl}/readyz`);
      return { status: res.status, body: (await res.json()) as { message?: string; jobs?: Array<{ name: string; failures: number }> } };
    };
    try {
      await until(async () => (await storage.db.selectFrom('mail_outbox').select('id').limit(1).execute()).length > 0, 'the first chunk to commit');
      await sql`pragma query_only = 1`.execute(running.ctx.storage.db);
      let unready: Awaited<ReturnType<typeof ready>> | undefined;
      await until(
        async () => {
          unready = await ready();
          return unready.status === 503;
        },
        'readiness to say not ready',
        15_000,
      );
      assert.match(unready!.body.message ?? '', /does not accept writes: attempt to write a readonly database \(SQLITE_READONLY\)/);
      await until(
        () => (running.ctx.jobs?.statuses().find((j) => j.name === 'onboarding.invitations')?.failures ?? 0) > 0,
        'the run to fail on the refused writes',
        15_000,
      );
      const failuresWhileReadOnly = running.ctx.jobs!.statuses().find((j) => j.name === 'onboarding.invitations')!.failures;

      await sql`pragma query_only = 0`.execute(running.ctx.storage.db);
      await until(async () => (await ready()).status === 200, 'readiness to say ready again', 15_000);
      const eligible = eligibleOf(USERS);
      await until(() => lostAndDuplicates(sink, eligible).lost.length === 0, 'every eligible user to be invited', 60_000);
      await until(async () => (await statusCounts(storage.db)).Sent === eligible.length, 'every eligible user to be Sent', 15_000);

      const { duplicates } = lostAndDuplicates(sink, eligible);
      const jobErrors = lines.filter((l) => l.level === 50 && /job failed/.test(l.msg));
      assert.ok(jobErrors.length >= 1, 'the failure is logged');
      assert.ok(
        jobErrors.every((l) => !/no transaction is active/.test(l.msg)),
        'with its cause, not the failed rollback',
      );
      assert.ok(
        jobErrors.length < failuresWhileReadOnly + 2,
        `logged once per cause, not once per retry: ${jobErrors.length} lines for ${failuresWhileReadOnly}+ failures`,
      );
      figure('sqlite-readonly', {
        users: USERS,
        eligible: eligible.length,
        lost: 0,
        duplicates,
        runFailuresWhileReadOnly: failuresWhileReadOnly,
        processExits: 0,
        readiness: '503 then 200',
      });
    } finally {
      await running.close();
      await sink.close();
      await storage.close();
    }
  });
});
