import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { MailMessage } from '../graph/graph-port.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { MailDeliveryError, type MailSettings, type MailTransport } from './transports.js';
import {
  claimDue,
  insertOutbox,
  markFailed,
  markRetry,
  markSent,
  outboxBacklog,
  outboxCounts,
  releaseClaim,
  type OutboxInsert,
  type OutboxRow,
} from './outbox.queries.js';

/**
 * The outbox: emails are rows written in the same transaction as the status change that causes them,
 * and a sender delivers them afterwards. So an email exists if and only if its status change committed.
 *
 * Delivery guarantee (SMTP and Graph offer no idempotency key): AT-LEAST-ONCE, narrowed to one window.
 * A sender claims a row (status 'sending', a claim token, an expiry, attempts+1) before talking to the
 * relay, and records 'sent' right after the relay accepts. If the process dies:
 * - before the claim, or after 'sent' committed: nothing is lost, nothing is repeated;
 * - between the claim and the relay's acceptance: the relay has nothing; once the claim expires another
 *   round sends the email (the only copy);
 * - between the relay's acceptance and the 'sent' commit (one database round trip, milliseconds): the
 *   email is sent again after the claim expires. The copy carries the SAME Message-ID, which mail
 *   clients and Exchange use to fold duplicates.
 * We prefer a rare, recognisable duplicate to a silently lost invitation.
 */

export interface QueuedEmail {
  kind: string;
  message: Omit<MailMessage, 'messageId'>;
  trackedUserId?: number | null;
}

export interface GivenUpEmail {
  outboxId: number;
  kind: string;
  trackedUserId: number | null;
  recipient: string;
  reason: string;
  /** When the email was queued: the user's cycle it belongs to may since have been replaced by another. */
  queuedAt: string;
}

/** Runs inside the transaction that marks the email failed (the onboarding workflow sets the user to Error). */
export type GiveUpHandler = (trx: Transaction<Database>, email: GivenUpEmail) => Promise<void>;

function messageIdDomain(from: string): string {
  const domain = from.split('@')[1]?.trim();
  return domain && /^[a-z0-9.-]+$/i.test(domain) ? domain : 'onramp.invalid';
}

/** Writes emails into the outbox inside the caller's transaction. */
export async function enqueueEmails(
  trx: Transaction<Database> | Kysely<Database>,
  emails: readonly QueuedEmail[],
  options: { now: Date; from: string; maxParameters: number },
): Promise<void> {
  if (emails.length === 0) return;
  const domain = messageIdDomain(options.from);
  const rows: OutboxInsert[] = emails.map((e) => ({
    message_id: `<${randomUUID()}@${domain}>`,
    kind: e.kind,
    recipient: e.message.to.map((t) => t.address).join(', '),
    payload: JSON.stringify(e.message),
    tracked_user_id: e.trackedUserId ?? null,
  }));
  // 5 bound values a row (the rest are constants the builder inlines as parameters too: 9 in all).
  await insertOutbox(trx, rows, options.now.toISOString(), Math.max(1, Math.floor(options.maxParameters / 10)));
}

export interface DeliveryRound {
  sent: number;
  retried: number;
  failed: number;
}

export interface OutboxSenderDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  settings: MailSettings;
  transport: MailTransport;
  onGiveUp?: GiveUpHandler;
}

/** Emails in the outbox by status (pending, sending, sent, failed): what the CLI reports after a run. */
export function countOutbox(db: Parameters<typeof outboxCounts>[0]): Promise<Record<string, number>> {
  return outboxCounts(db);
}

/** The backlog metrics read at each scrape (src/observability/metrics.ts). */
export function outboxBacklogOf(db: Parameters<typeof outboxBacklog>[0]): ReturnType<typeof outboxBacklog> {
  return outboxBacklog(db);
}

export class OutboxSender {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<DeliveryRound> | undefined;
  #again = false;
  #stopped = false;
  readonly #delivered: DeliveryRound = { sent: 0, retried: 0, failed: 0 };

  constructor(private readonly deps: OutboxSenderDeps) {}

