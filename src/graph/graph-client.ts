/**
 * The production GraphPort and ExchangePort over HTTP. Bulk operations are shaped for Graph's
 * throttling: users looked up 15 at a time (`userPrincipalName in (…)`, Graph's OR-clause limit)
 * with 20 such lookups in one $batch (300 users per HTTP request), group members read 999 a page, the
 * registration report read tenant-wide 999 a page (or by id in $batch for a few users).
 */
import { Agent as HttpsAgent } from 'node:https';
import { readFileSync } from 'node:fs';
import {
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type ClientSecretCredentialOptions,
  type TokenCredential,
} from '@azure/identity';
import type { Static } from '@sinclair/typebox';
import type { Dispatcher } from 'undici';
import { methodFromOdataType, methodFromReportName } from './auth-methods.js';
import type { graphConfig } from './graph.config.js';
import {
  PROFILE_ATTRIBUTES,
  type DirectoryProfile,
  type DirectoryUser,
  type ExchangeCounters,
  type ExchangeMailbox,
  type ExchangePort,
  type GraphCounters,
  type GraphPort,
  type GroupMemberUser,
  type ItemResult,
  type MailMessage,
  type MfaRegistration,
  type UserDeltaPage,
  type UserPhoto,
  type WebSignature,
  UpstreamError,
} from './graph-port.js';
import { isGraphConfigured } from './connect.js';
import { notConfiguredGraph } from './not-configured.js';
import { createAgent, createLimiter, errorOf, Transport, upstreamError, type BatchRequest, type RetryPolicy } from './transport.js';

export type GraphConfig = Static<typeof graphConfig>;

/** Graph's limit of OR clauses (and so `in` values) in one $filter. */
export const UPNS_PER_FILTER = 15;
export const MEMBERS_PER_PATCH = 20;
const PAGE_SIZE = 999;
/** Up to this many users, registration state is read by id in $batch rather than from the whole report. */
const REPORT_BY_ID_THRESHOLD = 200;
/**
 * How long a full read of the registration report serves later asks. An invitation run asks chunk by
 * chunk; without reuse each chunk paged through the whole tenant's report. Microsoft's report itself
 * lags behind registrations by far more than this.
 */
const REPORT_REUSE_MS = 60_000;
const USER_SELECT = ['id', 'userPrincipalName', 'displayName', 'mail', 'department', 'jobTitle', 'accountEnabled', 'userType', 'preferredLanguage'];
const MANAGER_EXPAND = 'manager($select=id,userPrincipalName,displayName,mail,preferredLanguage)';
/** `interests` is served only on single-user GETs, never by users/delta, so delta rounds leave it out. */
// `manager` makes users/delta report manager changes as `manager@delta`.
const DELTA_SELECT = ['id', 'accountEnabled', ...PROFILE_ATTRIBUTES.filter((a) => a !== 'interests'), 'manager'];
const ALREADY_MEMBER = /already exist/i;

type AdditionalPolicy = NonNullable<ClientSecretCredentialOptions['additionalPolicies']>[number];

export interface CredentialSettings {
  credential: 'clientSecret' | 'certificate' | 'managedIdentity';
  tenantId: string;
  clientId?: string;
  clientSecret?: string;
  /** PEM with certificate and private key (or a path in certificatePath). */
  certificatePem?: string;
  certificatePath?: string;
  authorityHost: string;
  disableInstanceDiscovery: boolean;
  /** Extra CA for the identity endpoint only (the simulator's); certificate checks stay on. */
  caPem?: string;
}

/**
 * An @azure/identity credential. With an extra CA, its HTTP pipeline gets a policy that sends token
 * requests through an https.Agent trusting that CA, leaving the process-wide trust untouched.
 */
