import type { Generated } from 'kysely';

/** Tables of src/auth (migration 0005_auth). */
export interface AuthTables {
  /** API tokens for automation. Only a SHA-256 of the token is kept; the token itself is shown once. */
  auth_api_token: {
    id: Generated<number>;
    name: string;
    role: string;
    token_hash: string;
    /** The first characters of the token, so an admin can tell tokens apart in lists. */
    token_prefix: string;
    created_at: string;
    created_by: string;
    last_used_at: string | null;
    revoked_at: string | null;
  };
  /** Local admin accounts (the embedded default; production may switch them off). */
  auth_local_admin: {
    id: Generated<number>;
    username: string;
    /** `scrypt$N$r$p$salt$hash`, base64url parts. */
    password_hash: string;
    created_at: string;
  };
  /** Server-side sessions (backend-for-frontend): the browser holds only a random id in a cookie. */
  auth_session: {
    /** SHA-256 of the cookie value, so a read of this table does not hand out live sessions. */
    id_hash: string;
    subject: string;
    display_name: string;
    role: string;
    /** `local` or `oidc`. */
    method: string;
    csrf_token: string;
    created_at: string;
    expires_at: string;
    last_seen_at: string;
  };
  /** Every admin action: who, what, when, from where. */
  auth_audit_log: {
    id: Generated<number>;
    at: string;
    actor: string;
    /** `session`, `token`, `cli` or `system`. */
    actor_kind: string;
    action: string;
    target: string | null;
    /** JSON text. */
    details: string | null;
    ip: string | null;
    request_id: string | null;
  };
}
