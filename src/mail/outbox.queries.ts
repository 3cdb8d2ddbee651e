import type { ExpressionBuilder, Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

/** An email as the outbox stores it. */
export interface OutboxRow {
  id: number;
  message_id: string;
  kind: string;
  recipient: string;
  payload: string;
  tracked_user_id: number | null;
  attempts: number;
  created_at: string;
}

export interface OutboxInsert {
  message_id: string;
  kind: string;
  recipient: string;
  payload: string;
  tracked_user_id: number | null;
}

type Db = Kysely<Database> | Transaction<Database>;

export async function insertOutbox(db: Db, rows: readonly OutboxInsert[], nowIso: string, chunkSize: number): Promise<void> {
  for (let i = 0; i < rows.length; i += chunkSize) {
    const chunk = rows.slice(i, i + chunkSize);
    await db
      .insertInto('mail_outbox')
      .values(chunk.map((r) => ({ ...r, status: 'pending' as const, attempts: 0, next_attempt_at: nowIso, created_at: nowIso })))
      .execute();
  }
}

/**
 * Claims up to `limit` due emails for this sender: pending ones whose time has come, and ones left in
 * 'sending' by a sender whose claim expired (it died mid-delivery). The conditional update is the
 * claim: two senders picking the same row cannot both match it, so each email has one owner at a time.
 */
export async function claimDue(db: Kysely<Database>, claimToken: string, nowIso: string, expiresIso: string, limit: number): Promise<OutboxRow[]> {
  const due = (eb: ExpressionBuilder<Database, 'mail_outbox'>) =>
    eb.or([
      eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', nowIso)]),
      eb.and([eb('status', '=', 'sending'), eb('claim_expires_at', '<', nowIso)]),
    ]);
  const candidates = await db.selectFrom('mail_outbox').select('id').where(due).orderBy('id').limit(limit).execute();
  if (candidates.length === 0) return [];
  await db
    .updateTable('mail_outbox')
    .set((eb) => ({ status: 'sending', claim_token: claimToken, claim_expires_at: expiresIso, attempts: eb('attempts', '+', 1) }))
    .where(
      'id',
      'in',
      candidates.map((c) => c.id),
    )
    .where(due)
    .execute();
  return db
    .selectFrom('mail_outbox')
    .select(['id', 'message_id', 'kind', 'recipient', 'payload', 'tracked_user_id', 'attempts', 'created_at'])
    .where('claim_token', '=', claimToken)
    .where('status', '=', 'sending')
    .orderBy('id')
    .execute();
}

/** Each outcome is recorded only while the claim is still ours, so a sender that overran its claim changes nothing. */
export async function markSent(db: Db, id: number, claimToken: string, nowIso: string): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set({ status: 'sent', sent_at: nowIso, claim_token: null, claim_expires_at: null, last_error: null })
    .where('id', '=', id)
    .where('claim_token', '=', claimToken)
    .execute();
}

export async function markRetry(db: Db, id: number, claimToken: string, nextIso: string, error: string): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set({ status: 'pending', next_attempt_at: nextIso, claim_token: null, claim_expires_at: null, last_error: error })
    .where('id', '=', id)
    .where('claim_token', '=', claimToken)
    .execute();
}

/** Gives back a claimed email that was not attempted: pending again, the attempt not counted. */
export async function releaseClaim(db: Db, id: number, claimToken: string): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set((eb) => ({ status: 'pending', claim_token: null, claim_expires_at: null, attempts: eb('attempts', '-', 1) }))
    .where('id', '=', id)
    .where('claim_token', '=', claimToken)
    .execute();
}

/** True when the row was still ours and is now failed. */
export async function markFailed(db: Db, id: number, claimToken: string, error: string): Promise<boolean> {
  const result = await db
    .updateTable('mail_outbox')
    .set({ status: 'failed', claim_token: null, claim_expires_at: null, last_error: error })
    .where('id', '=', id)
    .where('claim_token', '=', claimToken)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function outboxCounts(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('mail_outbox')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** Emails not yet sent or given up, and the oldest one's queue time: read by the index on status. */
export async function outboxBacklog(db: Db): Promise<{ queued: number; oldestQueuedAt: string | null }> {
  const row = await db
    .selectFrom('mail_outbox')
    .select([(eb) => eb.fn.countAll<number | string>().as('n'), (eb) => eb.fn.min<string | null>('created_at').as('oldest')])
    .where('status', 'in', ['pending', 'sending'])
    .executeTakeFirst();
  return { queued: Number(row?.n ?? 0), oldestQueuedAt: row?.oldest ?? null };
}
