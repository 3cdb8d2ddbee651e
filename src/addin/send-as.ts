/**
 * Who may take a shared mailbox's signatures through the add-in: a user Exchange lets send as it
 * (Get-Mailbox says `SharedMailbox`, Get-RecipientPermission grants the user `SendAs`). Another
 * person's own mailbox is never one, whatever Exchange grants on it.
 *
 * Verdicts, yes and no alike, are kept for `ttlMs` (a revoked grant stops counting within that time)
 * in a bounded map, so a compose window costs no cmdlet after the first. Lookups Exchange has to answer
 * are limited per user, so one token cannot spend the tenant's Exchange budget (which the signature push
 * shares) on guessed addresses.
 */
import type { ExchangePort } from '../graph/graph-port.js';
import { TokenBuckets } from '../lib/token-buckets.js';

export interface SendAsOptions {
  /** How long a verdict holds (default 10 minutes). */
  ttlMs?: number;
  /** Verdicts kept at most (default 20,000); the oldest go first. */
  maxEntries?: number;
  /** Exchange lookups per user: sustained per second and burst (default 1/s, 20). */
  lookupsPerSecond?: number;
  lookupBurst?: number;
  now?: () => number;
}

/** The answer for one (mailbox, user): allowed, refused, or too many lookups (retry after the seconds). */
export type SendAsVerdict = { allowed: boolean } | { throttledSeconds: number };

export class SendAsCheck {
  readonly #verdicts = new Map<string, { allowed: boolean; until: number }>();
  readonly #lookups: TokenBuckets;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(
    private readonly exchange: Pick<ExchangePort, 'getMailbox' | 'hasSendAs'>,
    o: SendAsOptions = {},
  ) {
    this.#ttlMs = o.ttlMs ?? 600_000;
    this.#maxEntries = o.maxEntries ?? 20_000;
    this.#lookups = new TokenBuckets(o.lookupsPerSecond ?? 1, o.lookupBurst ?? 20);
    this.#now = o.now ?? Date.now;
  }

  /** `mailbox` as asked (an address), `user` the token's lower-cased UPN. Exchange failures propagate (not cached). */
  async check(mailbox: string, user: string): Promise<SendAsVerdict> {
    const key = `${mailbox.toLowerCase()}\n${user}`;
    const now = this.#now();
    const known = this.#verdicts.get(key);
    if (known && known.until > now) return { allowed: known.allowed };
    const wait = this.#lookups.take(user, now);
    if (wait > 0) return { throttledSeconds: wait };
    const allowed = await this.#ask(mailbox, user);
    this.#verdicts.delete(key);
    if (this.#verdicts.size >= this.#maxEntries) this.#verdicts.delete(this.#verdicts.keys().next().value!);
    this.#verdicts.set(key, { allowed, until: now + this.#ttlMs });
    return { allowed };
  }

  async #ask(mailbox: string, user: string): Promise<boolean> {
    const found = await this.exchange.getMailbox(mailbox);
    if (!found || found.recipientTypeDetails !== 'SharedMailbox') return false;
    return this.exchange.hasSendAs(found.primarySmtpAddress, user);
  }
}
