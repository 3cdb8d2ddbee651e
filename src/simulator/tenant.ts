/**
 * The simulated tenant's directory: users, managers, groups, registered authentication methods, app
 * roles for the sign-in flow, mail sent through Graph and Outlook web signatures. Generated
 * deterministically from a seed, or loaded from a JSON file (`TenantFile`).
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { AuthMethodKind } from '../graph/graph-port.js';
import { generatedPhoto, type SimPhoto } from './photos.js';

export interface SimUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  mailNickname: string;
  department: string | null;
  jobTitle: string | null;
  accountEnabled: boolean;
  userType: 'Member' | 'Guest';
  managerId: string | null;
  businessPhones: string[];
  mobilePhone: string | null;
  faxNumber: string | null;
  city: string | null;
  state: string | null;
  country: string | null;
  postalCode: string | null;
  streetAddress: string | null;
  officeLocation: string | null;
  companyName: string | null;
  employeeId: string | null;
  interests: string[];
  /** BCP-47 tag (`de-DE`), or null when the directory has none. */
  preferredLanguage: string | null;
  /** Registered authentication methods (password is implicit for members and not listed). */
  methods: AuthMethodKind[];
  /** App roles of onramp's portal app assigned to this user ('Onramp.Admin', 'Onramp.Viewer'). */
  appRoles: string[];
}

export interface SimGroup {
  id: string;
  displayName: string;
  /** User ids and, for nested groups, group ids. */
  members: Set<string>;
}

/** JSON file shape for `onramp sim --tenant file.json`. Omitted user fields get neutral defaults. */
export interface TenantFile {
  tenantId?: string;
  domain?: string;
  users: Array<Partial<SimUser> & { userPrincipalName: string }>;
  /** Members by user id or UPN, or nested groups by id or display name (groups listed earlier). */
  groups?: Array<{ id?: string; displayName: string; members?: string[] }>;
  /** UPN of the shared mailbox onramp sends as (created when missing). */
  sharedMailbox?: string;
  /** Display name of the MFA security group (created when missing). */
  mfaGroupName?: string;
}

export interface SentMail {
  id: string;
  from: string;
  to: Array<{ address: string; name?: string }>;
  cc: Array<{ address: string; name?: string }>;
  subject: string;
  contentType: 'html' | 'text';
  body: string;
  internetMessageId: string | null;
  attachments: Array<{ name: string; contentType: string; size: number }>;
  sentAt: string;
}

export interface StoredSignature {
  mailbox: string;
  html: string;
  text: string;
  autoAddSignature: boolean;
  autoAddSignatureOnReply: boolean;
  updatedAt: string;
}

