/**
 * The invitation workflow across a SIGKILL: `onramp campaign run` is killed in the middle of a run (one
 * chunk committed, the next one waiting on Graph, some invitations accepted by the SMTP server and some
 * in flight), then run again. Every eligible user must end with exactly one invitation at the SMTP
 * server, nobody lost, and statuses, history and outbox agreeing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../../test/support/process.js';
import { simulatorEnv, startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import { SmtpSink } from '../../test/support/smtp.js';
import { BACKENDS } from '../../test/support/storage.js';
import { loadConfig } from '../onramp-config.js';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { OnboardingService } from './onboarding.service.js';

const D = 'contoso.test';
const USERS = 100;
const CHUNK = 10;

/** Polls until `check` holds (a condition to wait for, not a timing assertion). */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// Every 10th user is disabled and every 15th already registered: neither may be emailed.
const upnOf = (i: number) => `user${String(i).padStart(3, '0')}@${D}`;
const disabled = (i: number) => i % 10 === 0;
const registered = (i: number) => !disabled(i) && i % 15 === 0;
const indexes = Array.from({ length: USERS }, (_, i) => i + 1);
const eligible = indexes.filter((i) => !disabled(i) && !registered(i)).map(upnOf);

for (const backend of BACKENDS) {
  describe(`invitation run across a SIGKILL (${backend.name})`, { skip: backend.skip }, () => {
    let tenant: TestTenant;
    let dir: string;
    before(async () => {
      tenant = await startTestTenant({
        tenant: {
          domain: D,
          users: indexes.map((i) => ({
            userPrincipalName: upnOf(i),
            displayName: `User ${i}`,
            mail: upnOf(i),
            ...(disabled(i) ? { accountEnabled: false } : {}),
            ...(registered(i) ? { methods: ['microsoftAuthenticator' as const] } : {}),
          })),
        },
      });
      dir = mkdtempSync(join(tmpdir(), 'onramp-crash-'));
    });
    after(async () => {
      await tenant.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('a run killed mid-chunk and run again: every eligible user invited exactly once at the SMTP server, nobody lost, statuses match the outbox', async () => {
      const storage = await backend.open();
      let holding = false;
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const sink = await new SmtpSink({
        // After 5 acceptances the sink stops answering: the kill finds those emails in flight.
        beforeAccept: async () => {
          if (sink.received.length >= 5) holding = true;
          if (holding) await released;
        },
      }).start();
      const env: Record<string, string> = {
        ...storage.env,
        ...simulatorEnv(tenant.sim, dir),
        ONRAMP_CONFIG_FILE: join(dir, 'no-config.json'),
        ONRAMP_LOG_LEVEL: 'warn',
        ONRAMP_SMTP_HOST: '127.0.0.1',
        ONRAMP_SMTP_PORT: String(sink.port),
        ONRAMP_MAIL_FROM: `mfa@${D}`,
        ONRAMP_MAIL_CONCURRENCY: '4',
        ONRAMP_MAIL_CLAIM_TTL_MS: '1000',
        ONRAMP_MAIL_POLL_INTERVAL_MS: '200',
        ONRAMP_INVITATIONS_CHUNK_SIZE: String(CHUNK),
        ONRAMP_INVITATIONS_GRAPH_CONCURRENCY: '1',
        ONRAMP_INVITATIONS_LEASE_SECONDS: '2',
      };
      const db = storage.db;
      const statusCounts = async () =>
        Object.fromEntries(
          (
            await db
              .selectFrom('tracked_user')
              .select(['invite_status', db.fn.countAll<number>().as('n')])
              .groupBy('invite_status')
              .execute()
          ).map((r) => [r.invite_status, Number(r.n)]),
        );
      const outbox = () => db.selectFrom('mail_outbox').select(['tracked_user_id', 'recipient', 'message_id', 'status', 'kind']).execute();
      try {
        const config = loadConfig({ env });
        const onboarding = new OnboardingService({ storage, config, clock: systemClock, log: createLogger('silent'), graph: tenant.graph });
        await onboarding.upload(`UPN\n${indexes.map(upnOf).join('\n')}\n`, { actor: 'test' });

        // Graph answers slowly enough that a committed chunk is seen long before the run could finish.
        tenant.sim.control.setFaults({ latencyMs: 100 });
        const first = runCli(['campaign', 'run'], env);
        await until(async () => (await outbox()).length > 0, 'the first chunk to commit');
        // Graph now stalls: the run cannot get past the chunk it is on.
        tenant.sim.control.setFaults({ latencyMs: 60_000 });
        await until(() => holding, 'the SMTP server to hold an invitation');
        // Every acceptance so far is recorded, so what the kill interrupts is the held deliveries only.
        await until(async () => (await outbox()).filter((r) => r.status === 'sent').length === sink.received.length, 'accepted emails to be recorded as sent');
        first.child.kill('SIGKILL');
        assert.equal((await first.exited).signal, 'SIGKILL');
        await until(() => sink.openSessions === 0, "the killed run's SMTP connections to close");
        holding = false;
        release();
        tenant.sim.control.setFaults({ latencyMs: 0 });

        const afterKill = await statusCounts();
        assert.ok((afterKill.Sent ?? 0) >= CHUNK / 2 && (afterKill.Pending ?? 0) >= USERS / 2, `killed mid-run: ${JSON.stringify(afterKill)}`);
        const rowsAfterKill = await outbox();
        assert.equal(rowsAfterKill.length, afterKill.Sent, 'an invitation in the outbox exactly for each user marked Sent');
        assert.ok(
          rowsAfterKill.some((r) => r.status === 'sending'),
          'the kill left claimed emails behind',
        );
        const acceptedBeforeKill = sink.received.length;

        // The dead run's lease lapses after leaseSeconds; the next run then takes over.
        await until(
          async () =>
            !(await db
              .selectFrom('lease')
              .select('expires_at')
              .where('name', '=', 'onboarding.invitations')
              .where('expires_at', '>', new Date().toISOString())
              .executeTakeFirst()),
          "the dead run's lease to lapse",
        );
        const second = runCli(['campaign', 'run', '--wait'], env);
        assert.equal((await second.exited).code, 0, second.output());
        const summary = JSON.parse(second.output().trim().split('\n').pop()!) as {
          run: { invited: number };
          delivery: { sent: number };
          outbox: { pending: number; sending: number };
        };
        assert.equal(summary.run.invited, eligible.length - afterKill.Sent!, 'the second run invites exactly those the first did not');
        // Its report counts every email it delivered, those sent while the run went on included (it
        // reported one delivery round's count, fewer than were delivered), and --wait leaves nothing due.
        assert.ok(summary.delivery.sent >= summary.run.invited, `delivered ${summary.delivery.sent} of the ${summary.run.invited} queued: ${second.output()}`);
        assert.equal(sink.received.length - acceptedBeforeKill, summary.delivery.sent, 'the report matches what the SMTP server accepted');
        assert.deepEqual([summary.outbox.pending, summary.outbox.sending], [0, 0]);
        const deliver = runCli(['mail', 'deliver', '--wait'], env);
        assert.equal((await deliver.exited).code, 0, deliver.output());

        for (const upn of eligible) assert.equal(sink.to(upn).length, 1, `${upn} got exactly one invitation`);
        assert.equal(sink.received.length, eligible.length, 'nobody else got mail');
        assert.ok(sink.received.length > acceptedBeforeKill);
        assert.deepEqual(await statusCounts(), { Sent: eligible.length, Excluded: indexes.filter(disabled).length, Active: indexes.filter(registered).length });

        const users = await db.selectFrom('tracked_user').select(['id', 'upn', 'invite_status']).execute();
        const rows = await outbox();
        const sentUserIds = users
          .filter((u) => u.invite_status === 'Sent')
          .map((u) => u.id)
          .sort((a, b) => a - b);
        assert.deepEqual(
          rows.map((r) => r.tracked_user_id).sort((a, b) => a! - b!),
          sentUserIds,
          'one outbox row per Sent user, none for anyone else',
        );
        for (const row of rows) {
          assert.equal(row.status, 'sent');
          assert.equal(row.kind, 'invitation');
          assert.equal(sink.to(row.recipient)[0]!.messageId, row.message_id);
        }
        const invitedEvents = await db.selectFrom('user_event').select('tracked_user_id').where('type', '=', 'invited').execute();
        assert.deepEqual(
          invitedEvents.map((e) => e.tracked_user_id).sort((a, b) => a - b),
          sentUserIds,
          'one "invited" event per Sent user',
        );
      } finally {
        release();
        await sink.close();
        await storage.close();
      }
    });
  });
}
