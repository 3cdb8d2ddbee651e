import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { tryAcquireLease } from '../db/leases.js';
import type { Clock } from '../lib/clock.js';
import { DAY_MS, HOUR_MS } from '../lib/clock.js';
import { BatchedWriter } from '../lib/batched-writer.js';
import type { Logger } from '../lib/logger.js';
import { deleteAuditBefore, insertAuditRecords, type AuditRecord } from './audit.queries.js';

/** Past this many unwritten records (database down for long), new ones are dropped and counted. */
const MAX_BUFFERED = 100_000;

/**
 * Audit records are buffered and written in multi-row inserts (see lib/batched-writer.ts): one
 * synchronous insert per request would cap the device API at the database's commit rate.
 */
export class AuditWriter {
  readonly #writer: BatchedWriter<AuditRecord>;
  readonly #retentionTimer: NodeJS.Timeout;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: { flushIntervalMs: number; retentionDays: number; instanceId: string },
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.#writer = new BatchedWriter({
      what: 'device audit records',
      log,
      maxBuffered: MAX_BUFFERED,
      flushDelayMs: options.flushIntervalMs,
      write: (batch) => insertAuditRecords(db, batch),
    });
    this.#retentionTimer = setInterval(() => void this.purgeExpired(), HOUR_MS).unref();
  }

  record(entry: AuditRecord): void {
    this.#writer.add(entry);
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
    clearInterval(this.#retentionTimer);
    await this.#writer.close();
  }
}
