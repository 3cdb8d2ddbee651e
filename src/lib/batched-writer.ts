/**
 * Records answered at once and written together: one write per request would cap a hot route at the
 * database's commit rate. A record waits at most `flushDelayMs` (less once `batchSize` are waiting);
 * `flush()` writes what is left and `close()` calls it, so a graceful shutdown loses none. A failed
 * batch goes back to the front of the buffer and is retried after `retryDelayMs`. Past `maxBuffered`
 * waiting records (database down for long) new ones are dropped, counted, and the count logged once
 * writing works again.
 */
import type { Logger } from './logger.js';

export interface BatchedWriterOptions<T> {
  /** What the records are, for log lines ("device beacons"). */
  what: string;
  write: (batch: T[]) => Promise<void>;
  log: Logger;
  maxBuffered: number;
  flushDelayMs?: number;
  batchSize?: number;
  retryDelayMs?: number;
  /** Records with the same key are written once: a record whose key is already waiting is not added (the waiting one came first). */
  keyOf?: (record: T) => string;
}

export class BatchedWriter<T> {
  /** Waiting records in arrival order, by key (or by arrival number without `keyOf`). */
  #waiting = new Map<string | number, T>();
  #arrivals = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #dropped = 0;
  #closed = false;
  readonly #flushDelayMs: number;
  readonly #batchSize: number;
  readonly #retryDelayMs: number;

  constructor(private readonly o: BatchedWriterOptions<T>) {
    this.#flushDelayMs = o.flushDelayMs ?? 100;
    this.#batchSize = o.batchSize ?? 500;
    this.#retryDelayMs = o.retryDelayMs ?? 1_000;
  }

  get pending(): number {
    return this.#waiting.size;
  }

  add(record: T): void {
    const key = this.o.keyOf ? this.o.keyOf(record) : this.#arrivals++;
    if (this.#waiting.has(key)) return;
    if (this.#waiting.size >= this.o.maxBuffered) {
      this.#dropped++;
      return;
    }
    this.#waiting.set(key, record);
    if (this.#waiting.size >= this.#batchSize) void this.flush();
    else this.#schedule(this.#flushDelayMs);
  }

  /** Writes every record added so far (or until a write fails; the rest wait for the retry). */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    if (this.#waiting.size === 0) return Promise.resolve();
    // Assigned before the writer's first await can finish, so `finally` always clears the current one.
    this.#flushing = this.#writeAll().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, delayMs).unref();
  }

  async #writeAll(): Promise<void> {
    while (this.#waiting.size > 0) {
      const batch: Array<[string | number, T]> = [];
      for (const entry of this.#waiting) {
        batch.push(entry);
        if (batch.length === this.#batchSize) break;
      }
      for (const [key] of batch) this.#waiting.delete(key);
      try {
        await this.o.write(batch.map(([, record]) => record));
      } catch (err) {
        // Back in front of what arrived meanwhile; for a key seen again meanwhile, the earlier record wins.
        const waiting = new Map(batch);
        for (const [key, record] of this.#waiting) if (!waiting.has(key)) waiting.set(key, record);
        this.#waiting = waiting;
        this.o.log.error({ err, pending: this.#waiting.size }, `writing ${this.o.what} failed; will retry`);
        this.#schedule(this.#retryDelayMs);
        return;
      }
    }
    if (this.#dropped > 0) {
      this.o.log.warn({ dropped: this.#dropped }, `${this.o.what} dropped while too many were waiting to be written`);
      this.#dropped = 0;
    }
  }
}
