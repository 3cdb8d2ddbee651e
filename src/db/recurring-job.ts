/**
 * The one way onramp runs something again and again (invitation run, scheduled report, directory sync,
 * beacon and audit retention, SQLite's optimize): a name, a schedule, an optional lease with a
 * heartbeat, stop, and a status for readiness and metrics.
 *
 * What it guarantees, so each job need not:
 * - a run's error never escapes: it is counted, logged once per distinct cause (repeats at debug, the
 *   recovery at info) and kept in the status; the job runs again after `retryAfterFailureMs`;
 * - waits longer than Node's timer limit (2^31-1 ms, ~24.8 days) are slept in steps, never overflow
 *   (an overflowing setTimeout fires after 1 ms: the server then ran a workflow 8,053 times in 10 s);
 * - a schedule of null is off: the job runs only when triggered;
 * - with `lease.resumeInterrupted`, every instance looks at the lease each `pollMs`; a lease that
 *   expired while held means its holder died mid-run, and the first instance to see it takes over and
 *   runs at once: an interrupted run resumes within the lease's ttl plus one poll, not at the next
 *   scheduled time.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { leaseHolder, releaseLease, tryAcquireLease } from './leases.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { inSpan } from '../observability/tracing.js';

/** When the next run is due after `after`; null: no scheduled run (only triggers). */
export type Schedule = (after: Date) => Date | null;

/** Every `ms`; null or 0 turns the schedule off. */
export function everyMs(ms: number | null): Schedule {
  if (ms === null || ms <= 0) return () => null;
  return (after) => new Date(after.getTime() + ms);
}

export interface RecurringJobStatus {
  name: string;
  state: 'stopped' | 'idle' | 'running';
  runs: number;
  failures: number;
  consecutiveFailures: number;
  lastStartedAt: string | null;
  lastFinishedAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  /** Runs skipped because another instance held the lease. */
  skippedForLease: number;
  /** Interrupted runs of another instance this one took over. */
  takeovers: number;
  nextRunAt: string | null;
}

export interface RecurringJobOptions<T> {
  name: string;
  schedule: Schedule;
  /** The work. Its result goes to `runNow()` callers. */
  run: () => Promise<T>;
  /** True when the run left work it could not do (failed chunks): another run follows after `retryAfterFailureMs`. */
  leftWork?: (result: T) => boolean;
  log: Logger;
  clock: Clock;
  /** Also run once at start(). Default true. */
  runAtStart?: boolean;
  /** After a failed run the next one comes this soon (or at the schedule, if sooner). Default 30 s. */
  retryAfterFailureMs?: number;
  /** Trigger bursts gathered into one run. Default 0 (next turn of the event loop). */
  debounceMs?: number;
  /** One run at a time across instances. */
  lease?: {
    db: Kysely<Database>;
    /** Row name in `lease`; defaults to the job's name. */
    name?: string;
    holder: string;
    ttlMs: number;
    /** Release when the run ends (default). False: the lease is left to expire (one run per slot). */
    release?: boolean;
    /** Watch the lease and take over a run whose holder died. Default false. */
    resumeInterrupted?: boolean;
    /** How often the lease is looked at when resuming interrupted runs. Default min(10 s, ttl/2). */
    pollMs?: number;
  };
  /** Called after every run, with the status (metrics). */
  onRunEnd?: (status: RecurringJobStatus) => void;
}

/** Node's timers hold a signed 32-bit millisecond count. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Long waits are slept in steps of at most this, re-reading the clock each time. */
const WAIT_STEP_MS = 60 * 60_000;

export class RecurringJob<T = unknown> {
  readonly name: string;
  #stopped = true;
  #timer: NodeJS.Timeout | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #dueAt: Date | null = null;
  #running: Promise<T | undefined> | undefined;
  #again = false;
  #lastLoggedError: string | null = null;
  readonly #status: RecurringJobStatus;
  readonly #runObservers = new Set<RunObserver>();

