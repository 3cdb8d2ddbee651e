/**
 * The Graph v1.0 and Exchange admin API surface the simulator serves, as a pure function of the
 * request (method, path, query, body) over the tenant. `$batch` items go through the same dispatch.
 */
import { randomUUID } from 'node:crypto';
import { METHOD_ODATA_TYPES, REPORT_METHOD_NAMES } from '../graph/auth-methods.js';
import type { SimResponse } from './identity.js';
import type { SimUser, Tenant } from './tenant.js';

export const MAX_BATCH = 20;
export const MAX_BIND = 20;
export const MAX_IN_VALUES = 15;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 999;

export function odataError(status: number, code: string, message: string, headers?: Record<string, string>): SimResponse {
  return {
    status,
    headers,
    body: { error: { code, message, innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': randomUUID(), 'client-request-id': randomUUID() } } },
  };
}

const USER_PROPERTIES = new Set([
  'id', 'userPrincipalName', 'displayName', 'givenName', 'surname', 'mail', 'mailNickname', 'department', 'jobTitle',
  'accountEnabled', 'userType', 'businessPhones', 'mobilePhone', 'faxNumber', 'city', 'state', 'country', 'postalCode',
  'streetAddress', 'officeLocation', 'companyName', 'employeeId', 'interests', 'preferredLanguage',
]);
/** What Graph returns for a user when no $select is given. */
const DEFAULT_USER_SELECT = ['businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName', 'id'];

function notFound(key: string): SimResponse {
  return odataError(404, 'Request_ResourceNotFound', `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`);
}

type Projection = { ok: true; select: string[] } | { ok: false; error: SimResponse };

function parseSelect(raw: string | null, allowed: Set<string>, fallback: string[], type: string): Projection {
  if (!raw) return { ok: true, select: fallback };
  const select = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = select.find((s) => !allowed.has(s));
  if (bad) return { ok: false, error: odataError(400, 'Request_BadRequest', `Could not find a property named '${bad}' on type '${type}'.`) };
  return { ok: true, select };
}

function project(user: SimUser, select: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of select) out[key] = key === 'preferredLanguage' ? 'en-US' : (user as unknown as Record<string, unknown>)[key] ?? null;
  return out;
}

interface Clause {
  property: string;
  values: Array<string | boolean>;
}

/** The part of OData $filter onramp uses: `p eq v`, `p in (v, …)`, joined by `and`. */
export function parseFilter(text: string): { ok: true; clauses: Clause[] } | { ok: false; message: string } {
  const clauses: Clause[] = [];
  let rest = text.trim();
  const literal = /^(?:'((?:[^']|'')*)'|(true|false))/;
  while (rest.length > 0) {
    const head = rest.match(/^(\w+)\s+(eq|in)\s+/i);
    if (!head) return { ok: false, message: `Invalid filter clause: syntax error at '${rest.slice(0, 30)}'.` };
    rest = rest.slice(head[0].length);
    const values: Array<string | boolean> = [];
    const take = (): boolean => {
      const m = rest.match(literal);
      if (!m) return false;
      values.push(m[2] !== undefined ? m[2] === 'true' : m[1]!.replaceAll("''", "'"));
      rest = rest.slice(m[0].length).trimStart();
      return true;
    };
    if (head[2]!.toLowerCase() === 'eq') {
      if (!take()) return { ok: false, message: 'Invalid filter clause: expected a literal.' };
    } else {
      if (!rest.startsWith('(')) return { ok: false, message: "Invalid filter clause: 'in' needs a parenthesised list." };
      rest = rest.slice(1).trimStart();
      while (!rest.startsWith(')')) {
        if (!take()) return { ok: false, message: 'Invalid filter clause: expected a literal in the list.' };
        if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
        else if (!rest.startsWith(')')) return { ok: false, message: 'Invalid filter clause: expected , or ).' };
      }
      rest = rest.slice(1).trimStart();
      if (values.length > MAX_IN_VALUES) {
        return { ok: false, message: `Too many child clauses specified in search filter expression containing 'OR' operators: ${values.length}. Max allowed: ${MAX_IN_VALUES}.` };
      }
    }
    clauses.push({ property: head[1]!, values });
    const and = rest.match(/^and\s+/i);
    if (and) rest = rest.slice(and[0].length);
    else if (rest.length > 0) return { ok: false, message: `Invalid filter clause: unexpected '${rest.slice(0, 30)}'.` };
  }
  return { ok: true, clauses };
}

