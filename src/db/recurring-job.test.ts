import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { tryAcquireLease } from './leases.js';
import { BACKENDS } from '../../test/support/storage.js';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { everyMs, JobBoard, RecurringJob } from './recurring-job.js';

function capturedLog() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger(
    'debug',
    new Writable({
      write: (chunk: Buffer, _enc, done) => {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    }),
  );
  return { log, lines, errors: () => lines.filter((l) => l.level === 50) };
}

async function until(condition: () => boolean, what: string, limitMs = 5000): Promise<void> {
  for (const started = Date.now(); !condition(); await sleep(10)) if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`);
}

describe('recurring job', () => {
  test('a failing run never escapes: counted, logged once per cause with the cause, retried, recovery logged', async () => {
    const { log, errors, lines } = capturedLog();
    let calls = 0;
    const job = new RecurringJob({
      name: 'flaky',
      schedule: everyMs(null),
      retryAfterFailureMs: 20,
      log,
      clock: systemClock,
      run: async () => {
        calls++;
        if (calls <= 4) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
        return 'ok';
      },
    });
    const board = new JobBoard();
    board.add(job);
    job.start();
    await until(() => calls >= 5 && job.status().consecutiveFailures === 0, 'the fifth run');
    await job.stop();
    const status = board.statuses()[0]!;
    assert.equal(status.failures, 4);
    assert.equal(status.runs, 5);
    assert.equal(status.lastError, 'disk I/O error (SQLITE_IOERR)');
    assert.equal(errors().length, 1, 'the same cause is logged once, not per retry');
    assert.match(String(errors()[0]!.msg), /disk I\/O error \(SQLITE_IOERR\)/);
    assert.ok(lines.some((l) => l.msg === 'job recovered'));
  });

  test('a schedule beyond the timer limit (100,000 minutes) neither overflows nor spins; null is off', async () => {
    const { log } = capturedLog();
    let runs = 0;
    const long = new RecurringJob({
      name: 'long',
      schedule: everyMs(100_000 * 60_000),
      runAtStart: false,
      log,
      clock: systemClock,
      run: async () => void runs++,
    });
    const off = new RecurringJob({ name: 'off', schedule: everyMs(0), runAtStart: false, log, clock: systemClock, run: async () => void runs++ });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      long.start();
      off.start();
      await sleep(300);
      assert.equal(runs, 0, 'an overflowing timer fires after 1 ms, again and again');
      assert.deepEqual(
        warnings.filter((w) => w.name === 'TimeoutOverflowWarning'),
        [],
      );
      assert.equal(new Date(long.status().nextRunAt!).getTime() > Date.now() + 69 * 24 * 3_600_000, true);
      assert.equal(off.status().nextRunAt, null);
      // Off still runs when triggered (uploads start the invitation run).
      assert.equal(off.trigger(), true);
      await until(() => runs === 1, 'the triggered run');
    } finally {
      process.off('warning', onWarning);
      await long.stop();
      await off.stop();
    }
  });
});

for (const backend of BACKENDS) {
  describe(`recurring job lease [${backend.name}]`, { skip: backend.skip }, () => {
    test('a run whose holder died (lease left unreleased) is taken over within the lease ttl plus one poll', async () => {
      const storage = await backend.open();
      try {
        // The dead holder: took the lease for 600 ms and never renewed nor released it.
        assert.equal(await tryAcquireLease(storage.db, 'takeover', 'dead-instance', 600), true);
        const diedAt = Date.now();
        let ranAt = 0;
        const { log } = capturedLog();
        const survivor = new RecurringJob({
          name: 'takeover',
          schedule: everyMs(3_600_000),
          runAtStart: false,
          log,
          clock: systemClock,
          lease: { db: storage.db, holder: 'survivor', ttlMs: 600, resumeInterrupted: true, pollMs: 200 },
          run: async () => {
            ranAt = Date.now();
          },
        });
        survivor.start();
        try {
          await until(() => ranAt > 0, 'the takeover');
        } finally {
          await survivor.stop();
        }
        assert.ok(ranAt - diedAt >= 600, 'not before the lease expired');
        assert.equal(survivor.status().takeovers, 1);
        // A released lease (a finished run) is not taken over again.
        const runsBefore = survivor.status().runs;
        survivor.start();
        await sleep(500);
        await survivor.stop();
        assert.equal(survivor.status().runs, runsBefore);
      } finally {
        await storage.close();
      }
    });
  });
}
