import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { UpstreamError, type DirectoryProfile, type GraphPort } from '../graph/graph-port.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { everyMs, RecurringJob, type JobBoard } from '../db/recurring-job.js';
import type { OnrampContext } from '../context.js';
import { applyDirectoryPage, deleteNotSyncedSince, getDeltaLink, saveSyncState } from './directory.queries.js';

const LEASE = 'directory-delta-sync';

/**
 * Told after a delta round which users changed (upserted profiles, removed object ids), so what is
 * derived from them (signatures) is redone for those users only. Full rounds are not reported: they
 * restate everyone, and what depends on the directory has its own schedule for that.
 */
export type DirectoryChangeListener = (changes: { upserted: DirectoryProfile[]; removed: string[] }) => Promise<void>;

/**
 * Keeps the directory cache current with Graph users/delta: a full round first, then only changes.
 * One instance of a cluster syncs at a time (lease); the others read the shared table.
 */
export class DirectorySync {
  /** Schedule, lease with heartbeat, takeover of a round whose instance died: db/recurring-job.ts. */
  readonly job: RecurringJob<true>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly graph: GraphPort,
    private readonly clock: Clock,
    private readonly log: Logger,
    instanceId: string,
    private readonly options: { intervalMs?: number; leaseMs?: number; jobs?: JobBoard | undefined; onChanged?: DirectoryChangeListener } = {},
  ) {
    this.job = new RecurringJob<true>({
      name: LEASE,
      schedule: everyMs(options.intervalMs ?? null),
      run: () => this.#runLeased(),
      retryAfterFailureMs: 60_000,
      log,
      clock,
      lease: { db, holder: instanceId, ttlMs: options.leaseMs ?? 10 * 60_000, resumeInterrupted: true },
    });
    options.jobs?.add(this.job);
  }

  /** Runs one round if this instance gets the lease. Returns false when another instance holds it. */
  async runOnce(): Promise<boolean> {
    return (await this.job.runNow()) === true;
  }

  async #runLeased(): Promise<true> {
    try {
      const storedLink = await getDeltaLink(this.db);
      try {
        await this.#round(storedLink ?? undefined);
      } catch (err) {
        // An expired or unknown delta token: Graph wants a new full round.
        if (storedLink && /syncStateNotFound|resyncRequired|410/i.test(`${(err as { code?: string }).code ?? ''} ${(err as Error).message}`)) {
          this.log.warn('directory delta token expired; starting a full round');
          await this.#round(undefined);
        } else throw err;
      }
      return true;
    } catch (err) {
      if (err instanceof UpstreamError && err.code === 'GraphNotConfigured') this.log.debug('directory sync skipped: no Microsoft Graph tenant configured');
      // The job logs the failure (once per cause); the cache keeps serving its last state.
      await saveSyncState(this.db, { deltaLink: await getDeltaLink(this.db).catch(() => null), lastError: (err as Error).message }).catch(() => {});
      throw err;
    }
  }

  async #round(link: string | undefined): Promise<void> {
    const full = link === undefined;
    const roundStart = this.clock.now().toISOString();
    let next: string | undefined = link;
    let changed = 0;
    const upserted: DirectoryProfile[] = [];
    const removed: string[] = [];
    for (;;) {
      const page = await this.graph.userDelta(next);
      await applyDirectoryPage(this.db, page.upserted, page.removed, this.clock.now().toISOString());
      changed += page.upserted.length + page.removed.length;
      if (!full && this.options.onChanged) {
        upserted.push(...page.upserted);
        removed.push(...page.removed);
      }
      if (page.nextLink) {
        next = page.nextLink;
        continue;
      }
      if (full) {
        const gone = await deleteNotSyncedSince(this.db, roundStart);
        if (gone > 0) this.log.info({ gone }, 'directory users no longer in the tenant removed from the cache');
      }
      await saveSyncState(this.db, { deltaLink: page.deltaLink ?? null, lastSyncAt: this.clock.now().toISOString(), lastError: null });
      this.log.info({ full, changed }, 'directory sync round complete');
      // The cache is current whatever the listener does; its failure is its own, logged, not the sync's.
      if (upserted.length + removed.length > 0)
        await this.options.onChanged?.({ upserted, removed }).catch((err: unknown) => this.log.warn({ err }, 'directory change listener failed'));
      return;
    }
  }
}

/** Runs the sync at start and every `directory.syncIntervalMs`; returns a stop function that waits for a running round. */
export function scheduleDirectorySync(ctx: OnrampContext, graph: GraphPort, onChanged?: DirectoryChangeListener): () => Promise<void> {
  const sync = new DirectorySync(ctx.storage.db, graph, ctx.clock, ctx.log, ctx.instanceId, {
    intervalMs: ctx.config.directory.syncIntervalMs,
    jobs: ctx.jobs,
    onChanged,
  });
  sync.job.start();
  return () => sync.job.stop();
}