function matches(record: Record<string, unknown>, clauses: Clause[]): boolean {
  return clauses.every((c) =>
    c.values.some((v) => {
      const actual = record[c.property];
      return typeof v === 'string' && typeof actual === 'string' ? actual.toLowerCase() === v.toLowerCase() : actual === v;
    }),
  );
}

function pageSize(query: URLSearchParams, fallback = DEFAULT_PAGE): number | SimResponse {
  const top = query.get('$top');
  if (top === null) return fallback;
  const n = Number(top);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) return odataError(400, 'Request_BadRequest', `Invalid page size specified: '${top}'. Must be between 1 and ${MAX_PAGE} inclusive.`);
  return n;
}

function encodeToken(data: object): string {
  return Buffer.from(JSON.stringify(data)).toString('base64url');
}

function decodeToken<T>(token: string | null): T | null {
  if (!token) return null;
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as T;
  } catch {
    return null;
  }
}

export interface RequestContext {
  baseUrl: string;
  appId: string;
}

export class GraphApi {
  constructor(private readonly tenant: Tenant) {}

  /** One Graph v1.0 request; `path` is after `/v1.0`. */
  dispatch(method: string, path: string, query: URLSearchParams, body: unknown, ctx: RequestContext): SimResponse {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const [root, key, sub, sub2, sub3] = parts;
    if (root === 'users' && key === 'delta' && parts.length === 2 && method === 'GET') return this.userDelta(query, ctx);
    if (root === 'users' && parts.length === 1 && method === 'GET') return this.listUsers(query, ctx);
    if (root === 'users' && key !== undefined) {
      const user = this.tenant.findUser(key);
      if (!user) return notFound(key);
      if (parts.length === 2 && method === 'GET') return this.getUser(user, query);
      if (sub === 'manager' && parts.length === 3 && method === 'GET') {
        const manager = user.managerId ? this.tenant.users.get(user.managerId) : undefined;
        if (!manager) return notFound('manager');
        const sel = parseSelect(query.get('$select'), USER_PROPERTIES, DEFAULT_USER_SELECT, 'microsoft.graph.user');
        if (!sel.ok) return sel.error;
        return { status: 200, body: { '@odata.type': '#microsoft.graph.user', ...project(manager, sel.select) } };
      }
      if (sub === 'authentication' && sub2 === 'methods' && parts.length === 4 && method === 'GET') return this.userMethods(user);
      if (sub === 'sendMail' && parts.length === 3 && method === 'POST') return this.sendMail(user, body);
    }
    if (root === 'groups' && key !== undefined) {
      const group = this.tenant.groups.get(key);
      if (!group) return notFound(key);
      if (parts.length === 2 && method === 'PATCH') return this.patchGroup(group.id, body);
      if (sub === 'members' && parts.length === 3 && method === 'GET') return this.listMembers(group.id, query, ctx);
      if (sub === 'members' && sub2 === '$ref' && parts.length === 4 && method === 'POST') return this.addMemberRef(group.id, body);
      if (sub === 'members' && sub2 !== undefined && sub3 === '$ref' && parts.length === 5 && method === 'DELETE') {
        if (!group.members.delete(sub2)) return notFound(sub2);
        return { status: 204 };
      }
    }
    if (root === 'reports' && key === 'authenticationMethods' && sub === 'userRegistrationDetails' && parts.length === 3 && method === 'GET') {
      return this.registrationReport(query, ctx);
    }
    if (root === 'reports' && key === 'authenticationMethods' && sub === 'userRegistrationDetails' && sub2 !== undefined && parts.length === 4 && method === 'GET') {
      const one = this.registrationReport(new URLSearchParams({ $filter: `id eq '${sub2.replaceAll("'", "''")}'`, ...(query.get('$select') ? { $select: query.get('$select')! } : {}) }), ctx);
      const row = (one.body as { value?: unknown[] } | undefined)?.value?.[0];
      return row ? { status: 200, body: row } : notFound(sub2);
    }
    return odataError(400, 'BadRequest', `Resource not found for the segment '${parts[parts.length - 1] ?? ''}'.`);
  }