/** Deterministic PRNG (mulberry32) so `--seed` gives the same tenant every time. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A GUID derived from a name, so ids are stable across runs with the same seed. */
export function stableGuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const GIVEN = [
  'Aisha',
  'Ben',
  'Camille',
  'Daniel',
  'Elena',
  'Farid',
  'Grace',
  'Hiroshi',
  'Ines',
  'Jonas',
  'Kemi',
  'Lucas',
  'Maya',
  'Nikolai',
  'Olivia',
  'Pedro',
  'Quinn',
  'Rosa',
  'Samir',
  'Tara',
  'Umar',
  'Vera',
  'William',
  'Xin',
  'Yasmin',
  'Zoe',
  'Anders',
  'Bianca',
  'Chidi',
  'Dana',
  'Emil',
  'Fatima',
  'Gustavo',
  'Hannah',
  'Ivan',
  'Julia',
  'Karim',
  'Lena',
  'Mateo',
  'Nora',
];
const FAMILY = [
  'Adeyemi',
  'Becker',
  'Chen',
  'Dubois',
  'Eriksson',
  'Fernandes',
  'Garcia',
  'Hansen',
  'Ibrahim',
  'Jensen',
  'Kowalski',
  'Lopez',
  'Muller',
  'Nakamura',
  'Okafor',
  'Petrov',
  'Quintero',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Usman',
  'Varga',
  'Williams',
  'Xu',
  'Yilmaz',
  'Zielinski',
  'Andersson',
  'Brown',
  'Costa',
  'Dimitrov',
  'Evans',
  'Fischer',
  'Gonzalez',
  'Horvat',
  'Ito',
  'Jovanovic',
  'Khan',
  'Larsen',
  'Moreau',
  'Novak',
];
const DEPARTMENTS: Array<{ name: string; titles: string[] }> = [
  { name: 'Finance', titles: ['Accountant', 'Financial Analyst', 'Controller'] },
  { name: 'Human Resources', titles: ['HR Partner', 'Recruiter', 'Payroll Specialist'] },
  { name: 'Engineering', titles: ['Software Engineer', 'Site Reliability Engineer', 'QA Engineer'] },
  { name: 'Sales', titles: ['Account Executive', 'Sales Engineer', 'Inside Sales Representative'] },
  { name: 'Marketing', titles: ['Content Strategist', 'Brand Manager', 'Designer'] },
  { name: 'Operations', titles: ['Operations Analyst', 'Logistics Coordinator', 'Facilities Manager'] },
  { name: 'IT', titles: ['Service Desk Analyst', 'Systems Administrator', 'Security Analyst'] },
  { name: 'Legal', titles: ['Counsel', 'Paralegal', 'Compliance Officer'] },
];
const OFFICES = [
  { city: 'London', state: null, country: 'United Kingdom', postalCode: 'EC2A 4NE', street: '1 Finsbury Avenue', phone: '+44 20 7946 0' },
  { city: 'Berlin', state: 'Berlin', country: 'Germany', postalCode: '10117', street: 'Friedrichstrasse 68', phone: '+49 30 901820' },
  { city: 'Seattle', state: 'WA', country: 'United States', postalCode: '98101', street: '1420 Fifth Avenue', phone: '+1 206 555 0' },
  { city: 'Lagos', state: 'Lagos', country: 'Nigeria', postalCode: '101241', street: '12 Adeola Odeku Street', phone: '+234 1 277 0' },
  { city: 'Sydney', state: 'NSW', country: 'Australia', postalCode: '2000', street: '200 George Street', phone: '+61 2 5550 0' },
];
/**
 * A few generated users read their mail in another language: every 50 users, five of them, one of each
 * (de-AT shows a region onramp maps to its language). Picked by position, not by the random stream, so
 * every other generated value stays what it was.
 */
const OTHER_LANGUAGES = new Map([
  [7, 'de-DE'],
  [17, 'fr-FR'],
  [27, 'es-ES'],
  [37, 'nl-NL'],
  [47, 'de-AT'],
]);
const INTERESTS = ['cycling', 'chess', 'photography', 'running', 'cooking', 'music', 'hiking', 'reading'];

export interface GenerateOptions {
  users: number;
  seed?: number;
  domain?: string;
  tenantId?: string;
}

/**
 * Builds the in-memory tenant. Mutations go through its methods so that users/delta sees each change
 * (every change stamps the user with a new sequence number; deletions leave a tombstone).
 */
export class Tenant {
  readonly users = new Map<string, SimUser>();
  readonly groups = new Map<string, SimGroup>();
  readonly mail: SentMail[] = [];
  readonly signatures = new Map<string, StoredSignature>();
  /**
   * Get-/Set-OrganizationConfig. New tenants have roaming signatures on (Microsoft's default, the
   * parameter is false), and while they are, Set-MailboxMessageConfiguration -SignatureHtml does nothing.
   */
  readonly organization = { postponeRoamingSignaturesUntilLater: false };
  /** Set-MailboxMessageConfiguration calls that succeeded but changed nothing because roaming was on. */
  ignoredSignatureUpdates = 0;
  /**
   * Exchange's Send As permissions (Add-RecipientPermission -AccessRights SendAs): mailbox user id →
   * trustee user ids. Read through Get-RecipientPermission.
   */
  readonly sendAs = new Map<string, Set<string>>();
  private readonly sharedMailboxIds = new Set<string>();
  /** Photos set or removed through the control API; everyone else has their generated one. */
  private readonly photos = new Map<string, SimPhoto | null>();
  private readonly byUpn = new Map<string, string>();
  /** Sequence of the last change of each user (and of deleted ones), for users/delta. */
  private readonly changedAt = new Map<string, number>();
  private readonly deleted = new Map<string, { seq: number; reason: 'changed' | 'deleted' }>();
  /** Soft-deleted users (Graph's deleted items), restorable. */
  readonly deletedUsers = new Map<string, { user: SimUser; groups: string[]; deletedDateTime: string }>();
  private seq = 1;

