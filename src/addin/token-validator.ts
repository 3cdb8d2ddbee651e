/**
 * Validates the Entra ID access token the Outlook add-in sends (nested app authentication or Office
 * SSO): a v2.0 token of the configured tenant (issuer and `tid`), for onramp's API app (audience: its
 * client id or app id URI), signed with one of the tenant's keys, within its lifetime (small skew), with
 * the add-in's delegated scope in `scp`, naming a user (`oid` and `preferred_username` or `upn`).
 *
 * The issuer and key set come from the tenant's OpenID configuration, fetched once; the keys are cached
 * by jose and fetched again for an unknown `kid` at most once per cooldown, so a flood of forged kids
 * costs one request per cooldown, not one per token.
 *
 * A token that passed is remembered by its SHA-256 until it expires (plus the skew), in a bounded map:
 * an add-in sends the same token for its whole lifetime (an hour), and the RSA check would otherwise be
 * most of a signature fetch. The hash covers the signature, so a changed token is checked afresh; a
 * revoked signing key stops counting for tokens already seen only when they expire.
 */
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from 'jose';

/** Why a token was refused: stable codes the add-in and the logs can act on. */
export type TokenRefusal =
  | 'missing_token'
  | 'malformed_token'
  | 'bad_signature'
  | 'wrong_issuer'
  | 'wrong_tenant'
  | 'wrong_audience'
  | 'expired'
  | 'not_yet_valid'
  | 'missing_scope'
  | 'not_a_user'
  | 'keys_unavailable';

export interface AddinUser {
  /** Lower-cased sign-in name (`preferred_username`, or `upn` for older tokens). */
  userPrincipalName: string;
  objectId: string;
  tenantId: string;
  /** The client the token was issued to (`azp`): the add-in's app registration. */
  clientId: string | undefined;
}

export type TokenVerdict = { ok: true; user: AddinUser } | { ok: false; reason: TokenRefusal; detail: string };

export interface TokenValidatorOptions {
  /** e.g. https://login.microsoftonline.com (graph.authorityHost). */
  authorityHost: string;
  /** Tenant id or primary domain; the OpenID configuration names the issuer with the tenant's id. */
  tenant: string;
  audiences: string[];
  scope: string;
  clockSkewSeconds: number;
  /** The fetch for the OpenID configuration and keys (e.g. one trusting the simulator's CA). */
  fetch?: typeof fetch;
  /** Fewest milliseconds between two key-set fetches for unknown kids (default 30 s). */
  keyRefetchCooldownMs?: number;
  /** Keys are fetched again after this long even when known (default 6 h; Entra rolls keys over weeks). */
  keyMaxAgeMs?: number;
  /** Verified tokens remembered at most (default 10,000); the oldest go first. */
  maxRemembered?: number;
  /** The clock tokens' lifetimes are checked against (default Date.now). */
  now?: () => number;
}

interface TenantKeys {
  issuer: string;
  tenantId: string;
  keys: ReturnType<typeof createRemoteJWKSet>;
}

interface EntraClaims extends JWTPayload {
  tid?: string;
  oid?: string;
  scp?: string;
  preferred_username?: string;
  upn?: string;
  azp?: string;
  idtyp?: string;
}

