import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { Agent, fetch as undiciFetch } from 'undici';
import * as client from 'openid-client';
import type { Logger } from '../lib/logger.js';
import { OnrampError } from '../errors.js';
import type { AuthConfig } from './auth.service.js';
import type { Role } from './auth.model.js';

/**
 * OpenID Connect sign-in (authorization code + PKCE) with openid-client v6, for Microsoft Entra ID
 * in production and the tenant simulator in tests and the demo. Only the server talks to the
 * identity provider; the browser ends up with nothing but the session cookie (backend-for-frontend).
 */
type OidcConfig = AuthConfig['oidc'];

export function oidcConfigured(c: OidcConfig): c is OidcConfig & { issuer: string; clientId: string } {
  return Boolean(c.issuer && c.clientId);
}

export interface OidcIdentity {
  subject: string;
  displayName: string;
  role: Role | undefined;
}

/** Maps the configured role claim (app roles or group ids) to onramp's roles; admin wins. */
export function roleFromClaims(claims: Record<string, unknown>, c: Pick<OidcConfig, 'roleClaim' | 'adminValues' | 'viewerValues'>): Role | undefined {
  const raw = claims[c.roleClaim];
  const values = Array.isArray(raw) ? raw.filter((v): v is string => typeof v === 'string') : typeof raw === 'string' ? [raw] : [];
  if (values.some((v) => c.adminValues.includes(v))) return 'admin';
  if (values.some((v) => c.viewerValues.includes(v))) return 'viewer';
  return undefined;
}

interface FlowState {
  v: string;
  s: string;
  n: string;
}

export class OidcSignIn {
  #configuration: Promise<client.Configuration> | undefined;

  constructor(
    private readonly config: OidcConfig & { issuer: string; clientId: string },
    private readonly log: Logger,
    /** Extra CA (PEM) given directly, e.g. the in-process simulator's; otherwise `caFile` is read. */
    private readonly caPem?: string,
  ) {}

  /** Discovery runs on first use and is retried after a failure, so a start does not need the IdP up. */
  private configuration(): Promise<client.Configuration> {
    this.#configuration ??= this.discover().catch((err: unknown) => {
      this.#configuration = undefined;
      this.log.error({ err, issuer: this.config.issuer }, 'OpenID Connect discovery failed');
      throw new OnrampError('ONRAMP_ERR_OIDC_FAILED', ['the identity provider could not be reached'], { cause: err });
    });
    return this.#configuration;
  }

  private async discover(): Promise<client.Configuration> {
    const c = this.config;
    let auth: client.ClientAuth | undefined;
    if (c.clientCertificateKeyFile) {
      // Entra ID accepts RS256 client assertions signed with the certificate's RSA key.
      const der = createPrivateKey(readFileSync(c.clientCertificateKeyFile)).export({ format: 'der', type: 'pkcs8' });
      const key = await crypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
      auth = client.PrivateKeyJwt(
        key,
        c.clientCertificateThumbprint
          ? {
              [client.modifyAssertion]: (header) => {
                header.x5t = Buffer.from(c.clientCertificateThumbprint!, 'hex').toString('base64url');
              },
            }
          : undefined,
      );
    } else if (c.clientSecret) {
      auth = client.ClientSecretPost(c.clientSecret);
    } else {
      auth = client.None();
    }
    // The ID token's signature is checked against the issuer's published keys too, not only its claims:
    // the token comes over TLS from the token endpoint, but an extra CA (auth.oidc.caFile) widens
    // what that TLS trusts.
    const options: client.DiscoveryRequestOptions = { execute: [client.enableNonRepudiationChecks] };
    const extraCa = this.caPem ?? (c.caFile ? readFileSync(c.caFile, 'utf8') : undefined);
    if (extraCa) {
      // An extra CA on top of the system ones (never switching verification off).
      const { rootCertificates } = await import('node:tls');
      const agent = new Agent({ connect: { ca: [...rootCertificates, extraCa] } });
      options[client.customFetch] = ((url: string, init: RequestInit) =>
        undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: agent })) as unknown as client.CustomFetch;
    }
    return client.discovery(new URL(c.issuer), c.clientId, undefined, auth, options);
  }

  /** The authorization URL to send the browser to, and the flow state to keep in a short-lived cookie. */
  async start(redirectUri: string): Promise<{ url: URL; state: string }> {
    const configuration = await this.configuration();
    const flow: FlowState = { v: client.randomPKCECodeVerifier(), s: client.randomState(), n: client.randomNonce() };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(flow.v),
      code_challenge_method: 'S256',
      state: flow.s,
      nonce: flow.n,
    });
    return { url, state: Buffer.from(JSON.stringify(flow)).toString('base64url') };
  }

  /** Completes the flow: checks state, PKCE and the ID token (signature, issuer, audience, nonce). */
  async finish(currentUrl: URL, flowCookie: string | undefined): Promise<OidcIdentity> {
    const flow = parseFlow(flowCookie);
    if (!flow) throw new OnrampError('ONRAMP_ERR_OIDC_FAILED', ['the sign-in took too long or was started in another browser; try again']);
    const configuration = await this.configuration();
    let claims: client.IDToken | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: flow.v,
        expectedState: flow.s,
        expectedNonce: flow.n,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (err) {
      this.log.warn({ err }, 'OpenID Connect callback rejected');
      throw new OnrampError('ONRAMP_ERR_OIDC_FAILED', ["the identity provider's answer was not accepted"], { cause: err });
    }
    if (!claims) throw new OnrampError('ONRAMP_ERR_OIDC_FAILED', ['no ID token']);
    const name = [claims.preferred_username, claims.upn, claims.email, claims.sub].find((v) => typeof v === 'string') as string;
    return {
      subject: name,
      displayName: typeof claims.name === 'string' ? claims.name : name,
      role: roleFromClaims(claims, this.config),
    };
  }
}

function parseFlow(cookie: string | undefined): FlowState | undefined {
  if (!cookie) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cookie, 'base64url').toString('utf8')) as Partial<FlowState>;
    return typeof value.v === 'string' && typeof value.s === 'string' && typeof value.n === 'string' ? (value as FlowState) : undefined;
  } catch {
    return undefined;
  }
}
