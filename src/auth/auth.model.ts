/** Who may do what in the portal and the admin API. Free of HTTP and SQL. */

export const ROLES = ['admin', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return value === 'admin' || value === 'viewer';
}

/** An admin can do everything a viewer can; a viewer only reads. */
export function roleSatisfies(held: Role, required: Role): boolean {
  return held === 'admin' || required === 'viewer';
}

/** The authenticated caller of a request. */
export interface Principal {
  /** `session` (portal, cookie) or `token` (API token, Bearer). */
  kind: 'session' | 'token';
  /** Stable identifier written to the audit log: the user name, OIDC subject/UPN, or `token:<name>`. */
  subject: string;
  displayName: string;
  role: Role;
  /** Sessions only: the synchronizer token every state-changing request must echo. */
  csrfToken?: string;
}

export interface AuditEntry {
  at: string;
  actor: string;
  actorKind: 'session' | 'token' | 'cli' | 'system' | 'anonymous';
  action: string;
  target?: string | null;
  details?: unknown;
  ip?: string | null;
  requestId?: string | null;
}
