/** Recorded details (JSON objects) as words: "total 3, added 3", nested values flattened, no braces or quotes. */
export function detailsText(details: unknown): string {
  if (details === null || details === undefined) return '';
  if (typeof details !== 'object') return String(details);
  if (Array.isArray(details)) return details.map(detailsText).join(', ');
  return Object.entries(details as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${words(k)} ${typeof v === 'object' ? `(${detailsText(v)})` : String(v)}`)
    .join(', ');
}

/** `previousStatus` → "previous status", `report.export` → "report export". */
export function words(name: string): string {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[._-]+/g, ' ')
    .toLowerCase();
}

/** "1 address", "2 addresses". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** What the audit log's actions mean; an action not listed here reads as its name in words. */
const AUDIT_ACTIONS: Record<string, string> = {
  'auth.login': 'Signed in',
  'auth.logout': 'Signed out',
  'auth.setup': 'Created the local admin',
  'auth.login.failed': 'Failed sign-in',
  'auth.oidc.no-role': 'Signed in without an onramp role (refused)',
  'users.upload': 'Uploaded users',
  'users.add-group': "Added a group's members",
  'user.remove': 'Removed a user from the campaign',
  'user.resend': 'Started a new invitation for a user',
  'report.export': 'Exported the report as CSV',
  'report.send': 'Sent the report email',
  'campaign.run': 'Asked for an invitation run now',
  'batch.pause': 'Paused the invitations of a batch',
  'batch.resume': 'Resumed the invitations of a batch',
  'users.bulk-resend': 'Resent the invitation to filtered users',
  'users.bulk-exclude': 'Left filtered users out of the campaign',
  'users.bulk-remove': 'Removed filtered users from the campaign',
};

export function auditActionText(action: string): string {
  const known = AUDIT_ACTIONS[action];
  return known ?? words(action).replace(/^./, (c) => c.toUpperCase());
}