  private getUser(user: SimUser, query: URLSearchParams): SimResponse {
    const sel = parseSelect(query.get('$select'), USER_PROPERTIES, DEFAULT_USER_SELECT, 'microsoft.graph.user');
    if (!sel.ok) return sel.error;
    const expanded = this.expandManager(user, query.get('$expand'));
    if ('status' in expanded) return expanded;
    return { status: 200, body: { ...project(user, sel.select), ...expanded.extra } };
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

  private listUsers(query: URLSearchParams, ctx: RequestContext): SimResponse {
    const sel = parseSelect(query.get('$select'), USER_PROPERTIES, DEFAULT_USER_SELECT, 'microsoft.graph.user');
    if (!sel.ok) return sel.error;
    const size = pageSize(query);
    if (typeof size !== 'number') return size;
    let users = [...this.tenant.users.values()];
    const filter = query.get('$filter');
    if (filter) {
      const parsed = parseFilter(filter);
      if (!parsed.ok) return odataError(400, 'Request_UnsupportedQuery', parsed.message);
      const unsupported = parsed.clauses.find((c) => !['id', 'userPrincipalName', 'mail', 'accountEnabled', 'userType', 'department'].includes(c.property));
      if (unsupported) return odataError(400, 'Request_UnsupportedQuery', `Unsupported or invalid query filter clause specified for property '${unsupported.property}' of resource 'User'.`);
      users = users.filter((u) => matches(u as unknown as Record<string, unknown>, parsed.clauses));
    }
    const rows: Record<string, unknown>[] = [];
    for (const u of users) {
      const expanded = this.expandManager(u, query.get('$expand'));
      if ('status' in expanded) return expanded;
      rows.push({ ...project(u, sel.select), ...expanded.extra });
    }
    return this.page(rows, size, query, `${ctx.baseUrl}/v1.0/users`, `${ctx.baseUrl}/v1.0/$metadata#users`);
  }

  private page(rows: unknown[], size: number, query: URLSearchParams, link: string, context: string): SimResponse {
    const offset = decodeToken<{ o: number }>(query.get('$skiptoken'))?.o ?? 0;
    const slice = rows.slice(offset, offset + size);
    const body: Record<string, unknown> = { '@odata.context': context, value: slice };
    if (offset + size < rows.length) {
      const next = new URLSearchParams(query);
      next.set('$skiptoken', encodeToken({ o: offset + size }));
      body['@odata.nextLink'] = `${link}?${next.toString()}`;
    }
    return { status: 200, body };
  }

  private listMembers(groupId: string, query: URLSearchParams, ctx: RequestContext): SimResponse {
    const group = this.tenant.groups.get(groupId)!;
    const sel = parseSelect(query.get('$select'), USER_PROPERTIES, DEFAULT_USER_SELECT, 'microsoft.graph.directoryObject');
    if (!sel.ok) return sel.error;
    const size = pageSize(query);
    if (typeof size !== 'number') return size;
    const rows = [...group.members].sort().flatMap((id) => {
      const u = this.tenant.users.get(id);
      return u ? [{ '@odata.type': '#microsoft.graph.user', ...project(u, sel.select) }] : [];
    });
    return this.page(rows, size, query, `${ctx.baseUrl}/v1.0/groups/${groupId}/members`, `${ctx.baseUrl}/v1.0/$metadata#directoryObjects`);
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
    if (binds.length > MAX_BIND) return odataError(400, 'Request_BadRequest', `The request exceeds the limit of ${MAX_BIND} members that can be added in a single request.`);
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
    if (group.members.has(id)) return odataError(400, 'Request_BadRequest', "One or more added object references already exist for the following modified properties: 'members'.");
    group.members.add(id);
    return { status: 204 };
  }

  private userMethods(user: SimUser): SimResponse {
    const value: Record<string, unknown>[] = [];
    if (user.userType === 'Member' && user.accountEnabled !== undefined) {
      value.push({ '@odata.type': METHOD_ODATA_TYPES.password, id: '28c10230-6103-485e-b985-444c60001490', password: null, createdDateTime: null });
    }
    for (const m of user.methods) value.push({ '@odata.type': METHOD_ODATA_TYPES[m], id: `${m}-${user.id}` });
    return { status: 200, body: { '@odata.context': `$metadata#users('${user.id}')/authentication/methods`, value } };
  }

  private registrationReport(query: URLSearchParams, ctx: RequestContext): SimResponse {
    const size = pageSize(query);
    if (typeof size !== 'number') return size;
    let rows = [...this.tenant.users.values()].map((u) => {
      const names = u.methods.filter((m): m is Exclude<typeof m, 'password'> => m !== 'password').map((m) => REPORT_METHOD_NAMES[m]);
      const mfa = u.methods.some((m) => m !== 'password' && m !== 'email');
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
        isSystemPreferredAuthenticationMethodEnabled: false,
        systemPreferredAuthenticationMethods: [],
        userPreferredMethodForSecondaryAuthentication: names.length > 0 ? 'push' : 'none',
        lastUpdatedDateTime: new Date().toISOString(),
      };
    });
    const filter = query.get('$filter');
    if (filter) {
      const parsed = parseFilter(filter);
      if (!parsed.ok) return odataError(400, 'BadRequest', parsed.message);
      rows = rows.filter((r) => matches(r as unknown as Record<string, unknown>, parsed.clauses));
    }
    const sel = query.get('$select');
    const projected = sel ? rows.map((r) => Object.fromEntries(sel.split(',').map((k) => [k, (r as Record<string, unknown>)[k] ?? null]))) : rows;
    return this.page(projected, size, query, `${ctx.baseUrl}/v1.0/reports/authenticationMethods/userRegistrationDetails`, `${ctx.baseUrl}/v1.0/$metadata#reports/authenticationMethods/userRegistrationDetails`);
  }

