/**
 * The Graph v1.0 and Exchange admin API surface the simulator serves, as a pure function of the
 * request (method, path, query, body) over the tenant. `$batch` items go through the same dispatch.
 */
import { randomUUID } from 'node:crypto';
import { METHOD_ODATA_TYPES, REPORT_METHOD_NAMES } from '../graph/auth-methods.js';
import type { AuthMethodKind } from '../graph/graph-port.js';
import type { SimResponse } from './identity.js';
import { compareBy, evaluate, FilterSyntaxError, parseFilter, parseOrderBy, parseSearch, searchMatches, type FilterNode, type ParsedFilter } from './odata.js';
import { stableGuid, type SimUser, type Tenant } from './tenant.js';

export const MAX_BATCH = 20;
export const MAX_BIND = 20;
export const MAX_IN_VALUES = 15;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 999;

/**
 * Graph's error shape. `innerError`'s request ids are stamped by the server with the response's own
 * `request-id` / `client-request-id` headers (stampRequestIds), as Graph does.
 */
export function odataError(status: number, code: string, message: string, headers?: Record<string, string>): SimResponse {
  return {
    status,
    headers,
    body: { error: { code, message, innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': '', 'client-request-id': '' } } },
  };
}

/** Puts the response's request ids into an error body's innerError (top-level answers and $batch items). */
export function stampRequestIds(body: unknown, requestId: string, clientRequestId: string): void {
  const inner = (body as { error?: { innerError?: Record<string, unknown> } } | null | undefined)?.error?.innerError;
  if (inner && typeof inner === 'object') {
    inner['request-id'] = requestId;
    inner['client-request-id'] = clientRequestId;
  }
}

const USER_PROPERTIES = new Set([
  'id',
  'userPrincipalName',
  'displayName',
  'givenName',
  'surname',
  'mail',
  'mailNickname',
  'department',
  'jobTitle',
  'accountEnabled',
  'userType',
  'businessPhones',
  'mobilePhone',
  'faxNumber',
  'city',
  'state',
  'country',
  'postalCode',
  'streetAddress',
  'officeLocation',
  'companyName',
  'employeeId',
  'interests',
  'preferredLanguage',
]);
/** users/delta also tracks the manager (`$select=…,manager` → `manager@delta`). */
const DELTA_PROPERTIES = new Set([...USER_PROPERTIES, 'manager']);
/** What Graph returns for a user when no $select is given. */
const DEFAULT_USER_SELECT = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];
/** User properties Graph filters on without advanced query (the rest answer Request_UnsupportedQuery). */
const USER_FILTERABLE = new Set([
  'id',
  'userPrincipalName',
  'mail',
  'accountEnabled',
  'userType',
  'department',
  'displayName',
  'givenName',
  'surname',
  'jobTitle',
  'mailNickname',
  'city',
  'country',
  'state',
  'officeLocation',
  'companyName',
  'employeeId',
  'businessPhones',
  'mobilePhone',
  'postalCode',
  'streetAddress',
]);
/** Properties `$orderby` accepts on users without advanced query. */
const USER_SORTABLE_BASIC = new Set(['displayName', 'userPrincipalName']);
const USER_SEARCHABLE = new Set([
  'displayName',
  'givenName',
  'surname',
  'mail',
  'mailNickname',
  'userPrincipalName',
  'jobTitle',
  'department',
  'employeeId',
  'officeLocation',
  'city',
  'country',
]);
/** Graph's cap on $top for users when $expand is used (the expanded objects are fetched per user). */
const MAX_PAGE_WITH_EXPAND = 100;
/** The registration report's page size (Graph does not document one; it pages with @odata.nextLink). */
const REPORT_PAGE = 100;
/** Graph's users/delta token lifetime for directory objects. */
export const DELTA_TOKEN_LIFETIME_MS = 7 * 24 * 3600_000;

function imageNotFound(): SimResponse {
  return odataError(404, 'ImageNotFound', "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown.");
}

function notFound(key: string): SimResponse {
  return odataError(404, 'Request_ResourceNotFound', `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`);
}

/** Graph's answer to a query option a route does not support (the reporting routes are strict). */
function queryOptionNotAllowed(option: string): SimResponse {
  const name = option.replace(/^\$/, '');
  return odataError(
    400,
    'BadRequest',
    `Query option '${name.charAt(0).toUpperCase()}${name.slice(1)}' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.`,
  );
}

type Projection = { ok: true; select: string[] } | { ok: false; error: SimResponse };

function parseSelect(raw: string | null, allowed: Set<string>, fallback: string[], type: string): Projection {
  if (!raw) return { ok: true, select: fallback };
  const select = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = select.find((s) => !allowed.has(s));
  if (bad) return { ok: false, error: odataError(400, 'Request_BadRequest', `Could not find a property named '${bad}' on type '${type}'.`) };
  return { ok: true, select };
}

function project(user: SimUser, select: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of select) out[key] = (user as unknown as Record<string, unknown>)[key] ?? null;
  return out;
}

/** `$filter` parsed, or Graph's 400 "Invalid filter clause" answer. */
function filterOf(text: string): ParsedFilter | SimResponse {
  try {
    const parsed = parseFilter(text);
    if (parsed.orClauses > MAX_IN_VALUES) {
      return odataError(
        400,
        'Request_UnsupportedQuery',
        `Too many child clauses specified in search filter expression containing 'OR' operators: ${parsed.orClauses}. Max allowed: ${MAX_IN_VALUES}.`,
      );
    }
    return parsed;
  } catch (err) {
    if (err instanceof FilterSyntaxError) return odataError(400, 'BadRequest', `Invalid filter clause: ${err.message}`);
    throw err;
  }
}

/** The query options a route accepts; anything else beginning with `$` is refused as Graph's reporting routes do. */
function onlyOptions(query: URLSearchParams, allowed: string[]): SimResponse | null {
  for (const key of query.keys()) {
    if (key.startsWith('$') && !allowed.includes(key.toLowerCase())) return queryOptionNotAllowed(key);
  }
  return null;
}

function pageSize(query: URLSearchParams, fallback = DEFAULT_PAGE, max = MAX_PAGE): number | SimResponse {
  const top = query.get('$top');
  if (top === null) return Math.min(fallback, max);
  const n = Number(top);
  if (!Number.isInteger(n) || n < 1 || n > max)
    return odataError(400, 'Request_BadRequest', `Invalid page size specified: '${top}'. Must be between 1 and ${max} inclusive.`);
  return n;
}

