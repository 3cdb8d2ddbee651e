/**
 * The tracking pixel's first-open stamps, buffered and written together: one write per request would
 * cap the pixel at the database's commit rate. A stamp waits at most FLUSH_DELAY_MS (less once BATCH
 * are waiting); flush() writes what is left, and the app's close calls it, so a graceful shutdown
 * loses none. The stamp keeps the time of the open, not of the write.
 */
import type { Storage } from '../db/dialect.js';
import type { Logger } from '../lib/logger.js';
import { ACTOR_USER, USER_EVENT } from './onboarding.domain.js';
import * as q from './onboarding.queries.js';

const FLUSH_DELAY_MS = 100;
const RETRY_DELAY_MS = 1_000;
const BATCH = 500;
/** Past this many unwritten stamps (database down for long, or a flood of made-up tokens), new ones are dropped and counted. */
const MAX_PENDING = 50_000;

export class OpenStampWriter {
  /** Token → time of its first open seen since the last write. */
  readonly #pending = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #dropped = 0;

  constructor(
    private readonly storage: Storage,
    private readonly log: Logger,
  ) {}

  /** Notes an open; the database decides later whether it was the user's first. */
  record(token: string, at: string): void {
    if (this.#pending.has(token)) return;
    if (this.#pending.size >= MAX_PENDING) {
      this.#dropped++;
      return;
    }
    this.#pending.set(token, at);
    if (this.#pending.size >= BATCH) void this.flush();
    else this.#schedule(FLUSH_DELAY_MS);
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Writes every stamp noted so far. A failed batch is kept for a retry a little later. */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    if (this.#pending.size === 0) return Promise.resolve();
    // Assigned before the writer's first await can finish, so `finally` always clears the current one.
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
    while (this.#pending.size > 0) {
      const batch: q.OpenStamp[] = [];
      for (const [token, at] of this.#pending) {
        batch.push({ token, at });
        if (batch.length === BATCH) break;
      }
      for (const stamp of batch) this.#pending.delete(stamp.token);
      try {
        await this.#write(batch);
      } catch (err) {
        // Back in the buffer (an earlier open wins over one seen meanwhile) for the retry.
        for (const { token, at } of batch) {
          const seen = this.#pending.get(token);
          if (seen === undefined || at < seen) this.#pending.set(token, at);
        }
        this.log.error({ err, pending: this.#pending.size }, 'writing email-open stamps failed; will retry');
        this.#schedule(RETRY_DELAY_MS);
        return;
      }
    }
    if (this.#dropped > 0) {
      this.log.warn({ dropped: this.#dropped }, 'email-open stamps dropped while too many were waiting to be written');
      this.#dropped = 0;
    }
  }

  async #write(batch: readonly q.OpenStamp[]): Promise<void> {
    const { db, dialect } = this.storage;
    await db.transaction().execute(async (trx) => {
      const stamped = await q.stampFirstOpens(trx, dialect, batch);
      const events = stamped.map((s) => ({ tracked_user_id: s.id, at: s.at, type: USER_EVENT.EmailOpened, actor: ACTOR_USER, detail: {} }));
      await q.appendEvents(trx, events, dialect);
    });
  }
}
