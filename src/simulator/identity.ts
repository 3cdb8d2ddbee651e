/**
 * The simulated Microsoft identity platform: OpenID configuration, JWKS, the v2.0 token endpoint
 * (client credentials with a secret or a certificate assertion; authorization code with PKCE for the
 * portal sign-in), the authorize page and logout.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual, X509Certificate } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, exportJWK, generateKeyPair, importX509, jwtVerify, type JWK, type CryptoKey, type JWTPayload } from 'jose';
import type { Tenant, SimUser } from './tenant.js';
import { escapeHtml } from '../lib/html.js';

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON, strings as they are (HTML pages), undefined as an empty body. */
  body?: unknown;
}

export interface AccessTokenClaims extends JWTPayload {
  appid: string;
  tid: string;
  roles?: string[];
  oid?: string;
}

/** Application permissions the simulated app is granted (carried in the token's roles, informational). */
const APP_PERMISSIONS = [
  'User.Read.All',
  'GroupMember.ReadWrite.All',
  'AuditLog.Read.All',
  'UserAuthenticationMethod.Read.All',
  'Mail.Send',
  'Exchange.ManageAsApp',
];
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface PendingCode {
  userId: string;
  redirectUri: string;
  codeChallenge: string | null;
  nonce: string | null;
  scope: string;
  expiresAt: number;
}

export function oauthError(status: number, error: string, description: string): SimResponse {
  return {
    status,
    body: { error, error_description: description, error_codes: [], timestamp: new Date().toISOString(), trace_id: randomUUID(), correlation_id: randomUUID() },
  };
}

export class IdentityPlatform {
  private privateKey!: CryptoKey;
  private jwk!: JWK;
  private readonly kid = randomBytes(8).toString('hex');
  private readonly codes = new Map<string, PendingCode>();
  private readonly certificates = new Map<string, string>();
  tokensIssued = 0;

  constructor(
    private readonly tenant: Tenant,
    readonly clientId: string,
    readonly clientSecret: string,
    private readonly tokenLifetimeSeconds: number,
    private readonly baseUrl: () => string,
  ) {}

  #publicKey: CryptoKey | undefined;

  async init(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    this.privateKey = privateKey;
    this.#publicKey = publicKey;
    this.jwk = { ...(await exportJWK(publicKey)), kid: this.kid, use: 'sig', alg: 'RS256' };
  }

  /** Registers a certificate (PEM) as a credential of the app, as uploading it in Entra does. */
  addCertificate(certPem: string): string {
    const cert = new X509Certificate(certPem);
    const thumbprint = createHash('sha1').update(cert.raw).digest('base64url');
    const sha256 = createHash('sha256').update(cert.raw).digest('base64url');
    this.certificates.set(thumbprint, cert.toString());
    this.certificates.set(sha256, cert.toString());
    return thumbprint;
  }

  get issuer(): string {
    return `${this.baseUrl()}/${this.tenant.tenantId}/v2.0`;
  }

  matchesTenant(segment: string): boolean {
    const s = segment.toLowerCase();
    return s === this.tenant.tenantId || s === this.tenant.domain.toLowerCase() || s === 'organizations' || s === 'common';
  }

  openidConfiguration(): SimResponse {
    const base = `${this.baseUrl()}/${this.tenant.tenantId}`;
    return {
      status: 200,
      body: {
        issuer: this.issuer,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        userinfo_endpoint: `${this.baseUrl()}/oidc/userinfo`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        code_challenge_methods_supported: ['S256'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'name', 'preferred_username', 'oid', 'tid', 'roles', 'nonce', 'email'],
        tenant_region_scope: 'EU',
        cloud_instance_name: 'simulator',
        request_uri_parameter_supported: false,
      },
    };
  }

  jwks(): SimResponse {
    return { status: 200, body: { keys: [this.jwk] } };
  }