  private sendMail(user: SimUser, body: unknown): SimResponse {
    const message = (body as { message?: Record<string, unknown> } | null)?.message;
    if (!message || typeof message !== 'object') return odataError(400, 'ErrorInvalidRequest', 'Cannot read the request body.');
    const recipients = (list: unknown) =>
      Array.isArray(list)
        ? list.map((r: { emailAddress?: { address?: string; name?: string } }) => ({ address: String(r.emailAddress?.address ?? ''), ...(r.emailAddress?.name ? { name: r.emailAddress.name } : {}) }))
        : [];
    const to = recipients(message.toRecipients);
    if (to.length === 0 || to.some((r) => !r.address.includes('@'))) return odataError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.');
    const content = message.body as { contentType?: string; content?: string } | undefined;
    const attachments = Array.isArray(message.attachments)
      ? (message.attachments as Array<{ name?: string; contentType?: string; contentBytes?: string }>).map((a) => ({
          name: String(a.name ?? ''),
          contentType: String(a.contentType ?? 'application/octet-stream'),
          size: Buffer.from(String(a.contentBytes ?? ''), 'base64').length,
        }))
      : [];
    this.tenant.mail.push({
      id: randomUUID(),
      from: user.mail ?? user.userPrincipalName,
      to,
      cc: recipients(message.ccRecipients),
      subject: String(message.subject ?? ''),
      contentType: content?.contentType?.toLowerCase() === 'text' ? 'text' : 'html',
      body: String(content?.content ?? ''),
      internetMessageId: typeof message.internetMessageId === 'string' ? message.internetMessageId : null,
      attachments,
      sentAt: new Date().toISOString(),
    });
    return { status: 202 };
  }

