import type { Clock } from './clock.js';

/**
 * Fixed-window counters kept in memory, per instance. Good enough for what it guards: its purpose is
 * to stop one client hammering one instance (the resend form, sign-in); a cluster multiplies the
 * allowance by its size at worst.
 *
 * Keys are kept in the order their windows started (a key whose window restarts moves to the end), so
 * expired keys are always at the front: each new window drops them from there, a constant cost per
 * request however many keys a flood of addresses brings. Past `maxKeys` live keys the oldest are
 * forgotten, which bounds memory and at worst gives those clients a fresh allowance.
 */
export class WindowRateLimiter {
  readonly #hits = new Map<string, { windowStart: number; count: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts a hit for `key`; false when the key is over its limit in the current window. */
  take(key: string): boolean {
    const now = this.clock.now().getTime();
    const entry = this.#hits.get(key);
    if (entry && now - entry.windowStart < this.windowMs) {
      entry.count++;
      return entry.count <= this.limit;
    }
    this.#hits.delete(key);
    for (const [oldest, first] of this.#hits) {
      if (now - first.windowStart < this.windowMs && this.#hits.size < this.maxKeys) break;
      this.#hits.delete(oldest);
    }
    this.#hits.set(key, { windowStart: now, count: 1 });
    return true;
  }

  /** Keys currently remembered (tests, metrics). */
  get size(): number {
    return this.#hits.size;
  }
}