  /** What MSAL's instance discovery asks when it is not disabled. */
  instanceDiscovery(): SimResponse {
    const host = new URL(this.baseUrl()).host;
    return {
      status: 200,
      body: {
        tenant_discovery_endpoint: `${this.baseUrl()}/${this.tenant.tenantId}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      },
    };
  }

  async token(form: URLSearchParams, basicAuth: { id: string; secret: string } | null): Promise<SimResponse> {
    const clientId = form.get('client_id') ?? basicAuth?.id;
    if (clientId !== this.clientId)
      return oauthError(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${clientId ?? ''}' was not found in the directory.`);
    const grant = form.get('grant_type');
    if (grant === 'client_credentials') {
      const auth = await this.authenticateClient(form, basicAuth);
      if (auth) return auth;
      const scope = form.get('scope') ?? '';
      if (!/\/\.default$/.test(scope))
        return oauthError(
          400,
          'invalid_scope',
          'AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.',
        );
      const resource = scope.replace(/\/\.default$/, '');
      const accessToken = await this.issueAccessToken({ audience: resource });
      return {
        status: 200,
        body: { token_type: 'Bearer', expires_in: this.tokenLifetimeSeconds, ext_expires_in: this.tokenLifetimeSeconds, access_token: accessToken },
      };
    }
    if (grant === 'authorization_code') {
      const code = this.codes.get(form.get('code') ?? '');
      if (!code || code.expiresAt < Date.now())
        return oauthError(400, 'invalid_grant', 'AADSTS70008: The provided authorization code or refresh token has expired or is invalid.');
      this.codes.delete(form.get('code')!);
      if (form.get('redirect_uri') !== code.redirectUri)
        return oauthError(400, 'invalid_grant', 'AADSTS50148: The redirect_uri does not match the one of the authorization request.');
      const verifier = form.get('code_verifier');
      if (code.codeChallenge) {
        if (!verifier || createHash('sha256').update(verifier).digest('base64url') !== code.codeChallenge) {
          return oauthError(400, 'invalid_grant', 'AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.');
        }
      }
      // Confidential clients must authenticate; a PKCE-only request stands for a public client.
      if (form.has('client_secret') || form.has('client_assertion') || basicAuth || !code.codeChallenge) {
        const auth = await this.authenticateClient(form, basicAuth);
        if (auth) return auth;
      }
      const user = this.tenant.users.get(code.userId);
      if (!user) return oauthError(400, 'invalid_grant', 'AADSTS50034: The user account does not exist in the directory.');
      const idToken = await this.issueIdToken(user, code.nonce);
      const accessToken = await this.issueAccessToken({ audience: '00000003-0000-0000-c000-000000000000', user });
      return {
        status: 200,
        body: {
          token_type: 'Bearer',
          scope: code.scope,
          expires_in: this.tokenLifetimeSeconds,
          ext_expires_in: this.tokenLifetimeSeconds,
          access_token: accessToken,
          id_token: idToken,
        },
      };
    }
    return oauthError(400, 'unsupported_grant_type', `AADSTS70003: The app requested an unsupported grant type '${grant ?? ''}'.`);
  }

  /** Null when the client proved itself; otherwise the error answer. */
  private async authenticateClient(form: URLSearchParams, basicAuth: { id: string; secret: string } | null): Promise<SimResponse | null> {
    const secret = form.get('client_secret') ?? basicAuth?.secret;
    if (secret !== undefined && secret !== null) {
      const a = Buffer.from(secret);
      const b = Buffer.from(this.clientSecret);
      if (a.length === b.length && timingSafeEqual(a, b)) return null;
      return oauthError(
        401,
        'invalid_client',
        `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${this.clientId}'.`,
      );
    }
    const assertion = form.get('client_assertion');
    if (assertion && form.get('client_assertion_type') === ASSERTION_TYPE) {
      try {
        const header = decodeProtectedHeader(assertion);
        const thumb = (header['x5t#S256'] as string | undefined) ?? header.x5t;
        const pem = thumb ? this.certificates.get(thumb) : undefined;
        if (!pem || !header.alg)
          return oauthError(
            401,
            'invalid_client',
            `AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.`,
          );
        const key = await importX509(pem, header.alg);
        await jwtVerify(assertion, key, {
          // Entra tolerates clock skew on assertions; MSAL stamps nbf with the client's clock.
          clockTolerance: 300,
          issuer: this.clientId,
          subject: this.clientId,
          audience: [
            `${this.baseUrl()}/${this.tenant.tenantId}/oauth2/v2.0/token`,
            `${this.baseUrl()}/${this.tenant.tenantId}/v2.0`,
            `${this.baseUrl()}/${this.tenant.domain}/oauth2/v2.0/token`,
          ],
        });
        return null;
      } catch (err) {
        return oauthError(401, 'invalid_client', `AADSTS700027: Client assertion failed signature validation. (${(err as Error).message})`);
      }
    }
    return oauthError(401, 'invalid_client', "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }

  /**
   * An access token. With a user it is delegated (`scp`, `oid`, `preferred_username`), as Entra issues
   * one to a client for an API: `clientId` is the calling client (`azp`), e.g. the add-in's public
   * client through nested app authentication, and `scope` the API's delegated scopes it was granted.
   */
  async issueAccessToken(options: {
    audience: string;
    user?: SimUser;
    lifetimeSeconds?: number;
    scope?: string;
    clientId?: string;
    /** Seconds to move iat/nbf/exp by (negative: a token issued in the past, e.g. already expired). */
    shiftSeconds?: number;
    /** Another tenant's token, signed with the same keys (Entra's signing keys are common to all tenants). */
    tenantId?: string;
  }): Promise<string> {
    this.tokensIssued++;
    const now = Math.floor(Date.now() / 1000) + (options.shiftSeconds ?? 0);
    const client = options.clientId ?? this.clientId;
    const tenantId = options.tenantId ?? this.tenant.tenantId;
    const claims: AccessTokenClaims = { appid: client, azp: client, azpacr: '0', tid: tenantId, ver: '2.0' };
    if (options.user)
      Object.assign(claims, {
        oid: options.user.id,
        scp: options.scope ?? 'openid profile email',
        name: options.user.displayName,
        preferred_username: options.user.userPrincipalName,
      });
    else Object.assign(claims, { roles: APP_PERMISSIONS, oid: this.clientId, idtyp: 'app' });
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .setIssuer(`${this.baseUrl()}/${tenantId}/v2.0`)
      .setAudience(options.audience)
      .setSubject(options.user?.id ?? this.clientId)
      .setIssuedAt(now)
      .setNotBefore(now - 300)
      .setExpirationTime(now + (options.lifetimeSeconds ?? this.tokenLifetimeSeconds))
      .setJti(randomUUID())
      .sign(this.privateKey);
  }

  private async issueIdToken(user: SimUser, nonce: string | null): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      tid: this.tenant.tenantId,
      oid: user.id,
      name: user.displayName,
      preferred_username: user.userPrincipalName,
      email: user.mail ?? undefined,
      roles: user.appRoles.length > 0 ? user.appRoles : undefined,
      nonce: nonce ?? undefined,
      ver: '2.0',
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.clientId)
      .setSubject(createHash('sha256').update(`${user.id}:${this.clientId}`).digest('base64url'))
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + this.tokenLifetimeSeconds)
      .sign(this.privateKey);
  }

