import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { DAY_MS, HOUR_MS } from '../lib/clock.js';
import { BatchedWriter } from '../lib/batched-writer.js';
import type { Logger } from '../lib/logger.js';
import { everyMs, RecurringJob, type JobBoard } from '../db/recurring-job.js';
import { deleteAuditBefore, insertAuditRecords, type AuditRecord } from './audit.queries.js';

/** Past this many unwritten records (database down for long), new ones are dropped and counted. */
const MAX_BUFFERED = 100_000;

/**
 * Audit records are buffered and written in multi-row inserts (see lib/batched-writer.ts): one
 * synchronous insert per request would cap the device API at the database's commit rate.
 */
export class AuditWriter {
  readonly #writer: BatchedWriter<AuditRecord>;
  /** Hourly; the lease is left to expire, so one instance of a cluster purges per half hour. */
  readonly #retention: RecurringJob<number>;

  constructor(
    db: Kysely<Database>,
    private readonly options: { flushIntervalMs: number; retentionDays: number; instanceId: string; jobs?: JobBoard | undefined },
    private readonly clock: Clock,
    log: Logger,
  ) {
    this.#writer = new BatchedWriter({
      what: 'device audit records',
      log,
      maxBuffered: MAX_BUFFERED,
      flushDelayMs: options.flushIntervalMs,
      write: (batch) => insertAuditRecords(db, batch),
    });
    this.#retention = new RecurringJob<number>({
      name: 'device-audit-retention',
      schedule: everyMs(HOUR_MS),
      runAtStart: false,
      run: () => deleteAuditBefore(db, new Date(this.clock.now().getTime() - this.options.retentionDays * DAY_MS).toISOString()),
      log,
      clock,
      lease: { db, holder: options.instanceId, ttlMs: HOUR_MS / 2, release: false },
    });
    options.jobs?.add(this.#retention);
    this.#retention.start();
  }

  record(entry: AuditRecord): void {
    this.#writer.add(entry);
  }

  /** Deletes records past retention; one instance at a time. */
  async purgeExpired(): Promise<number> {
    // Failures are counted and logged by the job.
    return (await this.#retention.runNow().catch(() => undefined)) ?? 0;
  }

  async close(): Promise<void> {
    this.options.jobs?.remove(this.#retention);
    await this.#retention.stop();
    await this.#writer.close();
  }
}