export class AddinTokenValidator {
  #tenantKeys: Promise<TenantKeys> | undefined;
  readonly #verified = new Map<string, { user: AddinUser; untilMs: number }>();
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly o: TokenValidatorOptions) {
    this.fetchImpl = o.fetch ?? fetch;
  }

  async verify(authorization: string | undefined): Promise<TokenVerdict> {
    const token = authorization?.match(/^Bearer\s+([\w-]+\.[\w-]+\.[\w-]+)$/i)?.[1];
    if (!authorization) return refuse('missing_token', 'no Authorization: Bearer header');
    if (!token) return refuse('malformed_token', 'the Authorization header is not a Bearer JWT');
    const key = createHash('sha256').update(token).digest('base64url');
    const known = this.#verified.get(key);
    const now = this.o.now?.() ?? Date.now();
    if (known && known.untilMs > now) return { ok: true, user: known.user };
    if (known) this.#verified.delete(key);
    let tenant: TenantKeys;
    try {
      tenant = await this.tenantKeys();
    } catch (err) {
      return refuse('keys_unavailable', `the tenant's OpenID configuration could not be read (${(err as Error).message})`);
    }
    let claims: EntraClaims;
    try {
      ({ payload: claims } = await jwtVerify<EntraClaims>(token, tenant.keys, {
        algorithms: ['RS256'],
        issuer: tenant.issuer,
        audience: this.o.audiences,
        clockTolerance: this.o.clockSkewSeconds,
        currentDate: new Date(now),
        requiredClaims: ['exp', 'iat'],
      }));
    } catch (err) {
      return refusalOf(err);
    }
    if (claims.tid !== tenant.tenantId) return refuse('wrong_tenant', `the token is for tenant ${claims.tid ?? '(none)'}`);
    const scopes = (claims.scp ?? '').split(' ');
    if (!scopes.includes(this.o.scope)) return refuse('missing_scope', `scp does not contain ${this.o.scope}`);
    const name = claims.preferred_username ?? claims.upn;
    if (!claims.oid || !name || claims.idtyp === 'app') return refuse('not_a_user', 'the token names no signed-in user');
    const user = { userPrincipalName: name.toLowerCase(), objectId: claims.oid, tenantId: claims.tid, clientId: claims.azp };
    if (this.#verified.size >= (this.o.maxRemembered ?? 10_000)) this.#verified.delete(this.#verified.keys().next().value!);
    // requiredClaims makes exp present.
    this.#verified.set(key, { user, untilMs: (claims.exp! + this.o.clockSkewSeconds) * 1000 });
    return { ok: true, user };
  }

  private tenantKeys(): Promise<TenantKeys> {
    this.#tenantKeys ??= this.discover().catch((err: unknown) => {
      // The next token tries again rather than every token failing on one bad moment.
      this.#tenantKeys = undefined;
      throw err;
    });
    return this.#tenantKeys;
  }

  private async discover(): Promise<TenantKeys> {
    const url = `${this.o.authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(this.o.tenant)}/v2.0/.well-known/openid-configuration`;
    const res = await this.fetchImpl(url, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (typeof doc.issuer !== 'string' || typeof doc.jwks_uri !== 'string') throw new Error(`${url} has no issuer or jwks_uri`);
    const tenantId = doc.issuer.match(/\/([0-9a-f-]{36})\/v2\.0$/i)?.[1];
    if (!tenantId) throw new Error(`issuer ${doc.issuer} is not a v2.0 tenant issuer`);
    const keys = createRemoteJWKSet(new URL(doc.jwks_uri), {
      cooldownDuration: this.o.keyRefetchCooldownMs ?? 30_000,
      cacheMaxAge: this.o.keyMaxAgeMs ?? 6 * 3_600_000,
      timeoutDuration: 5_000,
      [customFetch]: this.fetchImpl,
    });
    return { issuer: doc.issuer, tenantId: tenantId.toLowerCase(), keys };
  }
}

function refuse(reason: TokenRefusal, detail: string): TokenVerdict {
  return { ok: false, reason, detail };
}

function refusalOf(err: unknown): TokenVerdict {
  if (err instanceof errors.JWTExpired) return refuse('expired', 'the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return refuse('wrong_issuer', 'the token is not from the tenant');
    if (err.claim === 'aud') return refuse('wrong_audience', "the token is not for onramp's API");
    if (err.claim === 'nbf' || err.claim === 'iat') return refuse('not_yet_valid', 'the token is not valid yet');
    return refuse('malformed_token', `claim ${err.claim} is missing or invalid`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JOSEAlgNotAllowed)
    return refuse('bad_signature', 'the token is not signed with a key of the tenant');
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return refuse('keys_unavailable', "the tenant's keys could not be read");
  return refuse('malformed_token', 'the token could not be read');
}