  constructor(
    readonly tenantId: string,
    readonly domain: string,
    readonly mfaGroupId: string,
    readonly sharedMailbox: string,
  ) {}

  static generate(options: GenerateOptions): Tenant {
    const seed = options.seed ?? 1;
    const random = seededRandom(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const domain = options.domain ?? 'contoso.example';
    const tenantId = options.tenantId ?? stableGuid(`tenant:${seed}:${domain}`);
    const tenant = new Tenant(tenantId, domain, stableGuid(`group:mfa:${seed}`), `onboarding@${domain}`);
    tenant.groups.set(tenant.mfaGroupId, { id: tenant.mfaGroupId, displayName: 'MFA Enrolled Users', members: new Set() });

    const taken = new Set<string>();
    const managersByDept = new Map<string, string[]>();
    const ceoId = stableGuid(`user:${seed}:0`);
    for (let i = 0; i < options.users; i++) {
      const given = pick(GIVEN);
      const family = pick(FAMILY);
      let nick = `${given}.${family}`.toLowerCase();
      for (let n = 2; taken.has(nick); n++) nick = `${given}.${family}${n}`.toLowerCase();
      taken.add(nick);
      const guest = i > 0 && random() < 0.03;
      const dept = pick(DEPARTMENTS);
      const office = pick(OFFICES);
      const id = stableGuid(`user:${seed}:${i}`);
      // The first of each department (and some others) manage; everyone else reports to one of them.
      const deptManagers = managersByDept.get(dept.name) ?? [];
      const isManager = !guest && (deptManagers.length === 0 || random() < 0.08);
      // User 0 heads the company: department heads report to them, everyone else to a department manager.
      const managerId = guest || i === 0 ? null : isManager ? ceoId : pick(deptManagers);
      if (isManager) managersByDept.set(dept.name, [...deptManagers, id]);
      const roll = random();
      const methods: AuthMethodKind[] =
        roll < 0.35
          ? []
          : roll < 0.6
            ? ['microsoftAuthenticator']
            : roll < 0.8
              ? ['microsoftAuthenticator', 'phone']
              : roll < 0.9
                ? ['phone']
                : roll < 0.95
                  ? ['softwareOath']
                  : ['fido2', 'microsoftAuthenticator'];
      const upn = guest ? `${nick.replace('.', '_')}_partner.example#EXT#@${domain}` : `${nick}@${domain}`;
      const phoneSuffix = String(1000 + i).slice(-4);
      tenant.insertUser({
        id,
        userPrincipalName: upn,
        displayName: `${given} ${family}`,
        givenName: given,
        surname: family,
        mail: guest ? `${nick}@partner.example` : upn,
        mailNickname: guest ? `${nick.replace('.', '_')}_partner.example#EXT#` : nick,
        department: guest ? null : dept.name,
        jobTitle: guest ? null : isManager ? `${dept.name} Manager` : pick(dept.titles),
        accountEnabled: i === 0 || random() >= 0.04,
        userType: guest ? 'Guest' : 'Member',
        managerId,
        businessPhones: guest ? [] : [`${office.phone}${phoneSuffix}`],
        mobilePhone: guest || random() < 0.5 ? null : `+1 555 01${phoneSuffix}`,
        faxNumber: null,
        city: guest ? null : office.city,
        state: guest ? null : office.state,
        country: guest ? null : office.country,
        postalCode: guest ? null : office.postalCode,
        streetAddress: guest ? null : office.street,
        officeLocation: guest ? null : `${office.city} HQ`,
        companyName: guest ? 'Partner Ltd' : 'Contoso',
        employeeId: guest ? null : String(100000 + i),
        interests: random() < 0.3 ? [pick(INTERESTS), pick(INTERESTS)].filter((v, k, a) => a.indexOf(v) === k) : [],
        preferredLanguage: OTHER_LANGUAGES.get(i % 50) ?? 'en-US',
        methods: guest ? [] : methods,
        appRoles: i === 0 ? ['Onramp.Admin'] : i === 1 ? ['Onramp.Viewer'] : [],
      });
      if (!guest && methods.length > 0 && random() < 0.5) tenant.groups.get(tenant.mfaGroupId)!.members.add(id);
    }
    tenant.insertSharedMailbox(tenant.sharedMailbox, stableGuid(`user:${seed}:shared`));
    return tenant;
  }

  static fromFile(path: string): Tenant {
    const file = JSON.parse(readFileSync(path, 'utf8')) as TenantFile;
    return Tenant.fromJson(file);
  }

  static fromJson(file: TenantFile): Tenant {
    if (!Array.isArray(file.users)) throw new Error('tenant file: "users" must be an array');
    const domain = file.domain ?? file.users[0]?.userPrincipalName.split('@')[1] ?? 'contoso.example';
    const tenantId = file.tenantId ?? stableGuid(`tenant:file:${domain}`);
    const mfaName = file.mfaGroupName ?? 'MFA Enrolled Users';
    const mfaGroup = file.groups?.find((g) => g.displayName === mfaName);
    const tenant = new Tenant(tenantId, domain, mfaGroup?.id ?? stableGuid(`group:file:${mfaName}`), file.sharedMailbox ?? `onboarding@${domain}`);
    for (const u of file.users) {
      const nick = u.userPrincipalName.split('@')[0]!;
      tenant.insertUser({
        ...sharedMailboxUser(u.userPrincipalName, u.id ?? stableGuid(`user:file:${u.userPrincipalName.toLowerCase()}`)),
        displayName: u.displayName ?? nick,
        accountEnabled: true,
        givenName: null,
        surname: null,
        mailNickname: nick,
        ...u,
      } as SimUser);
    }
    // Managers may be given by UPN in files.
    for (const u of tenant.users.values()) if (u.managerId && !tenant.users.has(u.managerId)) u.managerId = tenant.findByUpn(u.managerId)?.id ?? null;
    for (const g of file.groups ?? []) {
      const id = g.id ?? stableGuid(`group:file:${g.displayName}`);
      const nested = (m: string) => tenant.groups.get(m)?.id ?? [...tenant.groups.values()].find((other) => other.displayName === m)?.id;
      const members = new Set((g.members ?? []).map((m) => tenant.users.get(m)?.id ?? tenant.findByUpn(m)?.id ?? nested(m)).filter((m): m is string => !!m));
      tenant.groups.set(id, { id, displayName: g.displayName, members });
    }
    if (!tenant.groups.has(tenant.mfaGroupId)) tenant.groups.set(tenant.mfaGroupId, { id: tenant.mfaGroupId, displayName: mfaName, members: new Set() });
    const listed = tenant.findByUpn(tenant.sharedMailbox);
    if (listed) tenant.sharedMailboxIds.add(listed.id);
    else tenant.insertSharedMailbox(tenant.sharedMailbox, stableGuid(`user:file:shared:${tenant.sharedMailbox}`));
    return tenant;
  }

  insertUser(user: SimUser): void {
    this.users.set(user.id, user);
    this.byUpn.set(user.userPrincipalName.toLowerCase(), user.id);
    this.touch(user.id);
  }

  findByUpn(upn: string): SimUser | undefined {
    const id = this.byUpn.get(upn.toLowerCase());
    return id ? this.users.get(id) : undefined;
  }

  /** By object id or UPN, as Graph's /users/{id | userPrincipalName}. */
  photoOf(userId: string): SimPhoto | null {
    if (!this.photos.has(userId)) this.photos.set(userId, generatedPhoto(userId));
    return this.photos.get(userId) ?? null;
  }

  setPhoto(userId: string, photo: SimPhoto | null): void {
    this.photos.set(userId, photo);
  }

  findUser(key: string): SimUser | undefined {
    return this.users.get(key) ?? this.findByUpn(key);
  }

  /** By id, UPN or mail address, as Exchange's -Identity and -Trustee take them. */
  findRecipient(key: string): SimUser | undefined {
    const lower = key.toLowerCase();
    return this.findUser(key) ?? [...this.users.values()].find((u) => u.mail?.toLowerCase() === lower);
  }

  /**
   * Exchange's RecipientTypeDetails: shared mailboxes (inserted by insertSharedMailbox) apart from
   * everyone else's own (a disabled leaver's mailbox is still a UserMailbox).
   */
  recipientTypeOf(user: SimUser): 'SharedMailbox' | 'UserMailbox' {
    return this.sharedMailboxIds.has(user.id) ? 'SharedMailbox' : 'UserMailbox';
  }

  /** A shared mailbox: a user object with sign-in blocked whose mailbox is of type SharedMailbox. */
  insertSharedMailbox(upn: string, id: string, displayName?: string): SimUser {
    const user = { ...sharedMailboxUser(upn, id), ...(displayName ? { displayName } : {}) };
    this.insertUser(user);
    this.sharedMailboxIds.add(id);
    return user;
  }

  /** Creates a group whose members are users (by id or UPN) or other groups (by id): nested groups. */
  addGroup(displayName: string, members: readonly string[] = [], id = stableGuid(`group:added:${displayName}`)): SimGroup {
    if (this.groups.has(id)) throw new Error(`group ${id} exists`);
    const group: SimGroup = { id, displayName, members: new Set() };
    this.groups.set(id, group);
    for (const m of members) this.addGroupMember(id, m);
    return group;
  }

  /** Adds a user (by id or UPN) or a group (by id) to a group. */
  addGroupMember(groupId: string, member: string): void {
    const group = this.groups.get(groupId);
    if (!group) throw new Error(`no simulated group ${groupId}`);
    const id = this.groups.has(member) ? member : this.requireUser(member).id;
    if (id === groupId) throw new Error('a group cannot contain itself');
    group.members.add(id);
  }

  /** Every user in a group and in the groups nested in it, at any depth (cycles are cut). */
  transitiveMembers(groupId: string): { users: Set<string>; groups: Set<string> } {
    const users = new Set<string>();
    const groups = new Set<string>();
    const pending = [groupId];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      for (const m of this.groups.get(next)?.members ?? []) {
        if (this.users.has(m)) users.add(m);
        else if (this.groups.has(m) && m !== groupId && !groups.has(m)) {
          groups.add(m);
          pending.push(m);
        }
      }
    }
    return { users, groups };
  }

