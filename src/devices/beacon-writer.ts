/**
 * Beacons are answered at once and written in batches: one transaction (state upsert + history
 * insert) per request would cap the device API at the database's commit rate. A beacon waits at most
 * FLUSH_DELAY_MS (less once BATCH are waiting); close() writes what is left, so a graceful shutdown
 * loses none. Repeated beacons from one device in a batch make one state upsert, and each still
 * makes its history row. History older than the retention is pruned hourly, by one instance at a time.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { tryAcquireLease } from '../db/leases.js';
import { DAY_MS, HOUR_MS, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Beacon } from './beacon.js';
import { deleteBeaconsBefore, recordBeacons, type ReceivedBeacon } from './devices.queries.js';

const FLUSH_DELAY_MS = 100;
const RETRY_DELAY_MS = 1_000;
const BATCH = 500;
/** Past this many unwritten beacons (database down for long), new ones are dropped and counted. */
const MAX_BUFFERED = 100_000;

export class BeaconWriter {
  #buffer: ReceivedBeacon[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #dropped = 0;
  #closed = false;
  readonly #retentionTimer: NodeJS.Timeout;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: { retentionDays: number; instanceId: string },
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.#retentionTimer = setInterval(() => void this.purgeExpired(), HOUR_MS).unref();
  }

  record(beacon: Beacon, receivedAt: string): void {
    if (this.#buffer.length >= MAX_BUFFERED) {
      this.#dropped++;
      return;
    }
    this.#buffer.push({ beacon, receivedAt });
    if (this.#buffer.length >= BATCH) void this.flush();
    else this.#schedule(FLUSH_DELAY_MS);
  }

  /** Writes every beacon received so far. A failed batch stays buffered for a retry a little later. */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    if (this.#buffer.length === 0) return Promise.resolve();
    this.#flushing = this.#writeAll().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  #schedule(delayMs: number): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, delayMs).unref();
  }

  async #writeAll(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.slice(0, BATCH);
      try {
        await recordBeacons(this.db, batch);
      } catch (err) {
        this.log.error({ err, buffered: this.#buffer.length }, 'writing device beacons failed; will retry');
        if (!this.#closed) this.#schedule(RETRY_DELAY_MS);
        return;
      }
      // Removed only once written; records that arrived meanwhile were appended after the batch.
      this.#buffer.splice(0, batch.length);
    }
    if (this.#dropped > 0) {
      this.log.warn({ dropped: this.#dropped }, 'device beacons dropped while the database was unavailable');
      this.#dropped = 0;
    }
  }

  /** Deletes beacon history past retention; one instance at a time. */
  async purgeExpired(): Promise<number> {
    try {
      const now = this.clock.now();
      if (!(await tryAcquireLease(this.db, 'device-beacon-retention', this.options.instanceId, HOUR_MS / 2, now))) return 0;
      return await deleteBeaconsBefore(this.db, new Date(now.getTime() - this.options.retentionDays * DAY_MS).toISOString());
    } catch (err) {
      this.log.error({ err }, 'device beacon retention failed');
      return 0;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#retentionTimer);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
