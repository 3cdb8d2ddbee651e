/**
 * What the invitation workflow does with one tracked user, given what Graph says. Pure: no SQL, no HTTP.
 *
 * ReminderCount counts REMINDERS only (the seed set it to 1 with the first invitation): after the
 * invitation it is 0; reminder #N sets it to N. A reminder is due `reminderIntervalDays` after the
 * invitation or the previous reminder. Reminder #`escalateAfterReminders` also emails the manager, once.
 * When a reminder is due but `maxReminders` were already sent, the user becomes Overdue instead.
 * Overdue and Error users get no more email, but are still checked: registering later makes them Active
 * (the reports would otherwise chase people who are done), a disabled account makes them Excluded.
 */
import type { AuthMethodKind, DirectoryUser, MfaRegistration } from '../graph/graph-port.js';
import { DAY_MS } from '../lib/clock.js';
import { USER_STATUS, type UserStatus } from './onboarding.domain.js';

export const WORKFLOW_EVENT = Object.freeze({
  Invited: 'invited',
  Reminded: 'reminded',
  Escalated: 'escalated',
  EscalationSkipped: 'escalation-skipped',
  Excluded: 'excluded',
  Activated: 'activated',
  Overdue: 'overdue',
  AddedToGroup: 'added-to-group',
  GroupAddFailed: 'group-add-failed',
  EmailFailed: 'email-failed',
  LookupFailed: 'lookup-failed',
} as const);
export type WorkflowEventType = (typeof WORKFLOW_EVENT)[keyof typeof WORKFLOW_EVENT];

export interface WorkflowRules {
  reminderIntervalDays: number;
  escalateAfterReminders: number;
  maxReminders: number;
  excludeGuests: boolean;
  countedMfaMethods: readonly string[];
}

/** The tracked-user fields the decision reads. */
export interface UserSnapshot {
  invite_status: string;
  in_group: number;
  invite_sent_date: string | null;
  last_reminder_date: string | null;
  reminder_count: number;
  escalated_to_manager: number;
  added_to_group_date: string | null;
}

/** Why the workflow leaves a user out (status_reason of Excluded users); the reports count by these. */
export const EXCLUSION_REASON = Object.freeze({
  NotFound: 'not found in the directory',
  Disabled: 'account disabled',
  Guest: 'guest account',
} as const);

export type Decision =
  | { kind: 'exclude'; reason: string }
  | { kind: 'activate'; needsGroupAdd: boolean }
  | { kind: 'invite' }
  | { kind: 'remind'; reminderNumber: number; escalate: boolean }
  | { kind: 'overdue' }
  /** Nothing to send yet; the directory fields and LastChecked are still refreshed. */
  | { kind: 'wait' };

export function isRegistered(registration: MfaRegistration | undefined, counted: readonly string[]): boolean {
  return registration?.methods.some((m: AuthMethodKind) => counted.includes(m)) ?? false;
}

export function decide(
  user: UserSnapshot,
  directory: DirectoryUser | null | undefined,
  registered: boolean,
  inGroup: boolean,
  now: Date,
  rules: WorkflowRules,
): Decision {
  if (!directory) return { kind: 'exclude', reason: EXCLUSION_REASON.NotFound };
  if (!directory.accountEnabled) return { kind: 'exclude', reason: EXCLUSION_REASON.Disabled };
  if (rules.excludeGuests && directory.userType.toLowerCase() === 'guest') return { kind: 'exclude', reason: EXCLUSION_REASON.Guest };
  if (registered) return { kind: 'activate', needsGroupAdd: !inGroup };
  if (user.invite_status === USER_STATUS.Pending) return { kind: 'invite' };
  if (QUIET_STATUSES.includes(user.invite_status as UserStatus)) return { kind: 'wait' };
  const since = user.last_reminder_date ?? user.invite_sent_date;
  const due = since === null || now.getTime() - Date.parse(since) >= rules.reminderIntervalDays * DAY_MS;
  if (!due) return { kind: 'wait' };
  if (user.reminder_count >= rules.maxReminders) return { kind: 'overdue' };
  const reminderNumber = user.reminder_count + 1;
  return { kind: 'remind', reminderNumber, escalate: reminderNumber >= rules.escalateAfterReminders && user.escalated_to_manager === 0 };
}

/** Checked, never emailed: max reminders reached, or an email to them was refused. */
export const QUIET_STATUSES: readonly UserStatus[] = [USER_STATUS.Overdue, USER_STATUS.Error];

/** Statuses the workflow looks at again (Pending always; these when their check is due). */
export const CHECKED_STATUSES: readonly UserStatus[] = [USER_STATUS.Sent, USER_STATUS.Clicked, USER_STATUS.AddedToGroup, ...QUIET_STATUSES];