  private userDelta(query: URLSearchParams, ctx: RequestContext): SimResponse {
    const link = `${ctx.baseUrl}/v1.0/users/delta`;
    type Round = { o: number; since: number; upTo: number; sel: string[] };
    let round: Round;
    const skip = decodeToken<Round>(query.get('$skiptoken'));
    const delta = decodeToken<{ s: number; sel: string[] }>(query.get('$deltatoken'));
    if (query.has('$skiptoken') && !skip) return odataError(400, 'Request_BadRequest', 'The skip token is not valid.');
    if (query.has('$deltatoken') && !delta) return odataError(400, 'Request_BadRequest', 'The delta token is not valid.');
    if (skip) round = skip;
    else {
      const sel = parseSelect(query.get('$select'), USER_PROPERTIES, DEFAULT_USER_SELECT, 'microsoft.graph.user');
      if (!sel.ok) return sel.error;
      if (!sel.select.includes('id')) sel.select.unshift('id');
      round = delta ? { o: 0, since: delta.s, upTo: this.tenant.currentSeq, sel: delta.sel } : { o: 0, since: 0, upTo: this.tenant.currentSeq, sel: sel.select };
    }
    const { changed, deleted } = this.tenant.changesSince(round.since);
    const rows: Record<string, unknown>[] = [
      ...changed.map((u) => project(u, round.sel)),
      ...(round.since > 0 ? deleted.map((id) => ({ id, '@removed': { reason: 'deleted' } })) : []),
    ];
    const size = DEFAULT_PAGE;
    const slice = rows.slice(round.o, round.o + size);
    const body: Record<string, unknown> = { '@odata.context': `${ctx.baseUrl}/v1.0/$metadata#users(${round.sel.join(',')})`, value: slice };
    if (round.o + size < rows.length) body['@odata.nextLink'] = `${link}?$skiptoken=${encodeToken({ ...round, o: round.o + size })}`;
    else body['@odata.deltaLink'] = `${link}?$deltatoken=${encodeToken({ s: Math.max(round.upTo, this.tenant.currentSeq), sel: round.sel })}`;
    return { status: 200, body };
  }

  /** POST /adminapi/beta/{tenant}/InvokeCommand: the cmdlets onramp runs. */
  invokeCommand(body: unknown, ctx: RequestContext): SimResponse {
    const input = (body as { CmdletInput?: { CmdletName?: unknown; Parameters?: Record<string, unknown> } } | null)?.CmdletInput;
    const name = input?.CmdletName;
    const params = input?.Parameters ?? {};
    if (typeof name !== 'string') return odataError(400, 'BadRequest', 'CmdletInput.CmdletName is required.');
    const identity = params.Identity;
    if (name !== 'Set-MailboxMessageConfiguration' && name !== 'Get-MailboxMessageConfiguration') {
      return odataError(400, 'BadRequest', `The term '${name}' is not recognized as a name of a cmdlet available in this session.`);
    }
    if (typeof identity !== 'string' || identity.length === 0) return odataError(400, 'BadRequest', "Cannot validate argument on parameter 'Identity'. The argument is null or empty.");
    const user = this.tenant.findUser(identity) ?? [...this.tenant.users.values()].find((u) => u.mail?.toLowerCase() === identity.toLowerCase());
    if (!user || !user.mail) {
      return odataError(404, 'NotFound', `|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed because object '${identity}' couldn't be found on 'SIM01A001DC001.sim.prod.outlook.com'.`);
    }
    const mailbox = user.mail.toLowerCase();
    const context = `${ctx.baseUrl}/adminapi/beta/${this.tenant.tenantId}/$metadata#Collection(Exchange.GenericHashTable)`;
    if (name === 'Get-MailboxMessageConfiguration') {
      const s = this.tenant.signatures.get(mailbox);
      return { status: 200, body: { '@odata.context': context, value: [{ Identity: user.displayName, SignatureHtml: s?.html ?? '', SignatureText: s?.text ?? '', AutoAddSignature: s?.autoAddSignature ?? false, AutoAddSignatureOnReply: s?.autoAddSignatureOnReply ?? false }] } };
    }
    const prev = this.tenant.signatures.get(mailbox);
    const bool = (v: unknown, fallback: boolean) => (typeof v === 'boolean' ? v : fallback);
    this.tenant.signatures.set(mailbox, {
      mailbox,
      html: typeof params.SignatureHtml === 'string' ? params.SignatureHtml : prev?.html ?? '',
      text: typeof params.SignatureText === 'string' ? params.SignatureText : prev?.text ?? '',
      autoAddSignature: bool(params.AutoAddSignature, prev?.autoAddSignature ?? false),
      autoAddSignatureOnReply: bool(params.AutoAddSignatureOnReply, prev?.autoAddSignatureOnReply ?? false),
      updatedAt: new Date().toISOString(),
    });
    return { status: 200, body: { '@odata.context': context, value: [] } };
  }
}