  /** The caller's claims, or why the token is refused (Graph's 401 wording). */
  async verifyBearer(authorization: string | undefined): Promise<{ ok: true; claims: AccessTokenClaims } | { ok: false; message: string }> {
    const token = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!token) return { ok: false, message: 'Access token is empty.' };
    try {
      // The key object, not the JWK: a JWK is imported again on every call, which cost more than the request.
      const { payload } = await jwtVerify<AccessTokenClaims>(token, this.#publicKey!, {
        algorithms: ['RS256'],
        issuer: this.issuer,
        clockTolerance: 0,
      });
      return { ok: true, claims: payload };
    } catch (err) {
      const code = (err as { code?: string }).code;
      return {
        ok: false,
        message:
          code === 'ERR_JWT_EXPIRED' ? 'Lifetime validation failed, the token is expired.' : 'Access token validation failure. Invalid audience or signature.',
      };
    }
  }

  /**
   * GET /authorize: with a `login_hint` naming a user, signs them in at once (tests, automation);
   * otherwise shows a page to pick one of the users who hold an app role, or any user by UPN.
   */
  authorize(query: URLSearchParams): SimResponse {
    const clientId = query.get('client_id');
    const redirectUri = query.get('redirect_uri');
    if (clientId !== this.clientId)
      return {
        status: 400,
        headers: { 'content-type': 'text/html; charset=utf-8' },
        body: page('Sign-in error', `<p>AADSTS700016: Application with identifier '${escapeHtml(clientId ?? '')}' was not found in the directory.</p>`),
      };
    if (!redirectUri || !/^https?:\/\//.test(redirectUri))
      return {
        status: 400,
        headers: { 'content-type': 'text/html; charset=utf-8' },
        body: page('Sign-in error', '<p>AADSTS90102: redirect_uri value must be a valid absolute URI.</p>'),
      };
    if (query.get('response_type') !== 'code')
      return redirectWithError(redirectUri, query.get('state'), 'unsupported_response_type', 'AADSTS700054: response_type must be code.');
    const method = query.get('code_challenge_method');
    if (query.get('code_challenge') && method !== 'S256')
      return redirectWithError(redirectUri, query.get('state'), 'invalid_request', 'AADSTS501491: code_challenge_method must be S256.');
    const hint = query.get('login_hint');
    if (hint) {
      const user = this.tenant.findByUpn(hint);
      if (!user || !user.accountEnabled)
        return redirectWithError(redirectUri, query.get('state'), 'access_denied', 'AADSTS50057: The user account is disabled or does not exist.');
      const code = randomBytes(24).toString('base64url');
      this.codes.set(code, {
        userId: user.id,
        redirectUri,
        codeChallenge: query.get('code_challenge'),
        nonce: query.get('nonce'),
        scope: query.get('scope') ?? 'openid',
        expiresAt: Date.now() + 5 * 60_000,
      });
      const target = new URL(redirectUri);
      target.searchParams.set('code', code);
      if (query.get('state') !== null) target.searchParams.set('state', query.get('state')!);
      target.searchParams.set('session_state', randomUUID());
      return { status: 302, headers: { location: target.toString() } };
    }
    const withRoles = [...this.tenant.users.values()].filter((u) => u.appRoles.length > 0 && u.accountEnabled);
    const others = [...this.tenant.users.values()].filter((u) => u.appRoles.length === 0 && u.accountEnabled && u.userType === 'Member').slice(0, 5);
    const link = (u: SimUser) => {
      const q = new URLSearchParams(query);
      q.set('login_hint', u.userPrincipalName);
      return `<li><a href="?${escapeHtml(q.toString())}">${escapeHtml(u.displayName)}</a> &lt;${escapeHtml(u.userPrincipalName)}&gt; ${u.appRoles.map((r) => `<b>${escapeHtml(r)}</b>`).join(' ')}</li>`;
    };
    const hidden = [...query.entries()]
      .filter(([k]) => k !== 'login_hint')
      .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
      .join('');
    return {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: page(
        'Sign in (simulated tenant)',
        `<p>Pick an account of the simulated tenant <code>${escapeHtml(this.tenant.domain)}</code>.</p><ul>${withRoles.map(link).join('')}${others.map(link).join('')}</ul>
         <form method="get">${hidden}<label>Another account: <input name="login_hint" placeholder="user@${escapeHtml(this.tenant.domain)}"></label> <button>Sign in</button></form>`,
      ),
    };
  }

  logout(query: URLSearchParams): SimResponse {
    const target = query.get('post_logout_redirect_uri');
    if (target && /^https?:\/\//.test(target)) return { status: 302, headers: { location: target } };
    return {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: page('Signed out', '<p>You have signed out of the simulated tenant.</p>'),
    };
  }
}

function redirectWithError(redirectUri: string, state: string | null, error: string, description: string): SimResponse {
  const target = new URL(redirectUri);
  target.searchParams.set('error', error);
  target.searchParams.set('error_description', description);
  if (state !== null) target.searchParams.set('state', state);
  return { status: 302, headers: { location: target.toString() } };
}

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}li{margin:.4rem 0}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}
