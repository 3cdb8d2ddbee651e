import type { Kysely } from 'kysely';
import type { Static } from '@sinclair/typebox';
import type { Database } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import type { authConfig } from './auth.config.js';
import { isRole, type AuditEntry, type Principal, type Role } from './auth.model.js';
import * as q from './auth.queries.js';
import { decoyPasswordHash, hashPassword, hashSecret, looksLikeApiToken, newApiToken, randomId, verifyPassword } from './secrets.js';

export type AuthConfig = Static<typeof authConfig>;

/** Usernames of local admins: short, printable, no spaces (they appear in the audit log). */
export const USERNAME_PATTERN = '^[A-Za-z0-9._@-]{1,64}$';
export const MIN_PASSWORD_LENGTH = 12;

export interface NewSession {
  subject: string;
  displayName: string;
  role: Role;
  method: 'local' | 'oidc';
}

/** Refresh `last_seen_at` at most this often, so a busy portal does not write on every request. */
const TOUCH_EVERY_MS = 60_000;

/**
 * API tokens, local admins and server-side sessions. Takes `(db, config, clock)`; knows nothing of HTTP.
 */
export class AuthService {
  constructor(
    private readonly db: Kysely<Database>,
    readonly config: AuthConfig,
    private readonly clock: Clock,
  ) {}

  private nowIso(): string {
    return this.clock.now().toISOString();
  }

  /** Creates an API token; the clear token is returned once and never stored. */
  async createApiToken(name: string, role: Role, createdBy: string): Promise<{ id: number; token: string }> {
    const token = newApiToken();
    const id = await q.insertApiToken(this.db, {
      name,
      role,
      tokenHash: hashSecret(token),
      tokenPrefix: token.slice(0, 10),
      createdAt: this.nowIso(),
      createdBy,
    });
    return { id, token };
  }

  listApiTokens() {
    return q.listApiTokens(this.db);
  }

  revokeApiToken(id: number): Promise<boolean> {
    return q.revokeApiToken(this.db, id, this.nowIso());
  }

  async authenticateToken(token: string): Promise<Principal | undefined> {
    if (!looksLikeApiToken(token)) return undefined;
    const row = await q.findActiveApiToken(this.db, hashSecret(token));
    if (!row || !isRole(row.role)) return undefined;
    const now = this.clock.now();
    if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) > TOUCH_EVERY_MS) {
      await q.touchApiToken(this.db, row.id, now.toISOString());
    }
    return { kind: 'token', subject: `token:${row.name}`, displayName: row.name, role: row.role };
  }

  async localAdminExists(): Promise<boolean> {
    return (await q.countLocalAdmins(this.db)) > 0;
  }

  /** First-run setup: creates the first local admin, or returns false when one exists already. */
  async setupFirstLocalAdmin(username: string, password: string): Promise<boolean> {
    return q.insertFirstLocalAdmin(this.db, username, await hashPassword(password), this.nowIso());
  }

  /** Sets (or resets) a local admin's password; used by the CLI. Their open sessions end: a reset is often why. */
  async setLocalAdminPassword(username: string, password: string): Promise<void> {
    await q.upsertLocalAdmin(this.db, username, await hashPassword(password), this.nowIso());
    await q.deleteSessionsOf(this.db, username, 'local');
  }

  /**
   * Checks a local admin's credentials; an unknown name costs the same time as a wrong password.
   * `known` says whether the name is an admin's, for the audit log only (never for the answer).
   */
  async verifyLocalAdmin(username: string, password: string): Promise<{ ok: boolean; known: boolean }> {
    const row = await q.findLocalAdmin(this.db, username);
    const ok = await verifyPassword(password, row?.password_hash ?? (await decoyPasswordHash()));
    return { ok: ok && row !== undefined, known: row !== undefined };
  }

  /** Starts a session; the returned cookie value is the only copy of the session id. */
  async createSession(s: NewSession): Promise<{ cookieValue: string; csrfToken: string; expiresAt: Date }> {
    // Sign-ins are rare: each clears the sessions that expired or went idle, so abandoned ones do not pile up.
    await this.purgeExpiredSessions();
    const now = this.clock.now();
    const cookieValue = randomId();
    const csrfToken = randomId();
    const expiresAt = new Date(now.getTime() + this.config.sessionHours * 3_600_000);
    await q.insertSession(this.db, {
      id_hash: hashSecret(cookieValue),
      subject: s.subject,
      display_name: s.displayName,
      role: s.role,
      method: s.method,
      csrf_token: csrfToken,
      created_at: now.toISOString(),
      expires_at: expiresAt.toISOString(),
      last_seen_at: now.toISOString(),
    });
    return { cookieValue, csrfToken, expiresAt };
  }

  /** The session behind a cookie, if it is live: not past its lifetime and not idle too long. */
  async authenticateSession(cookieValue: string): Promise<Principal | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(cookieValue)) return undefined;
    const idHash = hashSecret(cookieValue);
    const row = await q.findSession(this.db, idHash);
    if (!row || !isRole(row.role)) return undefined;
    const now = this.clock.now();
    const idleMs = this.config.sessionIdleMinutes * 60_000;
    const expired = Date.parse(row.expires_at) <= now.getTime() || Date.parse(row.last_seen_at) + idleMs <= now.getTime();
    // Switching local admin off ends the local sessions too, not only new sign-ins.
    if (expired || (row.method === 'local' && !this.config.localAdmin)) {
      await q.deleteSession(this.db, idHash);
      return undefined;
    }
    if (now.getTime() - Date.parse(row.last_seen_at) > TOUCH_EVERY_MS) await q.touchSession(this.db, idHash, now.toISOString());
    return { kind: 'session', subject: row.subject, displayName: row.display_name, role: row.role, csrfToken: row.csrf_token };
  }

  async endSession(cookieValue: string): Promise<void> {
    await q.deleteSession(this.db, hashSecret(cookieValue));
  }

  async purgeExpiredSessions(): Promise<void> {
    const now = this.clock.now();
    const idleCutoff = new Date(now.getTime() - this.config.sessionIdleMinutes * 60_000).toISOString();
    await q.deleteExpiredSessions(this.db, now.toISOString(), idleCutoff);
  }
}

/** The audit log: who did what, when, from where. Entries are never updated or deleted by onramp. */
export class AuditLog {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async write(entry: Omit<AuditEntry, 'at'> & { at?: string }): Promise<void> {
    await q.insertAudit(this.db, { ...entry, at: entry.at ?? this.clock.now().toISOString() });
  }

  async list(query: q.AuditQuery) {
    const rows = await q.listAudit(this.db, query);
    return rows.map((r) => ({
      id: Number(r.id),
      at: r.at,
      actor: r.actor,
      actorKind: r.actor_kind,
      action: r.action,
      target: r.target,
      details: r.details === null ? null : (JSON.parse(r.details) as unknown),
      ip: r.ip,
      requestId: r.request_id,
    }));
  }
}