export function buildCredential(s: CredentialSettings): TokenCredential {
  const additionalPolicies: AdditionalPolicy[] = [];
  if (s.caPem) {
    const agent = new HttpsAgent({ ca: s.caPem, keepAlive: true });
    additionalPolicies.push({
      position: 'perCall',
      policy: {
        name: 'onrampTrustedCa',
        sendRequest: (req, next) => {
          req.agent = agent;
          return next(req);
        },
      },
    });
  }
  const common = { authorityHost: s.authorityHost, disableInstanceDiscovery: s.disableInstanceDiscovery, additionalPolicies };
  switch (s.credential) {
    case 'clientSecret':
      if (!s.clientId || !s.clientSecret) throw new Error('graph: clientId and clientSecret are required for credential clientSecret');
      return new ClientSecretCredential(s.tenantId, s.clientId, s.clientSecret, common);
    case 'certificate': {
      if (!s.clientId) throw new Error('graph: clientId is required for credential certificate');
      const pem = s.certificatePem ?? (s.certificatePath ? readFileSync(s.certificatePath, 'utf8') : undefined);
      if (!pem) throw new Error('graph: certificatePath is required for credential certificate');
      return new ClientCertificateCredential(s.tenantId, s.clientId, { certificate: pem }, common);
    }
    case 'managedIdentity':
      return s.clientId ? new ManagedIdentityCredential({ clientId: s.clientId, ...common }) : new ManagedIdentityCredential(common);
  }
}

export interface GraphClientOptions {
  credential: TokenCredential;
  tenantId: string;
  baseUrl: string;
  exchangeBaseUrl: string;
  /** Extra CA trusted by this client's own agent (the simulator's). */
  caPem?: string;
  mfaSource: 'report' | 'methods';
  maxConcurrency: number;
  exchangeMaxConcurrency: number;
  retry: RetryPolicy;
  requestTimeoutMs: number;
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

function toProfile(u: Record<string, unknown>): DirectoryProfile {
  const str = (k: string) => (typeof u[k] === 'string' ? (u[k] as string) : null);
  const list = (k: string) => (Array.isArray(u[k]) ? (u[k] as unknown[]).map(String) : []);
  return {
    id: String(u.id),
    accountEnabled: u.accountEnabled !== false,
    businessPhones: list('businessPhones'),
    city: str('city'),
    companyName: str('companyName'),
    country: str('country'),
    department: str('department'),
    displayName: str('displayName'),
    employeeId: str('employeeId'),
    faxNumber: str('faxNumber'),
    givenName: str('givenName'),
    jobTitle: str('jobTitle'),
    mail: str('mail'),
    mailNickname: str('mailNickname'),
    mobilePhone: str('mobilePhone'),
    officeLocation: str('officeLocation'),
    postalCode: str('postalCode'),
    state: str('state'),
    streetAddress: str('streetAddress'),
    surname: str('surname'),
    interests: list('interests'),
    userPrincipalName: String(u.userPrincipalName ?? ''),
    ...managerOf(u),
  };
}

/** `manager@delta`: an entry without `@removed` names the manager; only removed ones mean none. */
function managerOf(u: Record<string, unknown>): { managerId?: string | null } {
  const delta = u['manager@delta'];
  if (!Array.isArray(delta)) return {};
  const current = (delta as Array<Record<string, unknown>>).find((m) => !m['@removed'] && typeof m.id === 'string');
  return { managerId: current ? String(current.id) : null };
}

function toDirectoryUser(u: Record<string, unknown>, withManager: boolean): DirectoryUser {
  const user: DirectoryUser = {
    id: String(u.id),
    userPrincipalName: String(u.userPrincipalName),
    displayName: (u.displayName as string | null) ?? null,
    mail: (u.mail as string | null) ?? null,
    department: (u.department as string | null) ?? null,
    jobTitle: (u.jobTitle as string | null) ?? null,
    accountEnabled: u.accountEnabled !== false,
    userType: typeof u.userType === 'string' ? u.userType : 'Member',
    preferredLanguage: typeof u.preferredLanguage === 'string' && u.preferredLanguage !== '' ? u.preferredLanguage : null,
  };
  if (withManager) {
    const m = u.manager as Record<string, unknown> | undefined;
    user.managerId = (m?.id as string | undefined) ?? null;
    user.managerUpn = (m?.userPrincipalName as string | undefined) ?? null;
    user.managerDisplayName = (m?.displayName as string | undefined) ?? null;
    user.managerMail = (m?.mail as string | undefined) ?? null;
    user.managerPreferredLanguage = typeof m?.preferredLanguage === 'string' && m.preferredLanguage !== '' ? m.preferredLanguage : null;
  }
  return user;
}

export class GraphClient implements GraphPort {
  readonly counts: GraphCounters = { requests: 0, batchedItems: 0, throttled: 0, retries: 0, responses: new Map() };
  private readonly graph: Transport;
  private readonly agent: Dispatcher;

