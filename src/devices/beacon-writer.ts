/**
 * Beacons are answered at once and written in batches (see lib/batched-writer.ts): one transaction
 * (state upsert + history insert) per request would cap the device API at the database's commit rate.
 * Repeated beacons from one device in a batch make one state upsert, and each still makes its history
 * row. History older than the retention is pruned hourly, by one instance at a time.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { tryAcquireLease } from '../db/leases.js';
import { BatchedWriter } from '../lib/batched-writer.js';
import { DAY_MS, HOUR_MS, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Beacon } from './beacon.js';
import { deleteBeaconsBefore, recordBeacons, type ReceivedBeacon } from './devices.queries.js';

/** Past this many unwritten beacons (database down for long), new ones are dropped and counted. */
const MAX_BUFFERED = 100_000;

export class BeaconWriter {
  readonly #writer: BatchedWriter<ReceivedBeacon>;
  readonly #retentionTimer: NodeJS.Timeout;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: { retentionDays: number; instanceId: string },
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.#writer = new BatchedWriter({ what: 'device beacons', log, maxBuffered: MAX_BUFFERED, write: (batch) => recordBeacons(db, batch) });
    this.#retentionTimer = setInterval(() => void this.purgeExpired(), HOUR_MS).unref();
  }

  record(beacon: Beacon, receivedAt: string): void {
    this.#writer.add({ beacon, receivedAt });
  }

  /** Writes every beacon received so far. */
  flush(): Promise<void> {
    return this.#writer.flush();
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
    clearInterval(this.#retentionTimer);
    await this.#writer.close();
  }
}
