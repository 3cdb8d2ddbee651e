/**
 * getUserAttributes as the seed answers it: the 20 default attributes (or the requested ones, from an
 * allow-list), in the seed's order, multi-valued ones flattened to name1, name2, …, nulls as "".
 * Served from the local directory cache with a short in-memory layer; never a Graph call per request.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { OnrampError } from '../errors.js';
import { PROFILE_ATTRIBUTES, type DirectoryProfile } from '../graph/graph-port.js';
import type { Clock } from '../lib/clock.js';
import { findProfileByUpn, lastSyncAt } from './directory.queries.js';

type Attribute = (typeof PROFILE_ATTRIBUTES)[number];
const BY_LOWER = new Map<string, Attribute>(PROFILE_ATTRIBUTES.map((a) => [a.toLowerCase(), a]));
const MAX_MEMORY_ENTRIES = 50_000;

export function flattenProfile(profile: DirectoryProfile, attributes: readonly Attribute[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of attributes) {
    const value = profile[name];
    if (Array.isArray(value)) {
      // An empty multi-valued attribute still yields name1, so templates see "" rather than nothing.
      const values = value.length > 0 ? value : [''];
      values.forEach((v, i) => {
        out[`${name}${i + 1}`] = v ?? '';
      });
    } else out[name] = value === null || value === undefined ? '' : String(value);
  }
  return out;
}

export class UserAttributes {
  readonly #allowed: Set<Attribute>;
  readonly #memory = new Map<string, { profile: DirectoryProfile | null; at: number }>();
  #syncedAt: { value: string | null; at: number } | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly options: { memoryTtlMs: number; allowedAttributes: readonly string[] },
  ) {
    this.#allowed = new Set(options.allowedAttributes.map((a) => BY_LOWER.get(a.toLowerCase())).filter((a): a is Attribute => a !== undefined));
  }

  /** Resolves requested names (case-insensitive) against the allow-list, keeping the caller's order. */
  attributesFor(requested: readonly string[] | undefined): Attribute[] {
    if (!requested || requested.length === 0) return PROFILE_ATTRIBUTES.filter((a) => this.#allowed.has(a));
    const out: Attribute[] = [];
    for (const name of requested) {
      const attr = BY_LOWER.get(name.toLowerCase());
      if (!attr || !this.#allowed.has(attr)) throw new OnrampError('ONRAMP_ERR_ATTRIBUTE_NOT_ALLOWED', [name]);
      if (!out.includes(attr)) out.push(attr);
    }
    return out;
  }

  /** Seconds since the cache last completed a sync round; throws 503 when it never has. */
  async cacheAgeSeconds(): Promise<number> {
    const now = this.clock.now().getTime();
    // Only a known sync time is memoised: a cache that was never filled is re-checked every call.
    if (!this.#syncedAt?.value || now - this.#syncedAt.at > Math.min(this.options.memoryTtlMs, 5000)) {
      this.#syncedAt = { value: await lastSyncAt(this.db), at: now };
    }
    if (!this.#syncedAt.value) throw new OnrampError('ONRAMP_ERR_DIRECTORY_NOT_READY');
    return Math.max(0, Math.round((now - Date.parse(this.#syncedAt.value)) / 1000));
  }

  async lookup(upn: string, requested?: readonly string[]): Promise<Record<string, string>> {
    const attributes = this.attributesFor(requested);
    const key = upn.trim().toLowerCase();
    const now = this.clock.now().getTime();
    let entry = this.#memory.get(key);
    if (!entry || now - entry.at > this.options.memoryTtlMs) {
      entry = { profile: await findProfileByUpn(this.db, key), at: now };
      if (this.#memory.size >= MAX_MEMORY_ENTRIES) this.#memory.clear();
      this.#memory.set(key, entry);
    }
    // Disabled and unknown users look the same: a device learns nothing about which it was.
    if (!entry.profile) throw new OnrampError('ONRAMP_ERR_UNKNOWN_USER');
    return flattenProfile(entry.profile, attributes);
  }
}