function encodeToken(data: object): string {
  return Buffer.from(JSON.stringify(data)).toString('base64url');
}

function decodeToken<T>(token: string | null): T | null {
  if (!token) return null;
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    return value && typeof value === 'object' ? (value as T) : null;
  } catch {
    return null;
  }
}

export interface RequestContext {
  baseUrl: string;
  appId: string;
  /** The request carried `ConsistencyLevel: eventual` (Graph's advanced query capabilities). */
  eventual: boolean;
}

/**
 * Function and action segments as the SDKs write them: `delta()` (Kiota),
 * `microsoft.graph.delta()` / `microsoft.graph.sendMail` (namespace-qualified) — all the same call.
 */
function canonicalSegment(segment: string): string {
  return segment.replace(/^microsoft\.graph\./, '').replace(/\(\)$/, '');
}

/** Reads a JSON object's property regardless of case: Graph binds action parameters case-insensitively. */
function prop(obj: unknown, name: string): unknown {
  if (!obj || typeof obj !== 'object') return undefined;
  const record = obj as Record<string, unknown>;
  if (name in record) return record[name];
  const key = Object.keys(record).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : record[key];
}

const METHOD_CREATED = '2024-01-15T09:30:00Z';

/** One authentication method as Graph's /authentication/methods lists it, with its type's properties. */
function methodResource(kind: AuthMethodKind, user: SimUser): Record<string, unknown> {
  const base = { '@odata.type': METHOD_ODATA_TYPES[kind], id: stableGuid(`method:${kind}:${user.id}`) };
  switch (kind) {
    case 'password':
      return { ...base, id: '28c10230-6103-485e-b985-444c60001490', password: null, createdDateTime: null };
    case 'microsoftAuthenticator':
      return {
        ...base,
        displayName: `${user.givenName ?? user.displayName}'s phone`,
        deviceTag: 'SoftwareTokenActivated',
        phoneAppVersion: '6.2401.0119',
        createdDateTime: METHOD_CREATED,
      };
    case 'phone':
      return {
        ...base,
        id: '3179e48a-750b-4051-897c-87b9720928f7',
        phoneNumber: user.mobilePhone ?? '+1 5555550100',
        phoneType: 'mobile',
        smsSignInState: 'notAllowedByPolicy',
      };
    case 'softwareOath':
      return { ...base, secretKey: null };
    case 'hardwareOath':
      return {
        ...base,
        displayName: 'Hardware token',
        serialNumber: `HW${user.id.slice(0, 8)}`,
        manufacturer: 'Contoso Tokens',
        model: 'OTP-6',
        secretKey: null,
        timeIntervalInSeconds: 30,
        status: 'activated',
        hashFunction: 'hmacsha1',
        createdDateTime: METHOD_CREATED,
      };
    case 'fido2':
    case 'passkey':
      return {
        ...base,
        displayName: 'Security key',
        createdDateTime: METHOD_CREATED,
        aaGuid: 'cb69481e-8ff7-4039-93ec-0a2729a154a8',
        model: 'YubiKey 5 Series',
        attestationCertificates: [],
        attestationLevel: 'attested',
      };
    case 'windowsHello':
      return { ...base, displayName: `${user.displayName}'s PC`, createdDateTime: METHOD_CREATED, keyStrength: 'normal' };
    case 'email':
      return { ...base, id: '3ddfcfc8-9383-446f-83cc-3ab9be4be18f', emailAddress: user.mail ?? user.userPrincipalName };
    case 'temporaryAccessPass':
      return {
        ...base,
        temporaryAccessPass: null,
        createdDateTime: METHOD_CREATED,
        startDateTime: METHOD_CREATED,
        lifetimeInMinutes: 60,
        isUsableOnce: true,
        isUsable: false,
        methodUsabilityReason: 'Expired',
      };
    case 'other':
      return { ...base, displayName: `${user.displayName}'s Mac`, createdDateTime: METHOD_CREATED, keyStrength: 'normal', platform: 'macOS' };
  }
}

export class GraphApi {
  /** Tokens of another simulator run, or from before expireDeltaTokens(), are unknown here. */
  private deltaGeneration = randomUUID();

  constructor(private readonly tenant: Tenant) {}

  /** Makes every delta and skip token issued so far unknown, as Graph does once a token is older than ~7 days. */
  expireDeltaTokens(): void {
    this.deltaGeneration = randomUUID();
  }

