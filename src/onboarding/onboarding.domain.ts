/**
 * Onboarding domain: statuses, events and the rules for changing a tracked user. Plain functions over
 * plain records, free of SQL and HTTP, so the upload, the links, the workflow and the portal share them.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

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
  /** An admin's bulk action left the user out of the campaign's emails. */
  MarkedExcluded: 'marked-excluded',
} as const);
export type UserEventType = (typeof USER_EVENT)[keyof typeof USER_EVENT];

/** The actor recorded for actions done by the user themself through a link or the resend form. */
export const ACTOR_USER = 'user';
export const ACTOR_SYSTEM = 'system';

/** A link's secret: 256 random bits, base64url (43 characters). */
export const LINK_SECRET_BYTES = 32;

/**
 * The token in a user's links is `<record id>.<secret>` (a split token): the id finds the record by its
 * primary key and the secret, compared in constant time, proves the link. No index over the secrets
 * is needed (random keys are the dearest an upload maintains), and a lookup's timing says nothing
 * about how close a guess came. Ids reveal no more than the rough size of the roster.
 */
export interface LinkToken {
  id: number;
  secret: string;
}

const LINK_TOKEN_PATTERN = /^([1-9][0-9]{0,14})\.([A-Za-z0-9_-]{43})$/;

/** The format check runs before any lookup; anything else is not a link of ours. */
export function parseLinkToken(value: unknown): LinkToken | undefined {
  if (typeof value !== 'string') return undefined;
  const match = LINK_TOKEN_PATTERN.exec(value);
  return match ? { id: Number(match[1]), secret: match[2]! } : undefined;
}

/**
 * New link secrets (43 URL-safe characters each), from one buffer of randomness encoded once: 100,000
 * secrets in one call instead of 100,000. Each takes a 3-byte-aligned stride (LINK_SECRET_BYTES rounded
 * up to 33 bytes = 44 characters) so no character mixes bits of two secrets; its first 43 characters
 * carry 258 random bits.
 */
export function newLinkSecrets(count: number): string[] {
  const strideBytes = Math.ceil(LINK_SECRET_BYTES / 3) * 3;
  const strideChars = (strideBytes / 3) * 4;
  const length = Math.ceil((LINK_SECRET_BYTES * 8) / 6);
  const text = randomBytes(strideBytes * count).toString('base64url');
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) out[i] = text.slice(i * strideChars, i * strideChars + length);
  return out;
}

export function newLinkSecret(): string {
  return newLinkSecrets(1)[0]!;
}

export function linkTokenOf(user: { id: number; link_secret: string }): string {
  return `${user.id}.${user.link_secret}`;
}

/** Whether a presented secret is the user's, in time that does not depend on where they differ. */
function secretMatches(user: { link_secret: string }, link: LinkToken): boolean {
  const stored = Buffer.from(user.link_secret);
  const presented = Buffer.from(link.secret);
  return stored.length === presented.length && timingSafeEqual(stored, presented);
}

/**
 * Whether a link lets its holder enrol: the secret is the user's, and the user may still enrol. An
 * Excluded user's earlier link (since disabled, a guest, gone from the directory) leads nowhere: it
 * would otherwise put them in the MFA group the workflow decided to leave them out of.
 */
export function linkOpensFor(user: { link_secret: string; invite_status: string }, link: LinkToken): boolean {
  return secretMatches(user, link) && user.invite_status !== USER_STATUS.Excluded;
}

/** Whether a link is the user's link from before their last new cycle (its email was superseded). */
export function isReplacedLink(user: { previous_link_secret: string | null }, link: LinkToken): boolean {
  return user.previous_link_secret !== null && secretMatches({ link_secret: user.previous_link_secret }, link);
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
  link_secret?: string;
  previous_link_secret?: string | null;
  email_opened_date?: string | null;
  escalated_to_manager?: number;
  escalation_date?: string | null;
  notes?: string | null;
  object_id?: string | null;
}

/**
 * The reset rule (a re-upload that asks for it, a resend): the user starts a fresh invitation cycle.
 * Status Pending, a new token (the old link no longer enrols; it offers a fresh link instead, see
 * `isReplacedLink`), reminders and escalation cleared, the invitation's own stamps (sent, opened,
 * clicked) cleared so the new link works; what is true of the person (group membership, MFA state,
 * directory fields) is kept and refreshed by the next workflow run.
 */
export function resetForNewCycle(linkSecret: string, previousLinkSecret: string): TrackedUserPatch {
  return {
    invite_status: USER_STATUS.Pending,
    status_reason: null,
    link_secret: linkSecret,
    previous_link_secret: previousLinkSecret,
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