  /** Changes attributes of a user (a delta sync sees it). UPN changes are re-indexed. */
  updateUser(key: string, changes: Partial<Omit<SimUser, 'id'>>): SimUser {
    const user = this.requireUser(key);
    if (changes.managerId !== undefined && changes.managerId !== null) {
      if (changes.managerId === user.id) throw new Error('a user cannot be their own manager');
      if (!this.users.has(changes.managerId)) throw new Error(`no simulated user ${changes.managerId}`);
    }
    if (
      changes.userPrincipalName &&
      changes.userPrincipalName.toLowerCase() !== user.userPrincipalName.toLowerCase() &&
      this.byUpn.has(changes.userPrincipalName.toLowerCase())
    ) {
      throw new Error(`userPrincipalName ${changes.userPrincipalName} is taken`);
    }
    if (changes.userPrincipalName && changes.userPrincipalName !== user.userPrincipalName) {
      this.byUpn.delete(user.userPrincipalName.toLowerCase());
      this.byUpn.set(changes.userPrincipalName.toLowerCase(), user.id);
    }
    Object.assign(user, changes);
    this.touch(user.id);
    return user;
  }

  /**
   * Deletes a user the way Graph's DELETE /users/{id} does: into the deleted items, restorable for 30
   * days (`permanently`: as after those 30 days, or DELETE /directory/deletedItems/{id}). users/delta
   * reports the first as `@removed: {reason: "changed"}` and the second as `"deleted"`.
   */
  deleteUser(key: string, options: { permanently?: boolean } = {}): void {
    const soft = this.deletedUsers.get(key);
    if (soft && options.permanently) {
      this.deletedUsers.delete(key);
      this.deleted.set(key, { seq: ++this.seq, reason: 'deleted' });
      return;
    }
    const user = this.requireUser(key);
    const groups = [...this.groups.values()].filter((g) => g.members.has(user.id)).map((g) => g.id);
    this.users.delete(user.id);
    this.byUpn.delete(user.userPrincipalName.toLowerCase());
    for (const g of this.groups.values()) g.members.delete(user.id);
    // Reports to the deleted user lose their manager, as in Entra ID (a navigation property: users/delta
    // without `manager` selected does not report them).
    for (const u of this.users.values()) if (u.managerId === user.id) u.managerId = null;
    this.changedAt.delete(user.id);
    if (!options.permanently) this.deletedUsers.set(user.id, { user, groups, deletedDateTime: new Date().toISOString() });
    this.deleted.set(user.id, { seq: ++this.seq, reason: options.permanently ? 'deleted' : 'changed' });
  }