  /** One Graph v1.0 request; `path` is after `/v1.0`. */
  dispatch(method: string, path: string, query: URLSearchParams, body: unknown, ctx: RequestContext): SimResponse {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent).map(canonicalSegment);
    const [root, key, sub, sub2, sub3] = parts;
    if (root === 'users' && key === 'delta' && parts.length === 2 && method === 'GET') return this.userDelta(query, ctx);
    if (root === 'users' && parts.length === 1 && method === 'GET') return this.listUsers(query, ctx);
    if (root === 'users' && key === '$count' && parts.length === 2 && method === 'GET') return this.countUsers(query, ctx);
    if (root === 'directory' && key === 'deletedItems') return this.deletedItems(method, parts.slice(2), ctx);
    if (root === 'users' && key !== undefined) {
      const user = this.tenant.findUser(key);
      if (!user) return notFound(key);
      if (parts.length === 2 && method === 'GET') return this.getUser(user, query, ctx);
      if (parts.length === 2 && method === 'PATCH') return this.patchUser(user, body);
      if (parts.length === 2 && method === 'DELETE') {
        this.tenant.deleteUser(user.id);
        return { status: 204 };
      }
      if (sub === 'manager' && parts.length === 3 && method === 'GET') {
        const manager = user.managerId ? this.tenant.users.get(user.managerId) : undefined;
        if (!manager) return notFound('manager');
        const sel = parseSelect(query.get('$select'), USER_PROPERTIES, DEFAULT_USER_SELECT, 'microsoft.graph.user');
        if (!sel.ok) return sel.error;
        return {
          status: 200,
          body: {
            '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#directoryObjects/$entity`,
            '@odata.type': '#microsoft.graph.user',
            ...project(manager, sel.select),
          },
        };
      }
      if (sub === 'manager' && sub2 === '$ref' && parts.length === 4 && method === 'PUT') return this.setManager(user, body);
      if (sub === 'manager' && sub2 === '$ref' && parts.length === 4 && method === 'DELETE') {
        if (!user.managerId) return notFound('manager');
        this.tenant.updateUser(user.id, { managerId: null });
        return { status: 204 };
      }
      if (sub === 'authentication' && sub2 === 'methods' && parts.length === 4 && method === 'GET') return this.userMethods(user, ctx);
      if (sub === 'photo' && parts.length === 3 && method === 'GET') return this.photoMetadata(user, ctx);
      if (sub === 'photo' && sub2 === '$value' && parts.length === 4 && method === 'GET') return this.photoValue(user);
      if (sub === 'sendMail' && parts.length === 3 && method === 'POST') return this.sendMail(user, body);
    }
    if (root === 'groups' && parts.length === 1 && method === 'GET') return this.listGroups(query, ctx);
    if (root === 'groups' && key !== undefined) {
      const group = this.tenant.groups.get(key);
      if (!group) return notFound(key);
      if (parts.length === 2 && method === 'PATCH') return this.patchGroup(group.id, body);
      if (sub === 'members' && parts.length === 3 && method === 'GET') return this.listMembers(group.id, query, ctx);
      if (sub === 'transitiveMembers' && (parts.length === 3 || (parts.length === 4 && sub2 === 'user')) && method === 'GET')
        return this.listTransitiveMembers(group.id, parts.length === 4, query, ctx);
      if (sub === 'members' && sub2 === '$ref' && parts.length === 4 && method === 'POST') return this.addMemberRef(group.id, body);
      if (sub === 'members' && sub2 !== undefined && sub3 === '$ref' && parts.length === 5 && method === 'DELETE') {
        if (!group.members.delete(sub2)) return notFound(sub2);
        return { status: 204 };
      }
    }
    if (root === 'reports' && key === 'authenticationMethods' && sub === 'userRegistrationDetails' && parts.length === 3 && method === 'GET') {
      // v1.0 docs: the list "supports only the $filter and $orderBy OData query parameters" ($skiptoken is our own nextLink).
      return onlyOptions(query, ['$filter', '$orderby', '$skiptoken']) ?? this.registrationReport(query, ctx);
    }
    if (
      root === 'reports' &&
      key === 'authenticationMethods' &&
      sub === 'userRegistrationDetails' &&
      sub2 !== undefined &&
      parts.length === 4 &&
      method === 'GET'
    ) {
      // v1.0 docs: the single GET "does not support the OData query parameters".
      const refused = onlyOptions(query, []);
      if (refused) return refused;
      const row = this.registrationRows().find((r) => r.id === sub2);
      return row
        ? { status: 200, body: { '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#reports/authenticationMethods/userRegistrationDetails/$entity`, ...row } }
        : notFound(sub2);
    }
    return odataError(400, 'BadRequest', `Resource not found for the segment '${parts[parts.length - 1] ?? ''}'.`);
  }

  private getUser(user: SimUser, query: URLSearchParams, ctx: RequestContext): SimResponse {
    const sel = parseSelect(query.get('$select'), USER_PROPERTIES, DEFAULT_USER_SELECT, 'microsoft.graph.user');
    if (!sel.ok) return sel.error;
    const expanded = this.expandManager(user, query.get('$expand'));
    if ('status' in expanded) return expanded;
    const context = `${ctx.baseUrl}/v1.0/$metadata#users${query.get('$select') ? `(${sel.select.join(',')})` : ''}/$entity`;
    return { status: 200, body: { '@odata.context': context, ...project(user, sel.select), ...expanded.extra } };
  }

  private expandManager(user: SimUser, expand: string | null): { extra: Record<string, unknown> } | SimResponse {
    if (!expand) return { extra: {} };
    const m = expand.match(/^manager(?:\(\$select=([\w,]+)\))?$/);
    if (!m) return odataError(400, 'Request_BadRequest', `Parsing OData Select and Expand failed: '${expand}' is not supported.`);
    const sel = parseSelect(m[1] ?? null, USER_PROPERTIES, ['id', 'displayName', 'userPrincipalName', 'mail'], 'microsoft.graph.user');
    if (!sel.ok) return sel.error;
    const manager = user.managerId ? this.tenant.users.get(user.managerId) : undefined;
    return { extra: manager ? { manager: { '@odata.type': '#microsoft.graph.user', ...project(manager, sel.select) } } : {} };
  }

  /**
   * Users matching `$filter` and `$search`, ordered by `$orderby`, with Graph's rules: `$search`, `$count`,
   * `ne`/`not`/`endsWith` and `$orderby` together with `$filter` need `ConsistencyLevel: eventual`
   * (and `$count=true` for the filter operators).
   */
  private queryUsers(query: URLSearchParams, ctx: RequestContext): SimUser[] | SimResponse {
    const advanced = ctx.eventual && query.get('$count') === 'true';
    let users = [...this.tenant.users.values()];
    const filterText = query.get('$filter');
    if (filterText !== null) {
      const parsed = filterOf(filterText);
      if ('status' in parsed) return parsed;
      const unsupported = [...parsed.properties].find((p) => !USER_FILTERABLE.has(p));
      if (unsupported)
        return odataError(
          400,
          'Request_UnsupportedQuery',
          `Unsupported or invalid query filter clause specified for property '${unsupported}' of resource 'User'.`,
        );
      if (parsed.advanced.length > 0 && !advanced) {
        return odataError(
          400,
          'Request_UnsupportedQuery',
          `Operator '${parsed.advanced[0]}' is not supported because the required parameters might be missing. Try adding $count with a value of true and the ConsistencyLevel header with a value of eventual.`,
        );
      }
      users = this.#byUpnFilter(parsed.root) ?? users;
      users = users.filter((u) => evaluate(parsed.root, u as unknown as Record<string, unknown>));
    }
    const searchText = query.get('$search');
    if (searchText !== null) {
      if (!ctx.eventual)
        return odataError(
          400,
          'Request_UnsupportedQuery',
          "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
        );
      const parsed = parseSearch(searchText);
      if (!parsed.ok) return odataError(400, 'Request_UnsupportedQuery', parsed.message);
      const bad = parsed.clauses.find((c) => !USER_SEARCHABLE.has(c.property));
      if (bad) return odataError(400, 'Request_UnsupportedQuery', `Unsupported search property '${bad.property}' of resource 'User'.`);
      users = users.filter((u) => searchMatches(parsed, u as unknown as Record<string, unknown>));
    }
    const orderText = query.get('$orderby');
    if (orderText !== null) {
      const parsed = parseOrderBy(orderText);
      if (!parsed.ok) return odataError(400, 'BadRequest', parsed.message);
      const needsAdvanced = filterText !== null || searchText !== null || parsed.keys.some((k) => !USER_SORTABLE_BASIC.has(k.property));
      if (needsAdvanced && !advanced) return odataError(400, 'Request_UnsupportedQuery', 'Sorting not supported for current query.');
      const unknown = parsed.keys.find((k) => !USER_PROPERTIES.has(k.property));
      if (unknown) return odataError(400, 'Request_BadRequest', `Could not find a property named '${unknown.property}' on type 'microsoft.graph.user'.`);
      users.sort(compareBy<SimUser>(parsed.keys));
    }
    return users;
  }

  /**
   * The candidates of a `userPrincipalName eq '…'` or `in (…)` filter, found by key rather than by
   * evaluating the filter on every user: an invitation run asks this for 15 users at a time, and a scan
   * of a 10,000-user tenant per ask made the simulator, not the 30 ms latency, the bench's Graph cost.
   * Undefined for any other filter. The filter is still evaluated on the candidates.
   */
  #byUpnFilter(root: FilterNode): SimUser[] | undefined {
    const values = root.kind === 'in' ? root.values : root.kind === 'compare' && root.op === 'eq' ? [root.value] : undefined;
    if (!values || !('property' in root) || root.property !== 'userPrincipalName' || !values.every((v) => typeof v === 'string')) return undefined;
    const found = new Set<SimUser>();
    for (const upn of values as string[]) {
      const user = this.tenant.findByUpn(upn);
      if (user) found.add(user);
    }
    return [...found];
  }