  constructor(private readonly o: GraphClientOptions) {
    this.agent = createAgent(o.caPem, o.requestTimeoutMs);
    const root = `${o.baseUrl.replace(/\/+$/, '')}/v1.0`;
    this.graph = new Transport({
      credential: o.credential,
      scope: `${new URL(o.baseUrl).origin}/.default`,
      root,
      agent: this.agent,
      limiter: createLimiter(o.maxConcurrency),
      retry: o.retry,
      counters: this.counts,
    });
  }

  counters(): GraphCounters {
    return { ...this.counts };
  }

  async getUsersByUpn(upns: readonly string[], options: { withManager?: boolean } = {}): Promise<Map<string, DirectoryUser | null>> {
    const result = new Map<string, DirectoryUser | null>();
    for (const upn of upns) result.set(upn.toLowerCase(), null);
    const keys = [...result.keys()];
    const requests: BatchRequest[] = [];
    for (let i = 0; i < keys.length; i += UPNS_PER_FILTER) {
      const chunk = keys.slice(i, i + UPNS_PER_FILTER);
      const filter = `userPrincipalName in (${chunk.map(quote).join(',')})`;
      let url = `/users?$filter=${encodeURIComponent(filter)}&$select=${USER_SELECT.join(',')}&$top=${UPNS_PER_FILTER}`;
      if (options.withManager) url += `&$expand=${encodeURIComponent(MANAGER_EXPAND)}`;
      requests.push({ method: 'GET', url });
    }
    const responses = await this.graph.batch(requests);
    for (const res of responses) {
      if (res.status !== 200) throw upstreamError(res, 'user lookup');
      for (const u of (res.body as { value?: Array<Record<string, unknown>> }).value ?? []) {
        result.set(String(u.userPrincipalName).toLowerCase(), toDirectoryUser(u, options.withManager ?? false));
      }
    }
    return result;
  }

  async listGroupMemberIds(groupId: string): Promise<Set<string>> {
    const ids = new Set<string>();
    for await (const page of this.graph.pages<{ id: string }>(`/groups/${encodeURIComponent(groupId)}/members?$select=id&$top=${PAGE_SIZE}`)) {
      for (const m of page) ids.add(m.id);
    }
    return ids;
  }

  async listTransitiveUserIds(groupIds: readonly string[]): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    for (const groupId of new Set(groupIds)) {
      const users = await this.#transitiveUsers<{ id: string }>(groupId, ['id']);
      if (users) out.set(groupId, new Set(users.map((u) => u.id)));
    }
    return out;
  }

  async findGroups(prefix: string, limit: number): Promise<Array<{ id: string; displayName: string }>> {
    // OData string literals double their single quotes.
    const filter = encodeURIComponent(`startswith(displayName,'${prefix.replaceAll("'", "''")}')`);
    const top = Math.max(1, Math.min(limit, PAGE_SIZE));
    const page = await this.graph.json<{ value?: Array<{ id: string; displayName: string | null }> }>(
      'GET',
      `/groups?$filter=${filter}&$select=id,displayName&$top=${top}`,
    );
    return (page.value ?? [])
      .map((g) => ({ id: g.id, displayName: g.displayName ?? '' }))
      .sort((a, b) => a.displayName.localeCompare(b.displayName))
      .slice(0, limit);
  }

