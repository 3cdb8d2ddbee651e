import type { Generated } from 'kysely';

/**
 * Onboarding tables (MFA enrolment campaigns). Column conventions are the portable ones of
 * src/db/schema.ts: ISO-8601 UTC text timestamps, 0/1 booleans, JSON as text.
 */
export interface OnboardingTables {
  /** A rollout to a set of users. Migration 0003 creates the default one (`is_default = 1`). */
  campaign: {
    id: Generated<number>;
    name: string;
    /** Security group the enrol link adds users to; null: `onboarding.mfaGroupId` from config. */
    mfa_group_id: string | null;
    is_default: Generated<number>;
    created_at: string;
  };

  /**
   * One row per user per campaign: the seed's 24 tracking-list columns plus bookkeeping.
   * `upn` is kept as first given; `upn_key` (lower-case) makes the user unique per campaign.
   */
  /**
   * An admin's version of a campaign email (migration 0020): the latest per kind and language is the
   * one sent; a roll back adds a copy of an older one. No row for a kind and language: the catalogue.
   */
  email_template_version: {
    id: Generated<number>;
    /** invitation | reminder | escalation */
    kind: string;
    /** One of LANGUAGES. */
    language: string;
    subject: string;
    /** The editable format of email-templates.ts. */
    body: string;
    comment: string;
    created_by: string;
    created_at: string;
  };

  tracked_user: {
    id: Generated<number>;
    campaign_id: number;
    upn: string;
    upn_key: string;
    /** InviteStatus: one of USER_STATUS. */
    invite_status: string;
    /** Why the user is Excluded/Error/Overdue (or other human-readable context for the status). */
    status_reason: string | null;
    /** MFARegistrationState: Unknown | Not Registered | Registered. */
    mfa_registration_state: Generated<string>;
    in_group: Generated<number>;
    invite_sent_date: string | null;
    clicked_link_date: string | null;
    added_to_group_date: string | null;
    mfa_registration_date: string | null;
    last_checked: string | null;
    last_reminder_date: string | null;
    reminder_count: Generated<number>;
    source_batch_id: string | null;
    /** 256-bit random, URL-safe; unique; replaced on re-upload and resend. */
    link_secret: string;
    /** The secret before the last new cycle: its link offers a fresh one (migration 0011). */
    previous_link_secret: Generated<string | null>;
    /** The directory's `preferredLanguage` (BCP-47) at the last run: the language of the user's pages (migration 0020). */
    preferred_language: Generated<string | null>;
    correlation_id: string;
    notes: string | null;
    display_name: string | null;
    department: string | null;
    job_title: string | null;
    manager_upn: string | null;
    object_id: string | null;
    user_type: string | null;
    email_opened_date: string | null;
    escalated_to_manager: Generated<number>;
    escalation_date: string | null;
    created_at: string;
    updated_at: string;
    /** Incremented on every change: lets writers detect a concurrent update (optimistic concurrency). */
    version: Generated<number>;
  };

  /** A batch whose users the invitation run leaves alone until it is resumed (migration 0012). */
  paused_batch: {
    campaign_id: number;
    batch_id: string;
    paused_at: string;
    /** Who paused it (the audit log has the rest). */
    paused_by: string;
  };

  /**
   * Tracked users per campaign, batch (`''`: none), status and, for Excluded users, reason (`''`
   * otherwise), kept by triggers on tracked_user (migration 0017). On SQLite one row per key; on
   * PostgreSQL deltas appended per statement, so a key's count is the sum of its rows (see
   * `userCounts`).
   */
  tracked_user_count: {
    campaign_id: number;
    batch_key: string;
    invite_status: string;
    reason_key: string;
    users: number;
  };

  /** Append-only history of a tracked user: who/what/when, shown per user in the portal. */
  user_event: {
    id: Generated<number>;
    tracked_user_id: number;
    at: string;
    /** One of USER_EVENT. */
    type: string;
    /** `admin:<name>`, `token:<id>`, `user` (link/resend), `system` (workflow). */
    actor: string;
    /** JSON object with the event's details (status before/after, batch, error…). */
    detail: string;
  };
}