  private listUsers(query: URLSearchParams, ctx: RequestContext): SimResponse {
    const sel = parseSelect(query.get('$select'), USER_PROPERTIES, DEFAULT_USER_SELECT, 'microsoft.graph.user');
    if (!sel.ok) return sel.error;
    const count = query.get('$count');
    if (count !== null && count !== 'true' && count !== 'false')
      return odataError(400, 'BadRequest', `Invalid value '${count}' for $count query option found. Valid values are 'true' or 'false'.`);
    if (count === 'true' && !ctx.eventual)
      return odataError(400, 'Request_BadRequest', '$count is not currently supported without the ConsistencyLevel header set to eventual.');
    const size = pageSize(query, DEFAULT_PAGE, query.get('$expand') ? MAX_PAGE_WITH_EXPAND : MAX_PAGE);
    if (typeof size !== 'number') return size;
    const users = this.queryUsers(query, ctx);
    if (!Array.isArray(users)) return users;
    const rows: Record<string, unknown>[] = [];
    for (const u of users) {
      const expanded = this.expandManager(u, query.get('$expand'));
      if ('status' in expanded) return expanded;
      rows.push({ ...project(u, sel.select), ...expanded.extra });
    }
    const context = `${ctx.baseUrl}/v1.0/$metadata#users${query.get('$select') ? `(${sel.select.join(',')})` : ''}`;
    const page = this.page(rows, size, query, `${ctx.baseUrl}/v1.0/users`, context);
    if (count === 'true') (page.body as Record<string, unknown>)['@odata.count'] = rows.length;
    return page;
  }

  /** GET /users/$count: a plain-text number, advanced query only. */
  private countUsers(query: URLSearchParams, ctx: RequestContext): SimResponse {
    if (!ctx.eventual) return odataError(400, 'Request_BadRequest', 'Count is not currently supported.');
    const users = this.queryUsers(new URLSearchParams([...query.entries(), ['$count', 'true']]), ctx);
    if (!Array.isArray(users)) return users;
    return { status: 200, headers: { 'content-type': 'text/plain' }, body: String(users.length) };
  }

  /** A page of `rows`; `shape` turns each row of the page into its answer (only the page's rows are shaped). */
  private page<T>(rows: T[], size: number, query: URLSearchParams, link: string, context: string, shape?: (row: T) => unknown): SimResponse {
    const offset = decodeToken<{ o: number }>(query.get('$skiptoken'))?.o ?? 0;
    const slice = shape ? rows.slice(offset, offset + size).map(shape) : rows.slice(offset, offset + size);
    const body: Record<string, unknown> = { '@odata.context': context, value: slice };
    if (offset + size < rows.length) {
      const next = new URLSearchParams(query);
      next.set('$skiptoken', encodeToken({ o: offset + size }));
      body['@odata.nextLink'] = `${link}?${next.toString()}`;
    }
    return { status: 200, body };
  }

