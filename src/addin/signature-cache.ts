/**
 * The add-in's view of the planner: each mailbox's expected set kept for a few seconds per instance.
 * Every compose window asks, and planning one mailbox reads the directory copy (person, manager,
 * groups, photos) and renders its templates: without this the planner, not the route, sets the add-in's
 * throughput. A template, rule or directory change reaches the add-in within `ttlMs` (the ETag changes
 * with it). Who may have a mailbox's set is decided per request from the set's UPN, never cached here.
 */
import type { ExpectedMailboxSignatures, SignaturePlanner } from '../signatures/model.js';

export interface SignatureCacheOptions {
  ttlMs: number;
  /** Mailboxes kept at most (default 20,000); the oldest go first. */
  maxEntries?: number;
  now?: () => number;
}

export function cachedExpectedSets(planner: Pick<SignaturePlanner, 'expectedFor'>, o: SignatureCacheOptions): Pick<SignaturePlanner, 'expectedFor'> {
  if (o.ttlMs <= 0) return planner;
  const now = o.now ?? Date.now;
  const max = o.maxEntries ?? 20_000;
  // Promises, so concurrent asks for one mailbox share one planning.
  const sets = new Map<string, { set: Promise<ExpectedMailboxSignatures | null>; until: number }>();
  return {
    expectedFor(mailbox) {
      const key = mailbox.toLowerCase();
      const at = now();
      const known = sets.get(key);
      if (known && known.until > at) return known.set;
      sets.delete(key);
      if (sets.size >= max) sets.delete(sets.keys().next().value!);
      const set = planner.expectedFor(key);
      // A failed planning is not remembered: the next ask tries again.
      set.catch(() => sets.delete(key));
      sets.set(key, { set, until: at + o.ttlMs });
      return set;
    },
  };
}