  constructor(private readonly o: RecurringJobOptions<T>) {
    this.name = o.name;
    this.#status = {
      name: o.name,
      state: 'stopped',
      runs: 0,
      failures: 0,
      consecutiveFailures: 0,
      lastStartedAt: null,
      lastFinishedAt: null,
      lastError: null,
      lastErrorAt: null,
      skippedForLease: 0,
      takeovers: 0,
      nextRunAt: null,
    };
  }

  status(): RecurringJobStatus {
    return { ...this.#status, nextRunAt: this.#dueAt?.toISOString() ?? null };
  }

  /** Told after every run (metrics: durations); returns the unsubscribe. */
  observeRuns(observer: RunObserver): () => void {
    this.#runObservers.add(observer);
    return () => this.#runObservers.delete(observer);
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#status.state = 'idle';
    if (this.o.runAtStart ?? true) this.#dueAt = this.o.clock.now();
    else this.#dueAt = this.o.schedule(this.o.clock.now());
    this.#arm();
    const lease = this.o.lease;
    if (lease?.resumeInterrupted) {
      const poll = lease.pollMs ?? Math.min(10_000, lease.ttlMs / 2);
      this.#pollTimer = setInterval(() => void this.#watchLease(), Math.max(100, Math.min(poll, MAX_TIMER_MS)));
      this.#pollTimer.unref();
    }
  }

  /** A run soon (after `debounceMs`), gathering bursts; false once stopped. */
  trigger(): boolean {
    if (this.#stopped) return false;
    const at = new Date(this.o.clock.now().getTime() + (this.o.debounceMs ?? 0));
    // A trigger moves the next run earlier, never later; a burst of triggers keeps pushing a debounced run back.
    if (this.o.debounceMs || !this.#dueAt || at < this.#dueAt) this.#dueAt = at;
    this.#arm();
    return true;
  }

  /**
   * One run now, whatever the schedule (CLI, tests). A call during a run waits for it and runs again.
   * Resolves undefined when another instance holds the lease. Rejects with the run's error (also counted
   * and logged like any run).
   */
  runNow(): Promise<T | undefined> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    const running = (async () => {
      try {
        let result: T | undefined;
        do {
          this.#again = false;
          result = await this.#runOnce();
        } while (this.#again);
        return result;
      } finally {
        this.#running = undefined;
      }
    })();
    this.#running = running;
    return running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#status.state = 'stopped';
    clearTimeout(this.#timer);
    clearInterval(this.#pollTimer);
    this.#dueAt = null;
    await this.#running?.catch(() => {});
  }

  #arm(): void {
    clearTimeout(this.#timer);
    if (this.#stopped || !this.#dueAt) return;
    const wait = Math.max(0, this.#dueAt.getTime() - this.o.clock.now().getTime());
    this.#timer = setTimeout(() => this.#fire(), Math.min(wait, WAIT_STEP_MS));
    this.#timer.unref();
  }

  #fire(): void {
    if (this.#stopped || !this.#dueAt) return;
    // A long wait is slept in steps; each step looks at the clock again.
    if (this.#dueAt.getTime() > this.o.clock.now().getTime()) {
      this.#arm();
      return;
    }
    this.#dueAt = null;
    this.runNow()
      .catch(() => {}) // counted and logged in #runOnce
      .finally(() => this.#scheduleNext());
  }

  #scheduleNext(): void {
    if (this.#stopped) return;
    const now = this.o.clock.now();
    let next = this.o.schedule(now);
    if (this.#status.consecutiveFailures > 0 || this.#followUp) {
      const retry = new Date(now.getTime() + (this.o.retryAfterFailureMs ?? 30_000));
      if (!next || retry < next) next = retry;
    }
    this.#followUp = false;
    // A trigger that came during the run may already have set an earlier time.
    if (!this.#dueAt || (next && next < this.#dueAt)) this.#dueAt = next;
    this.#arm();
  }

  #followUp = false;

  async #runOnce(): Promise<T | undefined> {
    const { log, clock, lease } = this.o;
    if (lease && !(await this.#acquire())) {
      this.#status.skippedForLease++;
      log.debug({ job: this.name }, 'job skipped: another instance holds its lease');
      return undefined;
    }
    this.#status.state = 'running';
    this.#status.lastStartedAt = clock.now().toISOString();
    const started = performance.now();
    let ok = false;
    let renewing: Promise<unknown> = Promise.resolve();
    const heartbeat = lease
      ? setInterval(
          () => {
            renewing = tryAcquireLease(lease.db, this.#leaseName, lease.holder, lease.ttlMs, clock.now()).then(
              (held) => held || log.warn({ job: this.name }, 'job lost its lease; another instance may be running it too'),
              (err: unknown) => log.warn({ job: this.name, err }, 'job could not renew its lease'),
            );
          },
          Math.max(50, lease.ttlMs / 3),
        )
      : undefined;
    try {
      const result = await inSpan(`job ${this.name}`, { 'onramp.job': this.name }, () => this.o.run());
      ok = true;
      if (this.o.leftWork?.(result)) this.#followUp = true;
      this.#status.runs++;
      if (this.#status.consecutiveFailures > 0) log.info({ job: this.name, after: this.#status.consecutiveFailures }, 'job recovered');
      this.#status.consecutiveFailures = 0;
      this.#lastLoggedError = null;
      return result;
    } catch (err) {
      this.#status.runs++;
      this.#status.failures++;
      this.#status.consecutiveFailures++;
      const message = describeError(err);
      this.#status.lastError = message;
      this.#status.lastErrorAt = clock.now().toISOString();
      // Once per distinct cause: a database that stays down must not write the same stack every poll.
      if (message !== this.#lastLoggedError) log.error({ job: this.name, err }, `job failed: ${message}`);
      else log.debug({ job: this.name, failures: this.#status.consecutiveFailures }, `job failed again: ${message}`);
      this.#lastLoggedError = message;
      throw err;
    } finally {
      clearInterval(heartbeat);
      if (lease) {
        // A renewal still on its way would otherwise land after the release and hold the lease again.
        await renewing;
        if (lease.release ?? true) await releaseLease(lease.db, this.#leaseName, lease.holder).catch(() => {});
      }
      this.#status.state = this.#stopped ? 'stopped' : 'idle';
      this.#status.lastFinishedAt = clock.now().toISOString();
      this.o.onRunEnd?.(this.status());
      if (this.#runObservers.size > 0) {
        const status = this.status();
        const seconds = (performance.now() - started) / 1000;
        for (const observe of this.#runObservers) observe(status, seconds, ok);
      }
    }
  }

  get #leaseName(): string {
    return this.o.lease?.name ?? this.name;
  }

  async #acquire(): Promise<boolean> {
    const lease = this.o.lease!;
    try {
      return await tryAcquireLease(lease.db, this.#leaseName, lease.holder, lease.ttlMs, this.o.clock.now());
    } catch (err) {
      // The database refusing the lease is a failed run like any other (counted, retried).
      throw new Error(`could not take the lease ${this.#leaseName}: ${describeError(err)}`, { cause: err });
    }
  }

  /** A lease still held but expired: its holder stopped renewing mid-run. Take the run over. */
  async #watchLease(): Promise<void> {
    const lease = this.o.lease!;
    if (this.#stopped || this.#running) return;
    try {
      const row = await leaseHolder(lease.db, this.#leaseName);
      if (!row || row.holder === lease.holder) return;
      if (new Date(row.expiresAt).getTime() >= this.o.clock.now().getTime()) return;
      this.#status.takeovers++;
      this.o.log.warn(
        { job: this.name, holder: row.holder, expiredAt: row.expiresAt },
        'job: the instance running it stopped renewing its lease; taking the run over',
      );
      this.#dueAt = null;
      clearTimeout(this.#timer);
      await this.runNow().catch(() => {});
      this.#scheduleNext();
    } catch (err) {
      this.o.log.debug({ job: this.name, err }, 'job: could not look at its lease');
    }
  }
}

/** The cause a log line should name: the innermost message, with its code when it has one. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}

/** The jobs of one process, for readiness and metrics. */
/** A run's end: the status after it, how long it took, and whether it succeeded. */
export type RunObserver = (status: RecurringJobStatus, seconds: number, ok: boolean) => void;

interface BoardJob {
  status(): RecurringJobStatus;
  observeRuns?(observer: RunObserver): () => void;
}

export class JobBoard {
  readonly #jobs = new Map<BoardJob, (() => void) | undefined>();
  readonly #observers = new Set<RunObserver>();

  add<J extends BoardJob>(job: J): J {
    const unsubscribe = job.observeRuns?.((status, seconds, ok) => {
      for (const observe of this.#observers) observe(status, seconds, ok);
    });
    this.#jobs.set(job, unsubscribe);
    return job;
  }

  remove(job: BoardJob): void {
    this.#jobs.get(job)?.();
    this.#jobs.delete(job);
  }

  /** Told of every run of every job on the board, present and future. */
  observeRuns(observer: RunObserver): void {
    this.#observers.add(observer);
  }

  statuses(): RecurringJobStatus[] {
    return [...this.#jobs.keys()].map((j) => j.status());
  }
}
