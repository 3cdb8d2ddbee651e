/**
 * Beacons are answered at once and written in batches (see lib/batched-writer.ts): one transaction
 * (state upsert + history insert) per request would cap the device API at the database's commit rate.
 * Repeated beacons from one device in a batch make one state upsert, and each still makes its history
 * row. History older than the retention is pruned hourly, by one instance at a time.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { BatchedWriter } from '../lib/batched-writer.js';
import { DAY_MS, HOUR_MS, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { everyMs, RecurringJob, type JobBoard } from '../db/recurring-job.js';
import type { Beacon } from './beacon.js';
import { deleteBeaconsBefore, recordBeacons, type ReceivedBeacon } from './devices.queries.js';

/** Past this many unwritten beacons (database down for long), new ones are dropped and counted. */
const MAX_BUFFERED = 100_000;

export class BeaconWriter {
  readonly #writer: BatchedWriter<ReceivedBeacon>;
  /** Hourly; the lease is left to expire, so one instance of a cluster purges per half hour. */
  readonly #retention: RecurringJob<number>;

  constructor(
    db: Kysely<Database>,
    private readonly options: { retentionDays: number; instanceId: string; jobs?: JobBoard | undefined },
    private readonly clock: Clock,
    log: Logger,
  ) {
    this.#writer = new BatchedWriter({ what: 'device beacons', log, maxBuffered: MAX_BUFFERED, write: (batch) => recordBeacons(db, batch) });
    this.#retention = new RecurringJob<number>({
      name: 'device-beacon-retention',
      schedule: everyMs(HOUR_MS),
      runAtStart: false,
      run: () => deleteBeaconsBefore(db, new Date(this.clock.now().getTime() - this.options.retentionDays * DAY_MS).toISOString()),
      log,
      clock,
      lease: { db, holder: options.instanceId, ttlMs: HOUR_MS / 2, release: false },
    });
    options.jobs?.add(this.#retention);
    this.#retention.start();
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
    // Failures are counted and logged by the job.
    return (await this.#retention.runNow().catch(() => undefined)) ?? 0;
  }

  async close(): Promise<void> {
    this.options.jobs?.remove(this.#retention);
    await this.#retention.stop();
    await this.#writer.close();
  }
}
