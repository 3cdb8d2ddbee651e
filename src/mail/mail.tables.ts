import type { Generated } from 'kysely';

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed';

export interface MailTables {
  /**
   * Emails waiting to be delivered, written in the same transaction as the change that caused them.
   * A row moves pending → sending (claimed) → sent, back to pending for a retry, or failed.
   */
  mail_outbox: {
    id: Generated<number>;
    /** Stable RFC 5322 Message-ID: a redelivery after a crash carries the same id. */
    message_id: string;
    /** invitation | reminder | escalation | …, for reports and logs. */
    kind: string;
    recipient: string;
    /** JSON of the MailMessage (to, cc, subject, html, text). */
    payload: string;
    /** The tracked user the email is about; set to Error when delivery is given up. */
    tracked_user_id: number | null;
    status: OutboxStatus;
    attempts: number;
    next_attempt_at: string;
    claim_token: string | null;
    claim_expires_at: string | null;
    last_error: string | null;
    created_at: string;
    sent_at: string | null;
  };
}
