import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { tryAcquireLease } from '../db/leases.js';
import type { Clock } from '../lib/clock.js';
import { DAY_MS, HOUR_MS } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { deleteAuditBefore, insertAuditRecords, type AuditRecord } from './audit.queries.js';

const BATCH_ROWS = 500;
/** Past this many unwritten records (database down for long), the oldest are dropped and counted. */
const MAX_BUFFERED = 100_000;

/**
 * Audit records are buffered and written in multi-row inserts: one synchronous insert per request
 * would cap the device API at the database's commit rate.
 */
export class AuditWriter {
  #buffer: AuditRecord[] = [];
  #flushing: Promise<void> | undefined;
  #dropped = 0;
  readonly #timer: NodeJS.Timeout;
  readonly #retentionTimer: NodeJS.Timeout;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: { flushIntervalMs: number; retentionDays: number; instanceId: string },
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs).unref();
    this.#retentionTimer = setInterval(() => void this.purgeExpired(), HOUR_MS).unref();
  }

  record(entry: AuditRecord): void {
    if (this.#buffer.length >= MAX_BUFFERED) {
      this.#buffer.shift();
      this.#dropped++;
    }
    this.#buffer.push(entry);
    if (this.#buffer.length >= BATCH_ROWS) void this.flush();
  }

  /** Writes everything buffered so far. Failures keep the records for the next attempt. */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    if (this.#buffer.length === 0) return Promise.resolve();
    // Assigned before the writer's first await can finish, so `finally` always clears the current one.
    let done!: () => void;
    const flushing = new Promise<void>((resolve) => (done = resolve));
    this.#flushing = flushing;
    void (async () => {
      try {
        while (this.#buffer.length > 0) {
          const batch = this.#buffer.slice(0, BATCH_ROWS);
          await insertAuditRecords(this.db, batch);
          this.#buffer.splice(0, batch.length);
        }
        if (this.#dropped > 0) {
          this.log.warn({ dropped: this.#dropped }, 'device audit records dropped while the database was unavailable');
          this.#dropped = 0;
        }
      } catch (err) {
        this.log.error({ err, buffered: this.#buffer.length }, 'writing device audit records failed; will retry');
      } finally {
        this.#flushing = undefined;
        done();
      }
    })();
    return flushing;
  }

  /** Deletes records past retention; one instance at a time. */
  async purgeExpired(): Promise<number> {
    try {
      const now = this.clock.now();
      if (!(await tryAcquireLease(this.db, 'device-audit-retention', this.options.instanceId, HOUR_MS / 2, now))) return 0;
      return await deleteAuditBefore(this.db, new Date(now.getTime() - this.options.retentionDays * DAY_MS).toISOString());
    } catch (err) {
      this.log.error({ err }, 'device audit retention failed');
      return 0;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#retentionTimer);
    await this.flush();
  }
}