  /** POST /directory/deletedItems/{id}/restore: the user comes back with its group memberships. */
  restoreUser(id: string): SimUser {
    const entry = this.deletedUsers.get(id);
    if (!entry) throw new Error(`no deleted user ${id}`);
    if (this.byUpn.has(entry.user.userPrincipalName.toLowerCase())) throw new Error(`userPrincipalName ${entry.user.userPrincipalName} is taken`);
    this.deletedUsers.delete(id);
    this.insertUser(entry.user);
    for (const g of entry.groups) this.groups.get(g)?.members.add(id);
    return entry.user;
  }

  /** Registers (or removes) authentication methods: the "user completed MFA setup" switch. */
  setMfaMethods(key: string, methods: AuthMethodKind[]): SimUser {
    const user = this.requireUser(key);
    user.methods = [...methods];
    return user;
  }

  requireUser(key: string): SimUser {
    const user = this.findUser(key);
    if (!user) throw new Error(`no simulated user ${key}`);
    return user;
  }

  private touch(id: string): void {
    this.changedAt.set(id, ++this.seq);
    this.deleted.delete(id);
  }

  get currentSeq(): number {
    return this.seq;
  }

  /** Users changed and ids removed after `sinceSeq`, in change order (`reason` as in Graph's `@removed`). */
  changesSince(sinceSeq: number): { changed: SimUser[]; deleted: Array<{ id: string; reason: 'changed' | 'deleted' }> } {
    const changed = [...this.changedAt.entries()]
      .filter(([, s]) => s > sinceSeq)
      .sort((a, b) => a[1] - b[1])
      .map(([id]) => this.users.get(id)!);
    const deleted = [...this.deleted.entries()]
      .filter(([, d]) => d.seq > sinceSeq)
      .sort((a, b) => a[1].seq - b[1].seq)
      .map(([id, d]) => ({ id, reason: d.reason }));
    return { changed, deleted };
  }
}

function sharedMailboxUser(upn: string, id: string): SimUser {
  const nick = upn.split('@')[0]!;
  return {
    id,
    userPrincipalName: upn,
    displayName: 'IT Onboarding',
    givenName: null,
    surname: null,
    mail: upn,
    mailNickname: nick,
    department: 'IT',
    jobTitle: null,
    // Shared mailboxes are user objects with sign-in blocked.
    accountEnabled: false,
    userType: 'Member',
    managerId: null,
    businessPhones: [],
    mobilePhone: null,
    faxNumber: null,
    city: null,
    state: null,
    country: null,
    postalCode: null,
    streetAddress: null,
    officeLocation: null,
    companyName: null,
    employeeId: null,
    interests: [],
    preferredLanguage: 'en-US',
    methods: [],
    appRoles: [],
  };
}