  async listTransitiveUsers(groupId: string): Promise<GroupMemberUser[] | undefined> {
    const users = await this.#transitiveUsers<GroupMemberUser>(groupId, ['id', 'userPrincipalName', 'displayName', 'department', 'jobTitle']);
    return users?.map((u) => ({
      id: u.id,
      userPrincipalName: u.userPrincipalName,
      displayName: u.displayName ?? null,
      department: u.department ?? null,
      jobTitle: u.jobTitle ?? null,
    }));
  }

  /**
   * The users among a group's members at any depth, with the `select`ed properties, every page read;
   * undefined when Graph has no such group (404). Both transitive-member reads go through here.
   */
  async #transitiveUsers<T>(groupId: string, select: readonly string[]): Promise<T[] | undefined> {
    const users: T[] = [];
    const url = `/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.user?$select=${select.join(',')}&$top=${PAGE_SIZE}`;
    try {
      for await (const page of this.graph.pages<T>(url)) users.push(...page);
    } catch (err) {
      if (err instanceof UpstreamError && err.status === 404) return undefined;
      throw err;
    }
    return users;
  }

  async addGroupMembers(groupId: string, userIds: readonly string[]): Promise<Map<string, ItemResult>> {
    const ids = [...new Set(userIds)];
    const results = new Map<string, ItemResult>();
    const bind = (id: string) => `${this.o.baseUrl.replace(/\/+$/, '')}/v1.0/directoryObjects/${id}`;
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += MEMBERS_PER_PATCH) chunks.push(ids.slice(i, i + MEMBERS_PER_PATCH));
    const group = `/groups/${encodeURIComponent(groupId)}`;
    const patched = await this.graph.batch(chunks.map((chunk) => ({ method: 'PATCH', url: group, body: { 'members@odata.bind': chunk.map(bind) } })));
    // A PATCH is all or nothing: when one user of a chunk is already a member or unknown, the chunk
    // fails as a whole, so its users are added one by one to get each user's own outcome.
    const oneByOne: string[] = [];
    patched.forEach((res, k) => {
      const chunk = chunks[k]!;
      if (res.status === 204 || res.status === 200) for (const id of chunk) results.set(id, { ok: true });
      else if (res.status === 400 || res.status === 404) oneByOne.push(...chunk);
      else for (const id of chunk) results.set(id, { ok: false, status: res.status, ...errorOf(res) });
    });
    if (oneByOne.length > 0) {
      const single = await this.graph.batch(oneByOne.map((id) => ({ method: 'POST', url: `${group}/members/$ref`, body: { '@odata.id': bind(id) } })));
      single.forEach((res, k) => {
        const id = oneByOne[k]!;
        const err = errorOf(res);
        const ok = res.status === 204 || res.status === 200 || (res.status === 400 && ALREADY_MEMBER.test(err.message));
        results.set(id, ok ? { ok: true } : { ok: false, status: res.status, ...err });
      });
    }
    return results;
  }

  async getMfaRegistrations(userIds: readonly string[]): Promise<Map<string, MfaRegistration>> {
    const wanted = new Set(userIds);
    const out = new Map<string, MfaRegistration>();
    if (wanted.size === 0) return out;
    if (this.o.mfaSource === 'methods') {
      const ids = [...wanted];
      const responses = await this.graph.batch(ids.map((id) => ({ method: 'GET', url: `/users/${encodeURIComponent(id)}/authentication/methods` })));
      responses.forEach((res, k) => {
        if (res.status === 404) return;
        if (res.status !== 200) throw upstreamError(res, 'authentication methods');
        const methods = ((res.body as { value?: Array<{ '@odata.type'?: string }> }).value ?? []).map((m) => methodFromOdataType(m['@odata.type']));
        out.set(ids[k]!, { userId: ids[k]!, methods: [...new Set(methods)] });
      });
      return out;
    }
    const add = (row: { id: string; methodsRegistered?: string[] }) => {
      out.set(row.id, { userId: row.id, methods: [...new Set((row.methodsRegistered ?? []).map(methodFromReportName))] });
    };
    // The documented forms only (v1.0 userRegistrationDetails): the single GET "does not support the OData
    // query parameters", and the list "supports only the $filter and $orderBy OData query parameters" and
    // pages with the server's @odata.nextLink. Disabled accounts are not in the report.
    if (wanted.size <= REPORT_BY_ID_THRESHOLD) {
      const ids = [...wanted];
      const responses = await this.graph.batch(
        ids.map((id) => ({ method: 'GET', url: `/reports/authenticationMethods/userRegistrationDetails/${encodeURIComponent(id)}` })),
      );
      for (const res of responses) {
        if (res.status === 404) continue;
        if (res.status !== 200) throw upstreamError(res, 'registration details');
        add(res.body as { id: string; methodsRegistered?: string[] });
      }
      return out;
    }
    const report = await this.#registrationReport();
    for (const id of wanted) {
      const row = report.get(id);
      if (row) add(row);
    }
    return out;
  }

  #report: { at: number; rows: Promise<Map<string, { id: string; methodsRegistered?: string[] }>> } | undefined;

  /**
   * The whole registration report, read once and shared by the asks of the next REPORT_REUSE_MS (and by
   * those that arrive while it is being read). Unfiltered: no documented filter narrows it to a set of
   * ids, and guests are campaign targets when invitations.excludeGuests is off. A failed read is not kept.
   */
  #registrationReport(): Promise<Map<string, { id: string; methodsRegistered?: string[] }>> {
    const now = Date.now();
    if (this.#report && now - this.#report.at < REPORT_REUSE_MS) return this.#report.rows;
    const rows = (async () => {
      const byId = new Map<string, { id: string; methodsRegistered?: string[] }>();
      for await (const page of this.graph.pages<{ id: string; methodsRegistered?: string[] }>('/reports/authenticationMethods/userRegistrationDetails')) {
        for (const row of page) byId.set(row.id, row);
      }
      return byId;
    })();
    const entry = { at: now, rows };
    this.#report = entry;
    rows.catch(() => {
      if (this.#report === entry) this.#report = undefined;
    });
    return rows;
  }

  async sendMail(fromMailbox: string, message: MailMessage): Promise<void> {
    const recipients = (list: MailMessage['to'] | undefined) =>
      (list ?? []).map((r) => ({ emailAddress: { address: r.address, ...(r.name ? { name: r.name } : {}) } }));
    const body = {
      message: {
        subject: message.subject,
        body: { contentType: 'HTML', content: message.html },
        toRecipients: recipients(message.to),
        ...(message.cc?.length ? { ccRecipients: recipients(message.cc) } : {}),
        ...(message.messageId ? { internetMessageId: message.messageId.startsWith('<') ? message.messageId : `<${message.messageId}@onramp>` } : {}),
        ...(message.attachments?.length
          ? {
              attachments: message.attachments.map((a) => ({
                '@odata.type': '#microsoft.graph.fileAttachment',
                name: a.filename,
                contentType: a.contentType,
                contentBytes: a.content.toString('base64'),
              })),
            }
          : {}),
      },
      saveToSentItems: false,
    };
    // Not retried after a timeout: the message may have gone (the outbox retries, with its Message-ID).
    const res = await this.graph.send('POST', `/users/${encodeURIComponent(fromMailbox)}/sendMail`, body, {}, { refusalsOnly: true });
    if (res.status !== 202 && res.status !== 200) throw upstreamError(res, 'sendMail');
  }

  async userDelta(link?: string): Promise<UserDeltaPage> {
    const url = link ?? `/users/delta?$select=${DELTA_SELECT.join(',')}`;
    const page = await this.graph.json<{ value?: Array<Record<string, unknown>>; '@odata.nextLink'?: string; '@odata.deltaLink'?: string }>(
      'GET',
      url,
      undefined,
      'users/delta',
    );
    const upserted: DirectoryProfile[] = [];
    const removed: string[] = [];
    for (const item of page.value ?? []) {
      if (item['@removed']) removed.push(String(item.id));
      else upserted.push(toProfile(item));
    }
    return {
      upserted,
      removed,
      ...(page['@odata.nextLink'] ? { nextLink: page['@odata.nextLink'] } : {}),
      ...(page['@odata.deltaLink'] ? { deltaLink: page['@odata.deltaLink'] } : {}),
    };
  }

  async getUserPhoto(userId: string, knownEtag?: string | null): Promise<UserPhoto | null> {
    const path = `/users/${encodeURIComponent(userId)}/photo`;
    const meta = await this.graph.send('GET', path);
    if (meta.status === 404) return null;
    if (meta.status !== 200) throw upstreamError(meta, 'photo');
    const etag = (meta.body as { '@odata.mediaEtag'?: string } | null)?.['@odata.mediaEtag'] ?? null;
    if (etag && knownEtag === etag) return { unchanged: true, etag };
    const value = await this.graph.send('GET', `${path}/$value`, undefined, { accept: 'image/*' }, { binary: true });
    // Removed between the two requests.
    if (value.status === 404) return null;
    if (value.status !== 200 || !Buffer.isBuffer(value.body)) throw upstreamError(value, 'photo $value');
    return { unchanged: false, bytes: value.body, contentType: value.headers['content-type']?.split(';')[0]?.trim() ?? 'application/octet-stream', etag };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** One InvokeCommand answer's rows (`value`), as the admin API returns cmdlet output. */
type CmdletRows = Array<Record<string, unknown>>;

/** Exchange Online's admin API (InvokeCommand): the mailbox message configuration and the organisation's roaming flag. */
export class ExchangeClient implements ExchangePort {
  private readonly exchange: Transport;
  private readonly agent: Dispatcher;
  readonly #counts: ExchangeCounters = { cmdlets: {}, throttled: 0, retries: 0 };

  constructor(o: GraphClientOptions, counters: GraphCounters) {
    this.agent = createAgent(o.caPem, o.requestTimeoutMs);
    this.exchange = new Transport({
      credential: o.credential,
      scope: `${new URL(o.exchangeBaseUrl).origin}/.default`,
      root: `${o.exchangeBaseUrl.replace(/\/+$/, '')}/adminapi/beta/${encodeURIComponent(o.tenantId)}`,
      agent: this.agent,
      limiter: createLimiter(o.exchangeMaxConcurrency),
      retry: o.retry,
      counters,
      api: 'exchange',
    });
  }

  exchangeCounters(): ExchangeCounters {
    return { ...this.#counts, cmdlets: { ...this.#counts.cmdlets } };
  }

  /** Runs one cmdlet (429 and Retry-After honoured by the transport's retry policy); its output rows. */
  async #cmdlet(name: string, parameters: Record<string, unknown>, anchor: string | null): Promise<CmdletRows> {
    const body = { CmdletInput: { CmdletName: name, Parameters: parameters } };
    let attempts = 0;
    const res = await this.exchange.send(
      'POST',
      '/InvokeCommand',
      body,
      { 'X-ResponseFormat': 'json', ...(anchor ? { 'X-AnchorMailbox': `UPN:${anchor}` } : {}) },
      {
        onAnswer: (answer) => {
          this.#counts.cmdlets[name] = (this.#counts.cmdlets[name] ?? 0) + 1;
          if (answer?.status === 429) this.#counts.throttled++;
          if (attempts++ > 0) this.#counts.retries++;
        },
      },
    );
    if (res.status < 200 || res.status >= 300) throw upstreamError(res, name);
    return (res.body as { value?: CmdletRows } | null)?.value ?? [];
  }

  async setWebSignature(mailbox: string, signature: WebSignature): Promise<void> {
    await this.#cmdlet(
      'Set-MailboxMessageConfiguration',
      {
        Identity: mailbox,
        SignatureHtml: signature.html,
        SignatureText: signature.text,
        AutoAddSignature: signature.autoAddSignature,
        AutoAddSignatureOnReply: signature.autoAddSignatureOnReply,
      },
      mailbox,
    );
  }

  async getWebSignature(mailbox: string): Promise<WebSignature> {
    const [row] = await this.#cmdlet('Get-MailboxMessageConfiguration', { Identity: mailbox }, mailbox);
    return {
      html: typeof row?.SignatureHtml === 'string' ? row.SignatureHtml : '',
      text: typeof row?.SignatureText === 'string' ? row.SignatureText : '',
      autoAddSignature: row?.AutoAddSignature === true,
      autoAddSignatureOnReply: row?.AutoAddSignatureOnReply === true,
    };
  }

  async roamingSignaturesEnabled(): Promise<boolean> {
    const [row] = await this.#cmdlet('Get-OrganizationConfig', {}, null);
    // Absent means a tenant that never had the setting: roaming is Microsoft's default.
    return row?.PostponeRoamingSignaturesUntilLater !== true;
  }

  async getMailbox(identity: string): Promise<ExchangeMailbox | null> {
    let rows: CmdletRows;
    try {
      rows = await this.#cmdlet('Get-Mailbox', { Identity: identity }, null);
    } catch (err) {
      if (err instanceof UpstreamError && err.status === 404) return null;
      throw err;
    }
    const [row] = rows;
    if (typeof row?.PrimarySmtpAddress !== 'string' || typeof row.RecipientTypeDetails !== 'string') return null;
    return {
      userPrincipalName: typeof row.UserPrincipalName === 'string' ? row.UserPrincipalName : row.PrimarySmtpAddress,
      primarySmtpAddress: row.PrimarySmtpAddress,
      recipientTypeDetails: row.RecipientTypeDetails,
    };
  }

  async hasSendAs(identity: string, trustee: string): Promise<boolean> {
    const rows = await this.#cmdlet('Get-RecipientPermission', { Identity: identity, Trustee: trustee, AccessRights: 'SendAs' }, null);
    // Deny entries exist too; only an explicit Allow of SendAs counts.
    return rows.some(
      (r) => r.AccessControlType === 'Allow' && (Array.isArray(r.AccessRights) ? r.AccessRights.includes('SendAs') : r.AccessRights === 'SendAs'),
    );
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

export interface GraphClients {
  graph: GraphPort;
  exchange: ExchangePort;
  configured: boolean;
  close(): Promise<void>;
}

/** Builds the clients from the `graph` config section; `overrides` carry in-memory material (demo, tests). */
export function createGraphClients(config: GraphConfig, overrides: { caPem?: string; certificatePem?: string } = {}): GraphClients {
  const caPem = overrides.caPem ?? (config.caFile ? readFileSync(config.caFile, 'utf8') : undefined);
  if (!isGraphConfigured(config, overrides)) return { graph: notConfiguredGraph, exchange: notConfiguredGraph, configured: false, close: async () => {} };
  const credential = buildCredential({
    credential: config.credential as CredentialSettings['credential'],
    tenantId: config.tenantId!,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    certificatePath: config.certificatePath,
    certificatePem: overrides.certificatePem,
    authorityHost: config.authorityHost,
    disableInstanceDiscovery: config.disableInstanceDiscovery,
    caPem,
  });
  const options: GraphClientOptions = {
    credential,
    tenantId: config.tenantId!,
    baseUrl: config.baseUrl,
    exchangeBaseUrl: config.exchangeBaseUrl,
    caPem,
    mfaSource: config.mfaSource as GraphClientOptions['mfaSource'],
    maxConcurrency: config.maxConcurrency,
    exchangeMaxConcurrency: config.exchangeMaxConcurrency,
    retry: { maxAttempts: config.maxAttempts, maxRetryMs: config.maxRetryMs },
    requestTimeoutMs: config.requestTimeoutMs,
  };
  const graph = new GraphClient(options);
  const exchange = new ExchangeClient(options, graph.counts);
  return {
    graph,
    exchange,
    configured: true,
    close: async () => {
      await graph.close();
      await exchange.close();
    },
  };
}
