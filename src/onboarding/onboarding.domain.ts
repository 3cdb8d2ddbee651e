/**
 * Onboarding domain: statuses, events and the rules for changing a tracked user. Plain functions over
 * plain records, free of SQL and HTTP, so the upload, the links, the workflow and the portal share them.
 */

/** InviteStatus values. The seed documented Clicked/AddedToGroup but never set them; we do. */
export const USER_STATUS = Object.freeze({
  Pending: 'Pending',
  Sent: 'Sent',
  Clicked: 'Clicked',
  AddedToGroup: 'AddedToGroup',
  Active: 'Active',
  /** Disabled, guest, not found: with the reason in status_reason. No email. */
  Excluded: 'Excluded',
  /** Maximum reminders reached; no more email. */
  Overdue: 'Overdue',
  /** A failure needing attention, with the reason in status_reason. */
  Error: 'Error',
} as const);
export type UserStatus = (typeof USER_STATUS)[keyof typeof USER_STATUS];
export const ALL_USER_STATUSES: readonly UserStatus[] = Object.freeze(Object.values(USER_STATUS));

export const MFA_STATE = Object.freeze({
  Unknown: 'Unknown',
  NotRegistered: 'Not Registered',
  Registered: 'Registered',
} as const);
export type MfaState = (typeof MFA_STATE)[keyof typeof MFA_STATE];

/** user_event.type values. */
export const USER_EVENT = Object.freeze({
  Uploaded: 'uploaded',
  Reuploaded: 'reuploaded',
  LinkOpened: 'link-opened',
  Clicked: 'clicked',
  AddedToGroup: 'added-to-group',
  GroupAddFailed: 'group-add-failed',
  EmailOpened: 'email-opened',
  ResendRequested: 'resend-requested',
  Removed: 'removed',
} as const);
export type UserEventType = (typeof USER_EVENT)[keyof typeof USER_EVENT];

/** The actor recorded for actions done by the user themself through a link or the resend form. */
export const ACTOR_USER = 'user';
export const ACTOR_SYSTEM = 'system';

/** Tokens are 256 random bits, base64url (43 characters). The format check runs before any lookup. */
export const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;
export function isWellFormedToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_PATTERN.test(value);
}

/** The key UPNs are unique and compared by within a campaign. */
export function upnKey(upn: string): string {
  return upn.trim().toLowerCase();
}

/** The fields of a tracked user the rules below read. */
export interface TrackedUserState {
  invite_status: string;
  in_group: number;
  clicked_link_date: string | null;
  added_to_group_date: string | null;
}

/** Fields a change writes (a subset of the tracked_user row). */
export interface TrackedUserPatch {
  invite_status?: UserStatus;
  status_reason?: string | null;
  in_group?: number;
  invite_sent_date?: string | null;
  clicked_link_date?: string | null;
  added_to_group_date?: string | null;
  last_checked?: string | null;
  last_reminder_date?: string | null;
  reminder_count?: number;
  source_batch_id?: string | null;
  tracking_token?: string;
  email_opened_date?: string | null;
  escalated_to_manager?: number;
  escalation_date?: string | null;
  notes?: string | null;
  object_id?: string | null;
}

/**
 * The re-upload (and resend) reset rule: the user starts a fresh invitation cycle. Status Pending, a new
 * token (old links stop working), reminders and escalation cleared, the invitation's own stamps (sent,
 * opened, clicked) cleared so the new link works; what is true of the person (group membership, MFA
 * state, directory fields) is kept and refreshed by the next workflow run.
 */
export function resetForNewCycle(token: string): TrackedUserPatch {
  return {
    invite_status: USER_STATUS.Pending,
    status_reason: null,
    tracking_token: token,
    invite_sent_date: null,
    email_opened_date: null,
    clicked_link_date: null,
    last_checked: null,
    last_reminder_date: null,
    reminder_count: 0,
    escalated_to_manager: 0,
    escalation_date: null,
  };
}

/** Resend is offered to anyone in the campaign who has not finished. */
export function canResend(user: Pick<TrackedUserState, 'invite_status'>): boolean {
  return user.invite_status !== USER_STATUS.Active;
}

export type EnrolDecision =
  /** Link already used (or the user already finished): show "already registered", no group add. */
  | { kind: 'already-registered' }
  /** Already in the group (e.g. added by the workflow): record the click only. */
  | { kind: 'record-click-only' }
  /** Record the click and add to the group. */
  | { kind: 'add-to-group' };

export function decideEnrol(user: TrackedUserState): EnrolDecision {
  if (user.invite_status === USER_STATUS.Active) return { kind: 'already-registered' };
  if (user.in_group === 1) return user.clicked_link_date !== null ? { kind: 'already-registered' } : { kind: 'record-click-only' };
  // Clicked before but not in the group: the earlier group add failed, so this is the retry.
  return { kind: 'add-to-group' };
}

/** The click itself, stamped before the group add so a Graph failure still leaves a record of it. */
export function clickPatch(user: TrackedUserState, now: string): TrackedUserPatch {
  // A user who is further along (already in the group) keeps their status; otherwise Clicked.
  const advanced = user.invite_status === USER_STATUS.AddedToGroup || user.invite_status === USER_STATUS.Active;
  return { clicked_link_date: user.clicked_link_date ?? now, ...(advanced ? {} : { invite_status: USER_STATUS.Clicked, status_reason: null }) };
}

export function addedToGroupPatch(user: TrackedUserState, now: string): TrackedUserPatch {
  return {
    in_group: 1,
    added_to_group_date: user.added_to_group_date ?? now,
    ...(user.invite_status === USER_STATUS.Active ? {} : { invite_status: USER_STATUS.AddedToGroup, status_reason: null }),
  };
}

/** Graph refused or failed: the click stays recorded, the reason goes on the record, the user may retry. */
export function groupAddFailedPatch(reason: string): TrackedUserPatch {
  return { status_reason: `group add failed: ${reason}`.slice(0, 500) };
}
