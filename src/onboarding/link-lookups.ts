/**
 * The enrol page's link lookups, gathered for one turn of the event loop and answered by one query.
 * On SQLite the fixed cost of a statement (starting a read transaction: file locks, WAL index) is
 * several times that of the indexed lookup itself; a batch pays it once. Every lookup is answered by a
 * query that started after it was asked, so nothing is served stale.
 */
import type { Storage } from '../db/dialect.js';
import { linkOpensFor, type LinkToken } from './onboarding.domain.js';
import * as q from './onboarding.queries.js';

/** Bounded so the statement stays small; more waiting links make more queries in the same turn. */
const MAX_BATCH = 200;

/** What the enrol confirmation shows of a link's owner (the secret stays here). */
export type LinkOwner = Pick<q.LinkHolder, 'upn' | 'in_group' | 'preferred_language'>;

interface Waiter {
  link: LinkToken;
  resolve: (owner: LinkOwner | undefined) => void;
  reject: (err: unknown) => void;
}

export class LinkLookups {
  #waiting = new Map<number, Waiter[]>();
  #scheduled = false;

  constructor(private readonly storage: Storage) {}

  /** The link's owner, if the secret is theirs and they may still enrol. */
  find(link: LinkToken): Promise<LinkOwner | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.#waiting.get(link.id);
      if (waiters) waiters.push({ link, resolve, reject });
      else this.#waiting.set(link.id, [{ link, resolve, reject }]);
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
    const ids = [...all.keys()];
    await Promise.all(
      Array.from({ length: Math.ceil(ids.length / MAX_BATCH) }, async (_, i) => {
        const batch = ids.slice(i * MAX_BATCH, (i + 1) * MAX_BATCH);
        try {
          const found = await q.findLinkHolders(this.storage.db, this.storage.dialect, batch);
          for (const id of batch) {
            const holder = found.get(id);
            for (const w of all.get(id)!)
              w.resolve(
                holder && linkOpensFor(holder, w.link)
                  ? { upn: holder.upn, in_group: holder.in_group, preferred_language: holder.preferred_language }
                  : undefined,
              );
          }
        } catch (err) {
          for (const id of batch) for (const w of all.get(id)!) w.reject(err);
        }
      }),
    );
  }
}
