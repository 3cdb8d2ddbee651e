/**
 * The tenant simulator: an HTTPS server on loopback that speaks the Microsoft identity platform,
 * Graph v1.0 and Exchange Online admin API shapes onramp uses, over a generated or loaded tenant.
 * Started by `onramp sim`, in-process by `serve --demo`, and by tests.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { createRootCa, issueServerCertificate, loadCa, type CertificateAuthority } from '../pki/pki.js';
import type { AuthMethodKind } from '../graph/graph-port.js';
import { TokenBuckets } from '../lib/token-buckets.js';
import { GraphApi, MAX_BATCH, odataError, stampRequestIds } from './graph-api.js';
import { IdentityPlatform, type SimResponse } from './identity.js';
import { SECURITY_INFO_PATH, SecurityInfoPage } from './security-info.js';
import { etagOf } from './photos.js';
import { stableGuid, Tenant, type SentMail, type SimUser, type StoredSignature, type TenantFile } from './tenant.js';

export { Tenant, type SimUser, type SentMail, type StoredSignature, type TenantFile } from './tenant.js';

/** POST /_sim/tokens/user: mint a delegated token for a user (the add-in's NAA token in tests). */
const UserTokenRequest = Type.Object(
  {
    user: Type.String({ minLength: 1 }),
    audience: Type.String({ minLength: 1 }),
    scope: Type.String(),
    clientId: Type.Optional(Type.String({ minLength: 1 })),
    lifetimeSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
    shiftSeconds: Type.Optional(Type.Integer()),
    tenantId: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

const FaultsSchema = Type.Object(
  {
    /** Added before every Graph/Exchange answer. */
    latencyMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
    /** Requests per second allowed per app (batch items count one each); 0 = unlimited. */
    throttlePerSecond: Type.Number({ minimum: 0 }),
    /** Fraction (0..1) of Graph/Exchange requests and batch items answered 503. */
    failureRate503: Type.Number({ minimum: 0, maximum: 1 }),
    /** Graph requests and batch items whose URL names one of these (a UPN, a group id) answer 500, every time: a directory object Graph keeps failing on. */
    failingNames: Type.Array(Type.String({ minLength: 1, maxLength: 320 }), { maxItems: 1000 }),
    /** Added before every Exchange InvokeCommand answer, on top of latencyMs. */
    exchangeLatencyMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
    /**
     * InvokeCommand calls one app may have in flight in the tenant; the next one is answered 429 with
     * Retry-After (Exchange's PowerShellMaxTenantConcurrency is 9). 0 = unlimited.
     */
    exchangeMaxConcurrency: Type.Integer({ minimum: 0, maximum: 10_000 }),
    /** InvokeCommand calls per second allowed per app (a budget of its own, apart from Graph's); 0 = unlimited. */
    exchangeThrottlePerSecond: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type Faults = Static<typeof FaultsSchema>;

const METHOD_KINDS = [
  'microsoftAuthenticator',
  'phone',
  'softwareOath',
  'hardwareOath',
  'fido2',
  'passkey',
  'windowsHello',
  'email',
  'temporaryAccessPass',
  'password',
  'other',
] as const;
const MfaBodySchema = Type.Union([
  Type.Object({ registered: Type.Boolean() }, { additionalProperties: false }),
  Type.Object({ methods: Type.Array(Type.Union(METHOD_KINDS.map((k) => Type.Literal(k)))) }, { additionalProperties: false }),
]);
const UserChangesSchema = Type.Partial(
  Type.Object(
    {
      displayName: Type.String(),
      givenName: Type.Union([Type.String(), Type.Null()]),
      surname: Type.Union([Type.String(), Type.Null()]),
      department: Type.Union([Type.String(), Type.Null()]),
      jobTitle: Type.Union([Type.String(), Type.Null()]),
      mobilePhone: Type.Union([Type.String(), Type.Null()]),
      officeLocation: Type.Union([Type.String(), Type.Null()]),
      city: Type.Union([Type.String(), Type.Null()]),
      country: Type.Union([Type.String(), Type.Null()]),
      accountEnabled: Type.Boolean(),
      businessPhones: Type.Array(Type.String()),
      appRoles: Type.Array(Type.String()),
      /** A rename: the UPN changes, the object id stays (delta sync sees the new name). */
      userPrincipalName: Type.String({ minLength: 3, maxLength: 113, pattern: '^[^@\\s]+@[^@\\s]+$' }),
      mail: Type.Union([Type.String(), Type.Null()]),
      /** The manager's object id or UPN; null removes the manager. */
      managerId: Type.Union([Type.String({ minLength: 1, maxLength: 320 }), Type.Null()]),
    },
    { additionalProperties: false },
  ),
);
const CertificateBodySchema = Type.Object({ certificate: Type.String({ minLength: 1, maxLength: 64 * 1024 }) }, { additionalProperties: false });

export interface SimulatorOptions {
  /** Size of a generated tenant (ignored when `tenant` or `tenantFile` is given). Default 200. */
  users?: number;
  seed?: number;
  domain?: string;
  tenantFile?: string;
  tenant?: TenantFile;
  port?: number;
  host?: string;
  /** Keeps the CA and server certificate here (so a standalone simulator keeps one CA across runs); default in memory. */
  dataDir?: string;
  faults?: Partial<Faults>;
  /** Lifetime of issued tokens; default 3600 s. */
  tokenLifetimeSeconds?: number;
  /** Certificates (PEM) registered on the app for certificate credentials. */
  clientCertificates?: string[];
  /**
   * Outlook roaming signatures on for the tenant (Microsoft's default for every tenant today:
   * PostponeRoamingSignaturesUntilLater false). While on, Set-MailboxMessageConfiguration's signature
   * parameters succeed and change nothing. Default true.
   */
  roamingSignatures?: boolean;
  clientSecret?: string;
}

export interface SimulatorStats {
  /** Graph and Exchange HTTP requests received (a $batch counts once). */
  graphRequests: number;
  batchItems: number;
  /** 429 answers, whole responses and batch items. */
  throttled: number;
  /** 503 answers injected. */
  injectedFailures: number;
  tokensIssued: number;
  unauthorized: number;
  /** InvokeCommand calls by cmdlet name (answered, throttled ones excluded). */
  cmdlets: Record<string, number>;
  /** InvokeCommand calls answered 429 (concurrency or rate). */
  exchangeThrottled: number;
  /** Set-MailboxMessageConfiguration calls that changed nothing because roaming signatures were on. */
  ignoredSignatureUpdates: number;
}

export interface SimulatorControl {
  readonly tenant: Tenant;
  faults(): Faults;
  setFaults(faults: Partial<Faults>): Faults;
  /** Registers methods (true: Microsoft Authenticator) or removes them all (false). */
  setMfa(user: string, registration: boolean | AuthMethodKind[]): SimUser;
  /**
   * Calls `listener` after a user's methods change (setMfa, the control API, the security-info page),
   * so the demo can run onramp's check at once. Returns the unsubscribe function.
   */
  onMethodsChanged(listener: (user: SimUser) => void): () => void;
  updateUser(user: string, changes: Partial<Omit<SimUser, 'id'>>): SimUser;
  /** As Graph's DELETE /users/{id}: restorable (delta: `@removed` reason `changed`); `permanently`: reason `deleted`. */
  deleteUser(user: string, options?: { permanently?: boolean }): void;
  /** Restores a deleted user (POST /directory/deletedItems/{id}/restore). */
  restoreUser(id: string): SimUser;
  /** Every delta token issued so far becomes unknown: the next delta call answers 410 syncStateNotFound. */
  expireDeltaTokens(): void;
  mail(): SentMail[];
  clearMail(): void;
  signature(mailbox: string): StoredSignature | undefined;
  /** Set-OrganizationConfig -PostponeRoamingSignaturesUntilLater (true turns roaming signatures off). */
  setRoamingSignatures(on: boolean): void;
  /** Add-RecipientPermission -AccessRights SendAs (granted true) or Remove-RecipientPermission: `trustee` may send as `mailbox`. */
  setSendAs(mailbox: string, trustee: string, granted: boolean): void;
  /** Replaces a user's photo (PNG or JPEG bytes) or removes it (null). */
  setPhoto(user: string, photo: { bytes: Buffer; contentType: 'image/png' | 'image/jpeg'; width: number; height: number } | null): void;
  stats(): SimulatorStats;
  resetStats(): void;
  /** Registers a certificate (PEM) on the app for certificate credentials; returns its SHA-1 thumbprint (base64url). */
  addClientCertificate(certPem: string): string;
  /** A valid app-only access token (or an already expired one) for raw HTTP tests. */
  issueAccessToken(options?: { lifetimeSeconds?: number; audience?: string }): Promise<string>;
  /**
   * A delegated token for a user of the tenant, as Entra issues one to a client (e.g. the Outlook
   * add-in through nested app authentication) for an API: `audience` is the API's app id URI or client
   * id, `scope` its granted delegated scopes (space-separated). Also `POST /_sim/tokens/user`.
   */
  issueUserToken(options: {
    user: string;
    audience: string;
    scope: string;
    clientId?: string;
    lifetimeSeconds?: number;
    shiftSeconds?: number;
    tenantId?: string;
  }): Promise<string>;
}

export interface RunningSimulator {
  url: string;
  /** The CA that signed the simulator's HTTPS certificate: trust it for simulator traffic only. */
  caPem: string;
  tenantId: string;
  domain: string;
  clientId: string;
  clientSecret: string;
  mfaGroupId: string;
  sharedMailbox: string;
  /** Authority host for @azure/identity (`authorityHost`), same as `url`. */
  authorityHost: string;
  /** The simulated security-info page standing in for https://aka.ms/mfasetup (the demo's enrol redirect). */
  mfaSetupUrl: string;
  control: SimulatorControl;
  stop(): Promise<void>;
}

/**
 * Graph's throttling as the simulator plays it: a bucket per app at the rate the faults set now, holding
 * at least one request (so rates below 1/s still let one through per Retry-After). A new rate starts
 * with full buckets.
 */
export class ThrottleBuckets {
  #rate = 0;
  #buckets: TokenBuckets | undefined;

  /** Whole seconds to wait (Retry-After), or 0 when the request may go. */
  take(app: string, perSecond: number, now = Date.now()): number {
    if (perSecond <= 0) return 0;
    if (!this.#buckets || perSecond !== this.#rate) {
      this.#rate = perSecond;
      this.#buckets = new TokenBuckets(perSecond, Math.max(1, perSecond));
    }
    return this.#buckets.take(app, now);
  }
}

async function simulatorCa(dataDir: string | undefined): Promise<{ ca: CertificateAuthority }> {
  if (!dataDir) return { ca: await createRootCa('onramp tenant simulator CA') };
  const dir = join(dataDir, 'simulator');
  mkdirSync(dir, { recursive: true });
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca.key');
  if (existsSync(certPath) && existsSync(keyPath)) return { ca: await loadCa(readFileSync(certPath, 'utf8'), readFileSync(keyPath, 'utf8')) };
  const ca = await createRootCa('onramp tenant simulator CA');
  writeFileSync(certPath, ca.certPem);
  writeFileSync(keyPath, ca.keyPem, { mode: 0o600 });
  return { ca };
}

const BODY_LIMIT = 4 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= BODY_LIMIT) chunks.push(c);
    });
    req.on('end', () => resolve(size > BODY_LIMIT ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// Unref'd: latency owed to a client that is gone (a test's killed process) must not keep the process alive.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const tenant = options.tenant
    ? Tenant.fromJson(options.tenant)
    : options.tenantFile
      ? Tenant.fromFile(options.tenantFile)
      : Tenant.generate({ users: options.users ?? 200, seed: options.seed, domain: options.domain });
  const host = options.host ?? '127.0.0.1';
  const { ca } = await simulatorCa(options.dataDir);
  const serverCert = await issueServerCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] });

  let baseUrl = '';
  const clientId = stableGuid(`app:${tenant.tenantId}`);
  const clientSecret = options.clientSecret ?? `sim~${randomBytes(24).toString('base64url')}`;
  const identity = new IdentityPlatform(tenant, clientId, clientSecret, options.tokenLifetimeSeconds ?? 3600, () => baseUrl);
  await identity.init();
  for (const pem of options.clientCertificates ?? []) identity.addCertificate(pem);
  const api = new GraphApi(tenant);
  tenant.organization.postponeRoamingSignaturesUntilLater = options.roamingSignatures === false;
  let faults: Faults = Value.Default(FaultsSchema, {
    latencyMs: 0,
    throttlePerSecond: 0,
    failureRate503: 0,
    failingNames: [],
    exchangeLatencyMs: 0,
    exchangeMaxConcurrency: 0,
    exchangeThrottlePerSecond: 0,
    ...options.faults,
  }) as Faults;
  if (!Value.Check(FaultsSchema, faults))
    throw new Error(`invalid simulator faults: ${[...Value.Errors(FaultsSchema, faults)].map((e) => `${e.path} ${e.message}`).join('; ')}`);
  const throttle = new ThrottleBuckets();
  const exchangeThrottle = new ThrottleBuckets();
  const exchangeInFlight = new Map<string, number>();
  const stats: SimulatorStats = {
    graphRequests: 0,
    batchItems: 0,
    throttled: 0,
    injectedFailures: 0,
    tokensIssued: 0,
    unauthorized: 0,
    cmdlets: {},
    exchangeThrottled: 0,
    ignoredSignatureUpdates: 0,
  };
  const methodListeners = new Set<(user: SimUser) => void>();
  const securityInfo = new SecurityInfoPage(tenant, (user) => control.setMfa(user.id, [...new Set([...user.methods, 'microsoftAuthenticator' as const])]));

  /** Throttle and injected 503s, applied to each Graph request and each batch item. */
  function fault(appId: string): SimResponse | null {
    const wait = throttle.take(appId, faults.throttlePerSecond);
    if (wait > 0) {
      stats.throttled++;
      return odataError(429, 'TooManyRequests', 'Too many requests. Please try again later.', { 'Retry-After': String(wait) });
    }
    return injected503();
  }

  function failingRequest(url: string): SimResponse | null {
    if (faults.failingNames.length === 0) return null;
    let text: string;
    try {
      text = decodeURIComponent(url).toLowerCase();
    } catch {
      return null;
    }
    if (!faults.failingNames.some((name) => text.includes(name.toLowerCase()))) return null;
    stats.injectedFailures++;
    return odataError(500, 'InternalServerError', 'An internal server error occurred. Please try again later.');
  }

  function injected503(): SimResponse | null {
    if (faults.failureRate503 > 0 && Math.random() < faults.failureRate503) {
      stats.injectedFailures++;
      return odataError(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Please try again later.', { 'Retry-After': '1' });
    }
    return null;
  }

  /**
   * POST /$batch as Graph runs it: ids unique (else the whole batch is refused), item URLs relative to
   * the version (a `/v1.0/…` item is refused with Graph's message), `dependsOn` naming earlier items
   * (unknown ids refuse the batch; a dependent of a failed item answers 424 without running).
   */
  function batch(body: unknown, appId: string, requestId: string, clientRequestId: string): SimResponse {
    const requests = (body as { requests?: unknown } | null)?.requests;
    if (!Array.isArray(requests)) return odataError(400, 'BadRequest', 'Invalid batch payload: requests is required.');
    if (requests.length > MAX_BATCH) return odataError(400, 'BadRequest', `Number of batch requests exceeds the maximum of ${MAX_BATCH}.`);
    type Item = { id?: unknown; method?: unknown; url?: unknown; body?: unknown; headers?: unknown; dependsOn?: unknown };
    const items = requests as Item[];
    const ids = new Set<string>();
    for (const item of items) {
      if (
        !item ||
        typeof item !== 'object' ||
        typeof item.id !== 'string' ||
        item.id === '' ||
        typeof item.url !== 'string' ||
        typeof item.method !== 'string'
      ) {
        return odataError(400, 'BadRequest', 'Invalid batch payload: each request needs an id, a method and a url.');
      }
      const id = item.id.toLowerCase();
      if (ids.has(id)) return odataError(400, 'BadRequest', `Batch request id '${item.id}' is not unique. Request ids must be unique within a batch.`);
      if (item.dependsOn !== undefined) {
        if (!Array.isArray(item.dependsOn) || !item.dependsOn.every((d) => typeof d === 'string'))
          return odataError(400, 'BadRequest', `Invalid dependsOn for request '${item.id}': an array of request ids is expected.`);
        const unknown = (item.dependsOn as string[]).find((d) => !ids.has(d.toLowerCase()));
        if (unknown !== undefined)
          return odataError(400, 'BadRequest', `Request '${item.id}' depends on '${unknown}', which is not an earlier request of this batch.`);
      }
      ids.add(id);
    }
    const outcome = new Map<string, number>();
    const responses = items.map((item) => {
      const id = item.id as string;
      const answer = (res: SimResponse) => {
        outcome.set(id.toLowerCase(), res.status);
        stampRequestIds(res.body, requestId, clientRequestId);
        const type = typeof res.body === 'string' ? 'text/plain' : 'application/json';
        return { id, status: res.status, headers: { 'Content-Type': type, ...res.headers }, ...(res.body !== undefined ? { body: res.body } : {}) };
      };
      const failed = ((item.dependsOn as string[] | undefined) ?? []).find((d) => {
        const status = outcome.get(d.toLowerCase());
        return status === undefined || status < 200 || status >= 300;
      });
      if (failed !== undefined) return answer(odataError(424, 'FailedDependency', `The request depends on request '${failed}', which failed.`));
      const rawUrl = item.url as string;
      if (/^https?:/i.test(rawUrl)) return answer(odataError(400, 'BadRequest', 'Invalid request URL: batch request URLs must be relative, e.g. /users.'));
      const relative = `/${rawUrl.replace(/^\/+/, '')}`;
      // Graph resolves item URLs under the batch's version, so /v1.0/users means /v1.0/v1.0/users.
      const version = relative.match(/^\/(v1\.0|beta)(?=[/?]|$)/i);
      if (version) return answer(odataError(400, 'BadRequest', `Resource not found for the segment '${version[1]}'.`));
      stats.batchItems++;
      const injected = fault(appId) ?? failingRequest(rawUrl);
      if (injected) return answer(injected);
      const url = new URL(relative.slice(1), `${baseUrl}/v1.0/`);
      const headers = item.headers && typeof item.headers === 'object' ? (item.headers as Record<string, unknown>) : {};
      const eventual = Object.entries(headers).some(([k, v]) => k.toLowerCase() === 'consistencylevel' && String(v).toLowerCase() === 'eventual');
      return answer(
        api.dispatch((item.method as string).toUpperCase(), url.pathname.replace(/^\/v1\.0/, ''), url.searchParams, item.body ?? null, {
          baseUrl,
          appId,
          eventual,
        }),
      );
    });
    return { status: 200, body: { responses } };
  }

  async function controlApi(method: string, parts: string[], url: URL, json: unknown): Promise<SimResponse> {
    const [, what, key, sub] = parts;
    const bad = (message: string) => ({ status: 400, body: { error: { code: 'BadRequest', message } } });
    const missing = (k: string) => ({ status: 404, body: { error: { code: 'NotFound', message: `no simulated user ${k}` } } });
    if (what === 'mail' && method === 'GET') {
      const to = url.searchParams.get('to')?.toLowerCase();
      const list = to ? tenant.mail.filter((m) => m.to.some((r) => r.address.toLowerCase() === to)) : tenant.mail;
      return { status: 200, body: { value: list } };
    }
    if (what === 'mail' && method === 'DELETE') {
      control.clearMail();
      return { status: 204 };
    }
    if (what === 'faults' && method === 'GET') return { status: 200, body: faults };
    if (what === 'faults' && (method === 'PUT' || method === 'PATCH')) {
      const next = { ...faults, ...(json as object) };
      if (!Value.Check(FaultsSchema, next))
        return bad(`invalid faults: ${[...Value.Errors(FaultsSchema, next)].map((e) => `${e.path} ${e.message}`).join('; ')}`);
      return { status: 200, body: control.setFaults(next) };
    }
    if (what === 'stats' && method === 'GET') return { status: 200, body: control.stats() };
    if (what === 'tokens' && key === 'user' && method === 'POST') {
      if (!Value.Check(UserTokenRequest, json))
        return bad(`invalid token request: ${[...Value.Errors(UserTokenRequest, json)].map((e) => `${e.path} ${e.message}`).join('; ')}`);
      if (!tenant.findUser(json.user)?.accountEnabled) return missing(json.user);
      return { status: 200, body: { token_type: 'Bearer', access_token: await control.issueUserToken(json) } };
    }
    if (what === 'tenant' && method === 'GET') {
      return {
        status: 200,
        body: {
          tenantId: tenant.tenantId,
          domain: tenant.domain,
          users: tenant.users.size,
          mfaGroupId: tenant.mfaGroupId,
          sharedMailbox: tenant.sharedMailbox,
          clientId,
        },
      };
    }
    if (what === 'delta' && key === 'expire' && method === 'POST') {
      control.expireDeltaTokens();
      return { status: 204 };
    }
    if (what === 'app' && key === 'certificates' && method === 'POST') {
      if (!Value.Check(CertificateBodySchema, json)) return bad('expected {"certificate": "<PEM>"}');
      try {
        return { status: 201, body: { clientId, thumbprint: control.addClientCertificate(json.certificate) } };
      } catch {
        return bad('certificate is not a PEM X.509 certificate');
      }
    }
    if (what === 'users' && key && sub === 'restore' && method === 'POST') {
      const deleted =
        tenant.deletedUsers.get(key) ?? [...tenant.deletedUsers.values()].find((d) => d.user.userPrincipalName.toLowerCase() === key.toLowerCase());
      if (!deleted) return { status: 404, body: { error: { code: 'NotFound', message: `no deleted simulated user ${key}` } } };
      try {
        return { status: 200, body: control.restoreUser(deleted.user.id) };
      } catch (err) {
        return { status: 409, body: { error: { code: 'Conflict', message: (err as Error).message } } };
      }
    }
    if (
      what === 'users' &&
      key &&
      !sub &&
      method === 'DELETE' &&
      !tenant.findUser(key) &&
      tenant.deletedUsers.has(key) &&
      url.searchParams.get('permanently') === 'true'
    ) {
      control.deleteUser(key, { permanently: true });
      return { status: 204 };
    }
    if (what === 'users' && key && !tenant.findUser(key)) return missing(key);
    if (what === 'users' && key && !sub && method === 'DELETE') {
      control.deleteUser(key, { permanently: url.searchParams.get('permanently') === 'true' });
      return { status: 204 };
    }
    if (what === 'users' && key && sub === 'mfa' && method === 'POST') {
      if (!Value.Check(MfaBodySchema, json)) return bad('expected {"registered": boolean} or {"methods": [...]}');
      const user = control.setMfa(key, 'registered' in json ? json.registered : json.methods);
      return { status: 200, body: { id: user.id, userPrincipalName: user.userPrincipalName, methods: user.methods } };
    }
    if (what === 'users' && key && !sub && method === 'PATCH') {
      if (!Value.Check(UserChangesSchema, json))
        return bad(`invalid changes: ${[...Value.Errors(UserChangesSchema, json)].map((e) => `${e.path} ${e.message}`).join('; ')}`);
      const changes = { ...json };
      if (typeof changes.managerId === 'string') {
        const manager = tenant.findUser(changes.managerId);
        if (!manager) return bad(`no simulated user ${changes.managerId} to be the manager`);
        changes.managerId = manager.id;
      }
      try {
        return { status: 200, body: control.updateUser(key, changes) };
      } catch (err) {
        return bad((err as Error).message);
      }
    }
    if (what === 'users' && key && !sub && method === 'GET') return { status: 200, body: tenant.findUser(key) };
    if (what === 'organization' && method === 'GET') return { status: 200, body: { ...tenant.organization } };
    if (what === 'organization' && (method === 'PUT' || method === 'PATCH')) {
      const postpone = (json as { postponeRoamingSignaturesUntilLater?: unknown } | null)?.postponeRoamingSignaturesUntilLater;
      if (typeof postpone !== 'boolean') return bad('expected {"postponeRoamingSignaturesUntilLater": boolean}');
      control.setRoamingSignatures(!postpone);
      return { status: 200, body: { ...tenant.organization } };
    }
    if (what === 'signatures' && key && method === 'GET') {
      const s = control.signature(key);
      return s ? { status: 200, body: s } : { status: 404, body: { error: { code: 'NotFound', message: `no signature stored for ${key}` } } };
    }
    return { status: 404, body: { error: { code: 'NotFound', message: `no simulator control route ${method} ${url.pathname}` } } };
  }

  /**
   * InvokeCommand with Exchange's own budget: calls in flight per app (PowerShellMaxTenantConcurrency)
   * and a rate, both answered 429 with Retry-After, then its latency; a failing name (the mailbox in
   * Identity) answers 500 as Graph requests do.
   */
  async function invokeCommand(body: unknown, appId: string, eventual: boolean): Promise<SimResponse> {
    const inFlight = exchangeInFlight.get(appId) ?? 0;
    const wait = exchangeThrottle.take(appId, faults.exchangeThrottlePerSecond);
    if ((faults.exchangeMaxConcurrency > 0 && inFlight >= faults.exchangeMaxConcurrency) || wait > 0) {
      stats.exchangeThrottled++;
      return odataError(429, 'TooManyRequests', 'The request was throttled: too many concurrent requests for this tenant. Retry after the given time.', {
        'Retry-After': String(Math.max(1, wait)),
      });
    }
    exchangeInFlight.set(appId, inFlight + 1);
    try {
      if (faults.exchangeLatencyMs > 0) await sleep(faults.exchangeLatencyMs);
      const input = (body as { CmdletInput?: { CmdletName?: unknown; Parameters?: { Identity?: unknown } } } | null)?.CmdletInput;
      const name = typeof input?.CmdletName === 'string' ? input.CmdletName : '';
      const mailbox = input?.Parameters?.Identity;
      if (typeof mailbox === 'string') {
        const failing = failingRequest(mailbox);
        if (failing) return failing;
      }
      stats.cmdlets[name] = (stats.cmdlets[name] ?? 0) + 1;
      return api.invokeCommand(body, { baseUrl, appId, eventual });
    } finally {
      exchangeInFlight.set(appId, (exchangeInFlight.get(appId) ?? 1) - 1);
    }
  }

  async function route(req: IncomingMessage, url: URL, raw: Buffer, ids: { requestId: string; clientRequestId: string }): Promise<SimResponse> {
    const method = req.method ?? 'GET';
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const json = (): unknown => (raw.length > 0 ? JSON.parse(raw.toString('utf8')) : null);

    if (parts[0] === '_sim') return controlApi(method, parts, url, json());
    if (url.pathname === SECURITY_INFO_PATH && method === 'GET') return securityInfo.show(url.searchParams);
    if (url.pathname === SECURITY_INFO_PATH && method === 'POST') return securityInfo.registerMethod(new URLSearchParams(raw.toString('utf8')));
    if (parts[0] === 'common' && parts[1] === 'discovery' && parts[2] === 'instance') return identity.instanceDiscovery();
    if (parts[0] === 'oidc' && parts[1] === 'userinfo') return odataError(401, 'InvalidAuthenticationToken', 'userinfo is not simulated');

    const isGraph = parts[0] === 'v1.0';
    const isExchange = parts[0] === 'adminapi' && parts[1] === 'beta' && parts[3] === 'InvokeCommand' && parts.length === 4;
    if (!isGraph && !isExchange) {
      const [tenantSegment, a, b, c] = parts;
      if (!tenantSegment || !identity.matchesTenant(tenantSegment))
        return odataError(400, 'invalid_tenant', `AADSTS90002: Tenant '${tenantSegment ?? ''}' not found.`);
      if (a === 'v2.0' && b === '.well-known' && c === 'openid-configuration' && method === 'GET') return identity.openidConfiguration();
      if (a === 'discovery' && b === 'v2.0' && c === 'keys' && method === 'GET') return identity.jwks();
      if (a === 'oauth2' && b === 'v2.0' && c === 'authorize' && method === 'GET') return identity.authorize(url.searchParams);
      if (a === 'oauth2' && b === 'v2.0' && c === 'logout') return identity.logout(url.searchParams);
      if (a === 'oauth2' && b === 'v2.0' && c === 'token' && method === 'POST') {
        const basic = req.headers.authorization?.match(/^Basic\s+(\S+)$/i)?.[1];
        const [id, secret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':').map(decodeURIComponent) : [];
        const res = await identity.token(new URLSearchParams(raw.toString('utf8')), id !== undefined && secret !== undefined ? { id, secret } : null);
        stats.tokensIssued = identity.tokensIssued;
        return res;
      }
      return odataError(404, 'NotFound', `no identity endpoint ${method} ${url.pathname}`);
    }

    const auth = await identity.verifyBearer(req.headers.authorization);
    if (!auth.ok) {
      stats.unauthorized++;
      return { ...odataError(401, 'InvalidAuthenticationToken', auth.message), headers: { 'WWW-Authenticate': 'Bearer realm="", error="invalid_token"' } };
    }
    stats.graphRequests++;
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    const appId = auth.claims.appid;
    // Graph evaluates throttling per request inside a $batch, not on the envelope.
    const isBatch = isGraph && parts[1] === '$batch' && parts.length === 2;
    const injected = isBatch ? injected503() : (fault(appId) ?? failingRequest(url.pathname + url.search));
    if (injected) return injected;
    let body: unknown;
    try {
      body = json();
    } catch {
      return odataError(
        400,
        'BadRequest',
        'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
      );
    }
    const eventual = String(req.headers.consistencylevel ?? '').toLowerCase() === 'eventual';
    if (isExchange) {
      if (!identity.matchesTenant(parts[2]!)) return odataError(400, 'BadRequest', `Tenant '${parts[2]!}' not found.`);
      return invokeCommand(body, appId, eventual);
    }
    if (parts[1] === '$batch' && parts.length === 2 && method === 'POST') return batch(body, appId, ids.requestId, ids.clientRequestId);
    return api.dispatch(method, url.pathname.replace(/^\/v1\.0/, ''), url.searchParams, body, { baseUrl, appId, eventual });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    // Graph echoes the caller's client-request-id (the SDKs send one) and otherwise uses its own id.
    const sent = req.headers['client-request-id'];
    const clientRequestId = typeof sent === 'string' && /^[\w.:-]{1,100}$/.test(sent) ? sent : requestId;
    let answer: SimResponse;
    try {
      const raw = await readBody(req);
      const url = new URL(req.url ?? '/', baseUrl);
      answer =
        raw === null
          ? odataError(413, 'RequestEntityTooLarge', 'The request payload is too large.')
          : await route(req, url, raw, { requestId, clientRequestId });
    } catch (err) {
      answer = odataError(500, 'InternalServerError', `simulator error: ${(err as Error).message}`);
    }
    stampRequestIds(answer.body, requestId, clientRequestId);
    // Strings (HTML pages) and bytes (photos) go as they are, with their own content type.
    const isText = typeof answer.body === 'string' || Buffer.isBuffer(answer.body);
    const payload = answer.body === undefined ? '' : isText ? (answer.body as string | Buffer) : JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'request-id': requestId,
      'client-request-id': clientRequestId,
      ...(answer.body !== undefined && !isText ? { 'content-type': 'application/json; odata.metadata=minimal; charset=utf-8' } : {}),
      ...answer.headers,
    });
    res.end(payload);
  }

  const server: Server = createServer({ cert: serverCert.certPem, key: serverCert.keyPem, minVersion: 'TLSv1.2' }, (req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const control: SimulatorControl = {
    tenant,
    faults: () => ({ ...faults }),
    setFaults(next) {
      const merged = { ...faults, ...next };
      if (!Value.Check(FaultsSchema, merged)) throw new Error('invalid simulator faults');
      faults = merged;
      return { ...faults };
    },
    setMfa(user, registration) {
      const methods: AuthMethodKind[] = registration === true ? ['microsoftAuthenticator'] : registration === false ? [] : registration;
      const changed = tenant.setMfaMethods(user, methods);
      for (const listener of methodListeners) listener(changed);
      return changed;
    },
    onMethodsChanged(listener) {
      methodListeners.add(listener);
      return () => {
        methodListeners.delete(listener);
      };
    },
    updateUser: (user, changes) => tenant.updateUser(user, changes),
    deleteUser: (user, o) => tenant.deleteUser(tenant.findUser(user)?.id ?? user, o),
    restoreUser: (id) => tenant.restoreUser(id),
    expireDeltaTokens: () => api.expireDeltaTokens(),
    mail: () => [...tenant.mail],
    clearMail: () => {
      tenant.mail.length = 0;
    },
    signature: (mailbox) =>
      tenant.signatures.get(mailbox.toLowerCase()) ?? [...tenant.signatures.values()].find((s) => tenant.findUser(mailbox)?.mail?.toLowerCase() === s.mailbox),
    setRoamingSignatures: (on) => {
      tenant.organization.postponeRoamingSignaturesUntilLater = !on;
    },
    setSendAs: (mailbox, trustee, granted) => {
      const box = tenant.findRecipient(mailbox);
      const who = tenant.findRecipient(trustee);
      if (!box || !who) throw new Error(`no simulated recipient ${box ? trustee : mailbox}`);
      const trustees = tenant.sendAs.get(box.id) ?? new Set<string>();
      if (granted) trustees.add(who.id);
      else trustees.delete(who.id);
      tenant.sendAs.set(box.id, trustees);
    },
    setPhoto: (key, photo) => {
      const user = tenant.findUser(key);
      if (!user) throw new Error(`no simulated user ${key}`);
      tenant.setPhoto(user.id, photo ? { ...photo, etag: etagOf(photo.bytes) } : null);
    },
    stats: () => ({ ...stats, cmdlets: { ...stats.cmdlets }, ignoredSignatureUpdates: tenant.ignoredSignatureUpdates, tokensIssued: identity.tokensIssued }),
    resetStats: () => {
      Object.assign(stats, { graphRequests: 0, batchItems: 0, throttled: 0, injectedFailures: 0, unauthorized: 0, cmdlets: {}, exchangeThrottled: 0 });
      tenant.ignoredSignatureUpdates = 0;
    },
    addClientCertificate: (pem) => identity.addCertificate(pem),
    issueAccessToken: (o = {}) => identity.issueAccessToken({ audience: o.audience ?? 'https://graph.microsoft.com', lifetimeSeconds: o.lifetimeSeconds }),
    issueUserToken: ({ user, ...o }) => {
      const found = tenant.findUser(user);
      if (!found || !found.accountEnabled) throw new Error(`no enabled simulated user ${user}`);
      return identity.issueAccessToken({ ...o, user: found });
    },
  };

  return {
    url: baseUrl,
    authorityHost: baseUrl,
    mfaSetupUrl: baseUrl + SECURITY_INFO_PATH,
    caPem: ca.certPem,
    tenantId: tenant.tenantId,
    domain: tenant.domain,
    clientId,
    clientSecret,
    mfaGroupId: tenant.mfaGroupId,
    sharedMailbox: tenant.sharedMailbox,
    control,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