  /** PATCH /users/{id}: the directory changes a campaign meets (rename, department, sign-in blocked …). */
  private patchUser(user: SimUser, body: unknown): SimResponse {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return odataError(400, 'BadRequest', 'Empty Payload. JSON content expected.');
    const writable = new Set([
      'displayName',
      'givenName',
      'surname',
      'department',
      'jobTitle',
      'mobilePhone',
      'officeLocation',
      'city',
      'country',
      'state',
      'postalCode',
      'streetAddress',
      'companyName',
      'employeeId',
      'accountEnabled',
      'businessPhones',
      'userPrincipalName',
      'mail',
      'mailNickname',
    ]);
    const changes: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      const name = [...writable].find((w) => w.toLowerCase() === k.toLowerCase());
      if (!name) return odataError(400, 'Request_BadRequest', `Property '${k}' is read-only or does not exist on type 'microsoft.graph.user'.`);
      const ok =
        name === 'accountEnabled'
          ? typeof v === 'boolean'
          : name === 'businessPhones'
            ? Array.isArray(v) && v.every((x) => typeof x === 'string')
            : typeof v === 'string' || (v === null && !['displayName', 'userPrincipalName', 'mailNickname'].includes(name));
      if (!ok) return odataError(400, 'Request_BadRequest', `Invalid value specified for property '${name}' of resource 'User'.`);
      changes[name] = v;
    }
    const upn = changes.userPrincipalName;
    if (typeof upn === 'string') {
      const domain = upn.split('@')[1]?.toLowerCase();
      if (!/^[^@\s]+@[^@\s]+$/.test(upn) || (domain !== this.tenant.domain.toLowerCase() && !upn.includes('#EXT#'))) {
        return odataError(
          400,
          'Request_BadRequest',
          `The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.`,
        );
      }
      const other = this.tenant.findByUpn(upn);
      if (other && other.id !== user.id)
        return odataError(400, 'Request_BadRequest', `Another object with the same value for property userPrincipalName already exists.`);
    }
    this.tenant.updateUser(user.id, changes as Partial<SimUser>);
    return { status: 204 };
  }

  /** PUT /users/{id}/manager/$ref with `{"@odata.id": ".../users/{managerId}"}`. */
  private setManager(user: SimUser, body: unknown): SimResponse {
    const id = this.referencedId(prop(body, '@odata.id'));
    if (!id) return odataError(400, 'Request_BadRequest', 'Invalid request body: expected @odata.id.');
    const manager = this.tenant.findUser(id);
    if (!manager) return notFound(id);
    if (manager.id === user.id) return odataError(400, 'Request_BadRequest', 'A user cannot be their own manager.');
    this.tenant.updateUser(user.id, { managerId: manager.id });
    return { status: 204 };
  }

  /** /directory/deletedItems: list deleted users, get one, restore, delete permanently. */
  private deletedItems(method: string, rest: string[], ctx: RequestContext): SimResponse {
    const [id, action] = rest;
    const shape = (e: { user: SimUser; deletedDateTime: string }) => ({
      '@odata.type': '#microsoft.graph.user',
      ...project(e.user, DEFAULT_USER_SELECT),
      deletedDateTime: e.deletedDateTime,
    });
    if (id === 'user' && rest.length === 1 && method === 'GET') {
      return {
        status: 200,
        body: { '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#directoryObjects`, value: [...this.tenant.deletedUsers.values()].map(shape) },
      };
    }
    if (id === undefined)
      return odataError(400, 'Request_BadRequest', "Cast is required for the deleted items collection, e.g. 'deletedItems/microsoft.graph.user'.");
    const entry = this.tenant.deletedUsers.get(id);
    if (!entry) return notFound(id);
    if (rest.length === 1 && method === 'GET') return { status: 200, body: shape(entry) };
    if (rest.length === 1 && method === 'DELETE') {
      this.tenant.deleteUser(id, { permanently: true });
      return { status: 204 };
    }
    if (action === 'restore' && rest.length === 2 && method === 'POST') {
      if (this.tenant.findByUpn(entry.user.userPrincipalName))
        return odataError(400, 'Request_BadRequest', 'Another object with the same value for property userPrincipalName already exists.');
      const user = this.tenant.restoreUser(id);
      return {
        status: 200,
        body: {
          '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#directoryObjects/$entity`,
          '@odata.type': '#microsoft.graph.user',
          ...project(user, DEFAULT_USER_SELECT),
        },
      };
    }
    return odataError(400, 'BadRequest', `Resource not found for the segment '${rest[rest.length - 1]}'.`);
  }

  private listMembers(groupId: string, query: URLSearchParams, ctx: RequestContext): SimResponse {
    const group = this.tenant.groups.get(groupId)!;
    const sel = parseSelect(query.get('$select'), USER_PROPERTIES, DEFAULT_USER_SELECT, 'microsoft.graph.directoryObject');
    if (!sel.ok) return sel.error;
    const size = pageSize(query);
    if (typeof size !== 'number') return size;
    const rows = [...group.members].sort().flatMap((id) => {
      const u = this.tenant.users.get(id);
      if (u) return [{ '@odata.type': '#microsoft.graph.user', ...project(u, sel.select) }];
      const nested = this.tenant.groups.get(id);
      return nested ? [{ '@odata.type': '#microsoft.graph.group', id: nested.id, displayName: nested.displayName }] : [];
    });
    return this.page(rows, size, query, `${ctx.baseUrl}/v1.0/groups/${groupId}/members`, `${ctx.baseUrl}/v1.0/$metadata#directoryObjects`);
  }

  /** GET /groups with `$filter` (e.g. `startswith(displayName,'Sales')`), `$select` of id and displayName, `$top`. */
  private listGroups(query: URLSearchParams, ctx: RequestContext): SimResponse {
    const refused = onlyOptions(query, ['$filter', '$select', '$top', '$skiptoken']);
    if (refused) return refused;
    const size = pageSize(query);
    if (typeof size !== 'number') return size;
    const filterText = query.get('$filter');
    const filter = filterText ? filterOf(filterText) : null;
    if (filter && 'status' in filter) return filter;
    const rows = [...this.tenant.groups.values()]
      .map((g) => ({ id: g.id, displayName: g.displayName }))
      .filter((g) => !filter || evaluate(filter.root, g))
      .sort((a, b) => a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id));
    return this.page(rows, size, query, `${ctx.baseUrl}/v1.0/groups`, `${ctx.baseUrl}/v1.0/$metadata#groups(id,displayName)`);
  }

  /**
   * GET /groups/{id}/transitiveMembers (users and nested groups at any depth), or
   * /transitiveMembers/microsoft.graph.user (users only), as Graph pages them.
   */
  private listTransitiveMembers(groupId: string, usersOnly: boolean, query: URLSearchParams, ctx: RequestContext): SimResponse {
    const sel = parseSelect(query.get('$select'), USER_PROPERTIES, DEFAULT_USER_SELECT, usersOnly ? 'microsoft.graph.user' : 'microsoft.graph.directoryObject');
    if (!sel.ok) return sel.error;
    const size = pageSize(query);
    if (typeof size !== 'number') return size;
    const { users, groups } = this.tenant.transitiveMembers(groupId);
    const rows: unknown[] = [...users].sort().flatMap((id) => {
      const u = this.tenant.users.get(id);
      return u ? [{ '@odata.type': '#microsoft.graph.user', ...project(u, sel.select) }] : [];
    });
    if (!usersOnly)
      for (const id of [...groups].sort())
        rows.push({ '@odata.type': '#microsoft.graph.group', id, displayName: this.tenant.groups.get(id)?.displayName ?? null });
    const path = `groups/${groupId}/transitiveMembers${usersOnly ? '/microsoft.graph.user' : ''}`;
    return this.page(rows, size, query, `${ctx.baseUrl}/v1.0/${path}`, `${ctx.baseUrl}/v1.0/$metadata#${usersOnly ? 'users' : 'directoryObjects'}`);
  }

  private referencedId(ref: unknown): string | null {
    if (typeof ref !== 'string') return null;
    const m = ref.match(/\/(?:directoryObjects|users)\/([^/?#]+)$/);
    return m ? decodeURIComponent(m[1]!) : null;
  }

  /** PATCH /groups/{id} with members@odata.bind: all or nothing, like Graph. */
  private patchGroup(groupId: string, body: unknown): SimResponse {
    const group = this.tenant.groups.get(groupId)!;
    const binds = (body as Record<string, unknown> | null)?.['members@odata.bind'];
    if (!Array.isArray(binds)) return odataError(400, 'Request_BadRequest', 'Invalid request body: expected members@odata.bind.');
    if (binds.length > MAX_BIND)
      return odataError(400, 'Request_BadRequest', `The request exceeds the limit of ${MAX_BIND} members that can be added in a single request.`);
    const ids: string[] = [];
    for (const ref of binds) {
      const id = this.referencedId(ref);
      if (!id) return odataError(400, 'Request_BadRequest', `Invalid object identifier '${String(ref)}'.`);
      if (!this.tenant.users.has(id)) return notFound(id);
      ids.push(id);
    }
    if (ids.some((id) => group.members.has(id)) || new Set(ids).size !== ids.length) {
      return odataError(400, 'Request_BadRequest', "One or more added object references already exist for the following modified properties: 'members'.");
    }
    for (const id of ids) group.members.add(id);
    return { status: 204 };
  }

  private addMemberRef(groupId: string, body: unknown): SimResponse {
    const group = this.tenant.groups.get(groupId)!;
    const id = this.referencedId((body as Record<string, unknown> | null)?.['@odata.id']);
    if (!id) return odataError(400, 'Request_BadRequest', 'Invalid request body: expected @odata.id.');
    if (!this.tenant.users.has(id)) return notFound(id);
    if (group.members.has(id))
      return odataError(400, 'Request_BadRequest', "One or more added object references already exist for the following modified properties: 'members'.");
    group.members.add(id);
    return { status: 204 };
  }

  private userMethods(user: SimUser, ctx: RequestContext): SimResponse {
    const value: Record<string, unknown>[] = [];
    if (user.userType === 'Member') value.push(methodResource('password', user));
    for (const m of user.methods) if (m !== 'password') value.push(methodResource(m, user));
    return { status: 200, body: { '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#users('${user.id}')/authentication/methods`, value } };
  }

  /**
   * The rows of userRegistrationDetails, with the documented properties. Disabled accounts are left out:
   * Microsoft's docs say the report "doesn't work for disabled users".
   */
  private registrationRows(): Array<Record<string, unknown> & { id: string }> {
    return this.reportedUsers().map((u) => this.registrationRow(u));
  }

  /** The users the registration report lists: disabled accounts are not in it. */
  private reportedUsers(): SimUser[] {
    return [...this.tenant.users.values()].filter((u) => u.accountEnabled);
  }

  private registrationRow(u: SimUser): Record<string, unknown> & { id: string } {
    const names = u.methods.filter((m): m is Exclude<typeof m, 'password'> => m !== 'password').map((m) => REPORT_METHOD_NAMES[m]);
    const mfa = u.methods.some((m) => m !== 'password' && m !== 'email');
    const system = u.methods.includes('microsoftAuthenticator')
      ? 'push'
      : u.methods.includes('fido2') || u.methods.includes('passkey')
        ? 'fido2'
        : u.methods.includes('phone')
          ? 'sms'
          : u.methods.includes('softwareOath') || u.methods.includes('hardwareOath')
            ? 'oath'
            : null;
    return {
      id: u.id,
      userPrincipalName: u.userPrincipalName,
      userDisplayName: u.displayName,
      userType: u.userType === 'Guest' ? 'guest' : 'member',
      isAdmin: u.appRoles.includes('Onramp.Admin'),
      isSsprRegistered: mfa,
      isSsprEnabled: true,
      isSsprCapable: mfa,
      isMfaRegistered: mfa,
      isMfaCapable: mfa,
      isPasswordlessCapable: u.methods.includes('fido2') || u.methods.includes('passkey') || u.methods.includes('windowsHello'),
      methodsRegistered: names,
      isSystemPreferredAuthenticationMethodEnabled: true,
      systemPreferredAuthenticationMethods: system ? [system] : [],
      userPreferredMethodForSecondaryAuthentication: system ?? 'none',
      lastUpdatedDateTime: METHOD_CREATED,
    };
  }

  private registrationReport(query: URLSearchParams, ctx: RequestContext): SimResponse {
    const link = `${ctx.baseUrl}/v1.0/reports/authenticationMethods/userRegistrationDetails`;
    const context = `${ctx.baseUrl}/v1.0/$metadata#reports/authenticationMethods/userRegistrationDetails`;
    if (query.get('$filter') === null && query.get('$orderby') === null) {
      // Only the page's rows are made: making the whole tenant's for each page of 100 made reading the
      // report quadratic in the tenant's size (a run's registrations took seconds of simulator time).
      return this.page(this.reportedUsers(), REPORT_PAGE, query, link, context, (u) => this.registrationRow(u));
    }
    let rows = this.registrationRows();
    const filterText = query.get('$filter');
    if (filterText !== null) {
      const parsed = filterOf(filterText);
      if ('status' in parsed) return parsed;
      rows = rows.filter((r) => evaluate(parsed.root, r));
    }
    const orderText = query.get('$orderby');
    if (orderText !== null) {
      const parsed = parseOrderBy(orderText);
      if (!parsed.ok) return odataError(400, 'BadRequest', parsed.message);
      rows.sort(compareBy(parsed.keys));
    }
    return this.page(rows, REPORT_PAGE, query, link, context);
  }

  /** sendMail: parameters bound case-insensitively (the Kiota SDK sends `Message` / `SaveToSentItems`). */
  private sendMail(user: SimUser, body: unknown): SimResponse {
    const message = prop(body, 'message') as Record<string, unknown> | undefined;
    if (!message || typeof message !== 'object') return odataError(400, 'ErrorInvalidRequest', 'Cannot read the request body.');
    const saveToSentItems = prop(body, 'saveToSentItems');
    if (saveToSentItems !== undefined && typeof saveToSentItems !== 'boolean')
      return odataError(400, 'ErrorInvalidRequest', "Invalid value for parameter 'SaveToSentItems'.");
    const recipients = (list: unknown) =>
      Array.isArray(list)
        ? list.map((r: unknown) => {
            const email = prop(r, 'emailAddress');
            const address = prop(email, 'address');
            const name = prop(email, 'name');
            return { address: String(address ?? ''), ...(typeof name === 'string' && name ? { name } : {}) };
          })
        : [];
    const to = recipients(prop(message, 'toRecipients'));
    if (to.length === 0 || to.some((r) => !r.address.includes('@'))) return odataError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.');
    const content = prop(message, 'body');
    const rawAttachments = prop(message, 'attachments');
    const attachments = Array.isArray(rawAttachments)
      ? rawAttachments.map((a: unknown) => ({
          name: String(prop(a, 'name') ?? ''),
          contentType: String(prop(a, 'contentType') ?? 'application/octet-stream'),
          size: Buffer.from(String(prop(a, 'contentBytes') ?? ''), 'base64').length,
        }))
      : [];
    const internetMessageId = prop(message, 'internetMessageId');
    this.tenant.mail.push({
      id: randomUUID(),
      from: user.mail ?? user.userPrincipalName,
      to,
      cc: recipients(prop(message, 'ccRecipients')),
      subject: String(prop(message, 'subject') ?? ''),
      contentType: String(prop(content, 'contentType') ?? '').toLowerCase() === 'text' ? 'text' : 'html',
      body: String(prop(content, 'content') ?? ''),
      internetMessageId: typeof internetMessageId === 'string' ? internetMessageId : null,
      attachments,
      sentAt: new Date().toISOString(),
    });
    return { status: 202 };
  }

  /**
   * users/delta: a full round, then changes since the delta token. Tokens name this simulator's token
   * generation and their issue time: one from another run, from before expireDeltaTokens(), or older than
   * Graph's ~7 days answers 410 Gone `syncStateNotFound` with a Location header to start a new round,
   * as Graph does; one that does not decode answers 410 `syncStateInvalid`.
   */
  private userDelta(query: URLSearchParams, ctx: RequestContext): SimResponse {
    const link = `${ctx.baseUrl}/v1.0/users/delta`;
    type Round = { g: string; t: number; o: number; since: number; upTo: number; sel: string[] };
    const restart = (code: 'syncStateNotFound' | 'syncStateInvalid', sel: string[] | null, message: string) =>
      odataError(410, code, message, { Location: sel ? `${link}?$select=${sel.join(',')}` : link });
    const resume = (name: '$skiptoken' | '$deltatoken'): Round | SimResponse | null => {
      if (!query.has(name)) return null;
      const token = decodeToken<Partial<Round> & { s?: number }>(query.get(name));
      const sel = Array.isArray(token?.sel) && token.sel.every((x) => typeof x === 'string' && DELTA_PROPERTIES.has(x)) ? token.sel : null;
      if (!token || !sel || typeof token.t !== 'number') return restart('syncStateInvalid', sel, 'The sync state is invalid. Start a new synchronization.');
      if (token.g !== this.deltaGeneration || Date.now() - token.t > DELTA_TOKEN_LIFETIME_MS) {
        return restart('syncStateNotFound', sel, 'The sync state generation is not found. The delta token is expired; start a new synchronization.');
      }
      if (name === '$deltatoken') return { g: token.g, t: token.t, o: 0, since: Number(token.s ?? 0), upTo: this.tenant.currentSeq, sel };
      return { g: token.g, t: token.t, o: Number(token.o ?? 0), since: Number(token.since ?? 0), upTo: Number(token.upTo ?? 0), sel };
    };
    let round: Round;
    const skip = resume('$skiptoken');
    const delta = skip ? null : resume('$deltatoken');
    const resumed = skip ?? delta;
    if (resumed && 'status' in resumed) return resumed;
    if (resumed) round = resumed;
    else {
      const sel = parseSelect(query.get('$select'), DELTA_PROPERTIES, DEFAULT_USER_SELECT, 'microsoft.graph.user');
      if (!sel.ok) return sel.error;
      if (!sel.select.includes('id')) sel.select.unshift('id');
      round = { g: this.deltaGeneration, t: Date.now(), o: 0, since: 0, upTo: this.tenant.currentSeq, sel: sel.select };
    }
    const { changed, deleted } = this.tenant.changesSince(round.since);
    const rows: Record<string, unknown>[] = [
      ...changed.map((u) => this.deltaRow(u, round.sel, round.since > 0)),
      // `changed`: soft-deleted (restorable); `deleted`: gone for good.
      ...(round.since > 0 ? deleted.map((d) => ({ id: d.id, '@removed': { reason: d.reason } })) : []),
    ];
    const size = DEFAULT_PAGE;
    const slice = rows.slice(round.o, round.o + size);
    const body: Record<string, unknown> = { '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#users(${round.sel.join(',')})`, value: slice };
    if (round.o + size < rows.length) body['@odata.nextLink'] = `${link}?$skiptoken=${encodeToken({ ...round, o: round.o + size })}`;
    else
      body['@odata.deltaLink'] =
        `${link}?$deltatoken=${encodeToken({ g: this.deltaGeneration, t: Date.now(), s: Math.max(round.upTo, this.tenant.currentSeq), sel: round.sel })}`;
    return { status: 200, body };
  }

  /**
   * A user as users/delta shows it. With `manager` selected, `manager@delta` carries the manager's id; in
   * a round of changes a user without a manager carries a removed entry, so a sync clears a manager that
   * was taken away (Graph sends it only when the manager changed; sending it with every change is the same
   * to a client that applies it).
   */
  private deltaRow(user: SimUser, select: readonly string[], changesOnly: boolean): Record<string, unknown> {
    if (!select.includes('manager')) return project(user, [...select]);
    const row = project(
      user,
      select.filter((key) => key !== 'manager'),
    );
    if (user.managerId) row['manager@delta'] = [{ '@odata.type': '#microsoft.graph.user', id: user.managerId }];
    else if (changesOnly) row['manager@delta'] = [{ '@odata.type': '#microsoft.graph.user', '@removed': { reason: 'deleted' } }];
    return row;
  }

  /** GET /users/{id}/photo: the profilePhoto's metadata, or Graph's 404 ImageNotFound. */
  private photoMetadata(user: SimUser, ctx: RequestContext): SimResponse {
    const photo = this.tenant.photoOf(user.id);
    if (!photo) return imageNotFound();
    return {
      status: 200,
      body: {
        '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#users('${user.id}')/photo/$entity`,
        '@odata.mediaContentType': photo.contentType,
        '@odata.mediaEtag': photo.etag,
        id: `${photo.width}X${photo.height}`,
        width: photo.width,
        height: photo.height,
      },
    };
  }

  /** GET /users/{id}/photo/$value: the bytes, as Graph sends them (binary, the photo's content type). */
  private photoValue(user: SimUser): SimResponse {
    const photo = this.tenant.photoOf(user.id);
    if (!photo) return imageNotFound();
    return { status: 200, headers: { 'Content-Type': photo.contentType, ETag: photo.etag }, body: photo.bytes };
  }

  /**
   * Get-Mailbox -Identity (RecipientTypeDetails, the addresses) and Get-RecipientPermission -Identity
   * [-Trustee] [-AccessRights SendAs] (the Send As grants, trustees named by UPN), as Exchange answers them.
   */
  private mailboxCmdlet(name: 'Get-Mailbox' | 'Get-RecipientPermission', params: Record<string, unknown>, context: string): SimResponse {
    const identity = params.Identity;
    if (typeof identity !== 'string' || identity.length === 0)
      return odataError(400, 'BadRequest', "Cannot validate argument on parameter 'Identity'. The argument is null or empty.");
    const user = this.tenant.findRecipient(identity);
    if (!user?.mail) {
      return odataError(
        404,
        'NotFound',
        `|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed because object '${identity}' couldn't be found on 'SIM01A001DC001.sim.prod.outlook.com'.`,
      );
    }
    if (name === 'Get-Mailbox') {
      const row = {
        Identity: user.displayName,
        UserPrincipalName: user.userPrincipalName,
        PrimarySmtpAddress: user.mail,
        RecipientTypeDetails: this.tenant.recipientTypeOf(user),
        GrantSendOnBehalfTo: [],
      };
      return { status: 200, body: { '@odata.context': context, value: [row] } };
    }
    const trustee = typeof params.Trustee === 'string' ? this.tenant.findRecipient(params.Trustee) : undefined;
    if (typeof params.Trustee === 'string' && !trustee) return { status: 200, body: { '@odata.context': context, value: [] } };
    const rows = [...(this.tenant.sendAs.get(user.id) ?? [])]
      .map((id) => this.tenant.users.get(id))
      .filter((t): t is SimUser => !!t && (!trustee || t.id === trustee.id))
      .map((t) => ({ Identity: user.displayName, Trustee: t.userPrincipalName, AccessControlType: 'Allow', AccessRights: ['SendAs'], IsInherited: false }));
    return { status: 200, body: { '@odata.context': context, value: rows } };
  }

  /** POST /adminapi/beta/{tenant}/InvokeCommand: the cmdlets onramp runs. */
  invokeCommand(body: unknown, ctx: RequestContext): SimResponse {
    const input = (body as { CmdletInput?: { CmdletName?: unknown; Parameters?: Record<string, unknown> } } | null)?.CmdletInput;
    const name = input?.CmdletName;
    const params = input?.Parameters ?? {};
    if (typeof name !== 'string') return odataError(400, 'BadRequest', 'CmdletInput.CmdletName is required.');
    const context = `${ctx.baseUrl}/adminapi/beta/${this.tenant.tenantId}/$metadata#Collection(Exchange.GenericHashTable)`;
    if (name === 'Get-OrganizationConfig') {
      return {
        status: 200,
        body: {
          '@odata.context': context,
          value: [
            {
              Identity: `${this.tenant.domain}`,
              Name: this.tenant.domain,
              PostponeRoamingSignaturesUntilLater: this.tenant.organization.postponeRoamingSignaturesUntilLater,
            },
          ],
        },
      };
    }
    if (name === 'Set-OrganizationConfig') {
      const postpone = params.PostponeRoamingSignaturesUntilLater;
      if (postpone !== undefined && typeof postpone !== 'boolean')
        return odataError(
          400,
          'BadRequest',
          "Cannot process argument transformation on parameter 'PostponeRoamingSignaturesUntilLater'. A boolean is expected.",
        );
      if (typeof postpone === 'boolean') this.tenant.organization.postponeRoamingSignaturesUntilLater = postpone;
      return { status: 200, body: { '@odata.context': context, value: [] } };
    }
    const identity = params.Identity;
    if (name === 'Get-Mailbox' || name === 'Get-RecipientPermission') return this.mailboxCmdlet(name, params, context);
    if (name !== 'Set-MailboxMessageConfiguration' && name !== 'Get-MailboxMessageConfiguration') {
      return odataError(400, 'BadRequest', `The term '${name}' is not recognized as a name of a cmdlet available in this session.`);
    }
    if (typeof identity !== 'string' || identity.length === 0)
      return odataError(400, 'BadRequest', "Cannot validate argument on parameter 'Identity'. The argument is null or empty.");
    const user = this.tenant.findUser(identity) ?? [...this.tenant.users.values()].find((u) => u.mail?.toLowerCase() === identity.toLowerCase());
    if (!user || !user.mail) {
      return odataError(
        404,
        'NotFound',
        `|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed because object '${identity}' couldn't be found on 'SIM01A001DC001.sim.prod.outlook.com'.`,
      );
    }
    const mailbox = user.mail.toLowerCase();
    if (name === 'Get-MailboxMessageConfiguration') {
      const s = this.tenant.signatures.get(mailbox);
      return {
        status: 200,
        body: {
          '@odata.context': context,
          value: [
            {
              Identity: user.displayName,
              SignatureHtml: s?.html ?? '',
              SignatureText: s?.text ?? '',
              AutoAddSignature: s?.autoAddSignature ?? false,
              AutoAddSignatureOnReply: s?.autoAddSignatureOnReply ?? false,
            },
          ],
        },
      };
    }
    // Microsoft: the signature parameters "don't work if the Outlook roaming signatures feature is
    // enabled". The cmdlet still succeeds, and the stored signature stays as it was.
    if (!this.tenant.organization.postponeRoamingSignaturesUntilLater) {
      this.tenant.ignoredSignatureUpdates++;
      return { status: 200, body: { '@odata.context': context, value: [] } };
    }
    const prev = this.tenant.signatures.get(mailbox);
    const bool = (v: unknown, fallback: boolean) => (typeof v === 'boolean' ? v : fallback);
    this.tenant.signatures.set(mailbox, {
      mailbox,
      html: typeof params.SignatureHtml === 'string' ? params.SignatureHtml : (prev?.html ?? ''),
      text: typeof params.SignatureText === 'string' ? params.SignatureText : (prev?.text ?? ''),
      autoAddSignature: bool(params.AutoAddSignature, prev?.autoAddSignature ?? false),
      autoAddSignatureOnReply: bool(params.AutoAddSignatureOnReply, prev?.autoAddSignatureOnReply ?? false),
      updatedAt: new Date().toISOString(),
    });
    return { status: 200, body: { '@odata.context': context, value: [] } };
  }
}