  /** Every outcome of this sender since it was made, across all rounds (a round woken by a run included). */
  get delivered(): DeliveryRound {
    return { ...this.#delivered };
  }

  /** Backoff before attempt `attempts + 1`: base, 2×base, 4×base … capped. */
  backoffMs(attempts: number): number {
    const { retryBaseMs, retryMaxMs } = this.deps.settings;
    return Math.min(retryMaxMs, retryBaseMs * 2 ** Math.max(0, attempts - 1));
  }

  /** Delivers everything due now; returns when nothing due is left. One round at a time per sender. */
  deliverDue(): Promise<DeliveryRound> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      const total: DeliveryRound = { sent: 0, retried: 0, failed: 0 };
      try {
        do {
          this.#again = false;
          for (;;) {
            const round = await this.#deliverBatch();
            if (round === undefined) break;
            for (const k of ['sent', 'retried', 'failed'] as const) {
              total[k] += round[k];
              this.#delivered[k] += round[k];
            }
          }
        } while (this.#again && !this.#stopped);
      } finally {
        this.#running = undefined;
      }
      return total;
    })();
    return this.#running;
  }

  async #deliverBatch(): Promise<DeliveryRound | undefined> {
    const { db, clock, settings } = this.deps;
    if (this.#stopped) return undefined;
    const claimToken = randomUUID();
    const now = clock.now();
    const rows = await claimDue(db, claimToken, now.toISOString(), new Date(now.getTime() + settings.claimTtlMs).toISOString(), settings.concurrency * 8);
    if (rows.length === 0) return undefined;
    const round: DeliveryRound = { sent: 0, retried: 0, failed: 0 };
    // A send begun late in the claim (a slow relay held up the batch) could still be under way when the
    // claim expires and another sender takes the email: a second copy. So no send starts after half the
    // claim's lifetime; the rest are given back and claimed afresh by the next batch.
    const startBy = now.getTime() + settings.claimTtlMs / 2;
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const row = rows[next++]!;
        if (clock.now().getTime() > startBy) await releaseClaim(db, row.id, claimToken);
        else round[await this.#deliverOne(row, claimToken)]++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(settings.concurrency, rows.length) }, worker));
    return round;
  }

  async #deliverOne(row: OutboxRow, claimToken: string): Promise<keyof DeliveryRound> {
    const { db, clock, log, settings, transport } = this.deps;
    const message = { ...(JSON.parse(row.payload) as MailMessage), messageId: row.message_id };
    try {
      await transport.send(message);
    } catch (err) {
      const failure = err instanceof MailDeliveryError ? err : new MailDeliveryError((err as Error).message, false, { cause: err });
      if (failure.permanent || row.attempts >= settings.maxAttempts) {
        const reason = failure.permanent ? `email refused: ${failure.message}` : `email not delivered after ${row.attempts} attempts: ${failure.message}`;
        await db.transaction().execute(async (trx) => {
          if (!(await markFailed(trx, row.id, claimToken, reason))) return;
          await this.deps.onGiveUp?.(trx, {
            outboxId: row.id,
            kind: row.kind,
            trackedUserId: row.tracked_user_id,
            recipient: row.recipient,
            reason,
            queuedAt: row.created_at,
          });
        });
        log.warn({ outboxId: row.id, kind: row.kind, recipient: row.recipient, reason }, 'email given up');
        return 'failed';
      }
      const nextAt = new Date(clock.now().getTime() + this.backoffMs(row.attempts)).toISOString();
      await markRetry(db, row.id, claimToken, nextAt, failure.message);
      log.info({ outboxId: row.id, attempt: row.attempts, nextAt, error: failure.message }, 'email delivery failed; will retry');
      return 'retried';
    }
    await markSent(db, row.id, claimToken, clock.now().toISOString());
    log.debug({ outboxId: row.id, kind: row.kind, messageId: row.message_id }, 'email sent');
    return 'sent';
  }

  /** Polls for due emails (retries come due on their own) until stop(). */
  start(): void {
    this.#stopped = false;
    const tick = () => {
      this.deliverDue()
        .catch((err: unknown) => this.deps.log.error({ err }, 'email delivery round failed'))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.deps.settings.pollIntervalMs);
        });
    };
    tick();
  }

  /** Asks for a round soon (after emails were queued). */
  wake(): void {
    if (this.#stopped) return;
    this.deliverDue().catch((err: unknown) => this.deps.log.error({ err }, 'email delivery round failed'));
  }

  /** Lets the round in flight finish its current batch, then stops. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => {});
  }
}
