import type { Clock } from '../lib/clock.js';

/**
 * Fixed-window counters kept in memory, per instance. Good enough for the resend form: its purpose is
 * to stop one client hammering one instance; a cluster multiplies the allowance by its size at worst.
 */
export class WindowRateLimiter {
  readonly #hits = new Map<string, { windowStart: number; count: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts a hit for `key`; false when the key is over its limit in the current window. */
  take(key: string): boolean {
    const now = this.clock.now().getTime();
    const entry = this.#hits.get(key);
    if (!entry || now - entry.windowStart >= this.windowMs) {
      if (this.#hits.size > 100_000) this.#evict(now);
      this.#hits.set(key, { windowStart: now, count: 1 });
      return true;
    }
    entry.count++;
    return entry.count <= this.limit;
  }

  #evict(now: number): void {
    for (const [key, entry] of this.#hits) if (now - entry.windowStart >= this.windowMs) this.#hits.delete(key);
  }
}
