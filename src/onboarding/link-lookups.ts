/**
 * The enrol page's token lookups, gathered for one turn of the event loop and answered by one query.
 * On SQLite the fixed cost of a statement (starting a read transaction: file locks, WAL index) is
 * several times that of the indexed lookup itself; a batch pays it once. Every lookup is answered by a
 * query that started after it was asked, so nothing is served stale.
 */
import type { Storage } from '../db/dialect.js';
import * as q from './onboarding.queries.js';

/** Bounded so the statement stays small; more waiting tokens make more queries in the same turn. */
const MAX_BATCH = 200;

interface Waiter {
  resolve: (holder: q.LinkHolder | undefined) => void;
  reject: (err: unknown) => void;
}

export class LinkLookups {
  #waiting = new Map<string, Waiter[]>();
  #scheduled = false;

  constructor(private readonly storage: Storage) {}

  find(token: string): Promise<q.LinkHolder | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.#waiting.get(token);
      if (waiters) waiters.push({ resolve, reject });
      else this.#waiting.set(token, [{ resolve, reject }]);
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#run());
      }
    });
  }

  async #run(): Promise<void> {
    this.#scheduled = false;
    const all = this.#waiting;
    this.#waiting = new Map();
    const tokens = [...all.keys()];
    await Promise.all(
      Array.from({ length: Math.ceil(tokens.length / MAX_BATCH) }, async (_, i) => {
        const batch = tokens.slice(i * MAX_BATCH, (i + 1) * MAX_BATCH);
        try {
          const found = await q.findLinkHolders(this.storage.db, this.storage.dialect, batch);
          for (const token of batch) for (const w of all.get(token)!) w.resolve(found.get(token));
        } catch (err) {
          for (const token of batch) for (const w of all.get(token)!) w.reject(err);
        }
      }),
    );
  }
}
