/** The tracked users' statuses, in the order the screens list them (src/onboarding/onboarding.domain.ts USER_STATUS). */
export const STATUSES = ['Pending', 'Sent', 'Clicked', 'AddedToGroup', 'Active', 'Excluded', 'Overdue', 'Error'];

/** What each status means, in the words the screens use ("Sent" is the invitation sent, as in the chart). */
export const STATUS_TEXT: Record<string, string> = {
  Pending: 'waiting for the invitation run',
  Sent: 'invitation sent, not yet confirmed',
  Clicked: 'confirmed on the setup page',
  AddedToGroup: 'in the MFA group, no method registered yet',
  Active: 'registered for MFA',
  Excluded: 'cannot be invited (not found, disabled or a guest)',
  Overdue: 'all reminders sent, still not registered',
  Error: 'an email or lookup failed',
};
