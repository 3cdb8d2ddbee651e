/**
 * The small interface features call for Microsoft Graph and Exchange Online (pg-boss's IDatabase,
 * kysely's SqliteDatabase). The real implementation is the HTTP client in this folder; it runs against
 * Microsoft in production and against the tenant simulator in tests and the demo.
 *
 * Every bulk method takes many items and does the batching itself ($batch of 20, `in` filters, paging),
 * so features never loop over users calling Graph one at a time.
 */

/** The user fields onboarding needs. */
export interface DirectoryUser {
  id: string;
  userPrincipalName: string;
  displayName: string | null;
  mail: string | null;
  department: string | null;
  jobTitle: string | null;
  accountEnabled: boolean;
  /** 'Member' or 'Guest'. */
  userType: string;
  /** The user's BCP-47 language tag (`de-DE`), when the lookup asked for it and the directory has one. */
  preferredLanguage?: string | null;
  /** Manager's UPN when requested and the user has one. */
  managerUpn?: string | null;
  managerId?: string | null;
  managerDisplayName?: string | null;
  managerMail?: string | null;
  managerPreferredLanguage?: string | null;
}

/**
 * The 20 default attributes of the device API (the seed's getUserAttributes), plus id and accountEnabled.
 * Multi-valued ones are arrays here; the device API flattens them.
 */
export interface DirectoryProfile {
  id: string;
  accountEnabled: boolean;
  businessPhones: string[];
  city: string | null;
  companyName: string | null;
  country: string | null;
  department: string | null;
  displayName: string | null;
  employeeId: string | null;
  faxNumber: string | null;
  givenName: string | null;
  jobTitle: string | null;
  mail: string | null;
  mailNickname: string | null;
  mobilePhone: string | null;
  officeLocation: string | null;
  postalCode: string | null;
  state: string | null;
  streetAddress: string | null;
  surname: string | null;
  interests: string[];
  userPrincipalName: string;
  /**
   * The manager's object id from users/delta (`manager@delta`): null when taken away, absent when this
   * page says nothing about it (Graph sends it only when the manager changed).
   */
  managerId?: string | null;
}

export const PROFILE_ATTRIBUTES = [
  'businessPhones',
  'city',
  'companyName',
  'country',
  'department',
  'displayName',
  'employeeId',
  'faxNumber',
  'givenName',
  'jobTitle',
  'mail',
  'mailNickname',
  'mobilePhone',
  'officeLocation',
  'postalCode',
  'state',
  'streetAddress',
  'surname',
  'interests',
  'userPrincipalName',
] as const satisfies ReadonlyArray<keyof DirectoryProfile>;

/** Authentication methods, normalised from both the registration report and per-user method types. */
export type AuthMethodKind =
  | 'microsoftAuthenticator'
  | 'phone'
  | 'softwareOath'
  | 'hardwareOath'
  | 'fido2'
  | 'passkey'
  | 'windowsHello'
  | 'email'
  | 'temporaryAccessPass'
  | 'password'
  | 'other';

export interface MfaRegistration {
  userId: string;
  /** Methods the user has registered (password included when Graph reports it). */
  methods: AuthMethodKind[];
}

export interface MailMessage {
  to: Array<{ address: string; name?: string }>;
  cc?: Array<{ address: string; name?: string }>;
  subject: string;
  html: string;
  text: string;
  attachments?: Array<{ filename: string; contentType: string; content: Buffer }>;
  /** Stable id (e.g. the outbox row) so the receiving side can recognise a redelivery. */
  messageId?: string;
}

/** One page of changes from users/delta; pass `deltaLink` back next time to get only what changed. */
export interface UserDeltaPage {
  upserted: DirectoryProfile[];
  /** Object ids removed from the directory (or out of scope). */
  removed: string[];
  /** Set on the last page of a round: store it and pass it to the next sync. */
  deltaLink?: string;
  /** Set when more pages follow in this round. */
  nextLink?: string;
}

/** A user member of a group, as a campaign targets them. */
export interface GroupMemberUser {
  id: string;
  userPrincipalName: string;
  displayName: string | null;
  department: string | null;
  jobTitle: string | null;
}

/** Outcome per item of a bulk write. */
export type ItemResult = { ok: true } | { ok: false; status: number; code: string; message: string };

export interface GraphCounters {
  /** HTTP requests sent to Graph (a $batch counts once). */
  requests: number;
  /** Sub-requests carried inside $batch requests. */
  batchedItems: number;
  /** 429/503/504 answers received (whole responses and batch items). */
  throttled: number;
  retries: number;
  /** Answers by `"<api> <status>"` (api: graph, exchange; status "error" when none came), for metrics. */
  responses?: Map<string, number>;
}

export interface GraphPort {
  /** Users by UPN (case-insensitive). Map key: lower-cased UPN; value null when not found. */
  getUsersByUpn(upns: readonly string[], options?: { withManager?: boolean }): Promise<Map<string, DirectoryUser | null>>;
  /** Member object ids of a group (all pages). */
  listGroupMemberIds(groupId: string): Promise<Set<string>>;
  /**
   * User members of each group, nested groups' included at any depth (transitiveMembers, all pages).
   * Keyed by group id; a group Graph does not know is absent from the map.
   */
  listTransitiveUserIds(groupIds: readonly string[]): Promise<Map<string, Set<string>>>;
  /** Groups whose display name starts with `prefix` (case-insensitive), by name, at most `limit`. */
  findGroups(prefix: string, limit: number): Promise<Array<{ id: string; displayName: string }>>;
  /**
   * The user members of a group, nested groups' included at any depth (transitiveMembers, all pages),
   * with what a campaign shows of them; undefined when Graph does not know the group.
   */
  listTransitiveUsers(groupId: string): Promise<GroupMemberUser[] | undefined>;
  /** Adds users to a group, up to 20 per request; "already a member" counts as ok. Keyed by user id. */
  addGroupMembers(groupId: string, userIds: readonly string[]): Promise<Map<string, ItemResult>>;
  /**
   * Registered methods of the given users, through the tenant-wide registration report or per-user
   * methods in $batch, as configured. Users the source does not know are absent from the map.
   */
  getMfaRegistrations(userIds: readonly string[]): Promise<Map<string, MfaRegistration>>;
  /** Sends as `fromMailbox` (a shared mailbox) with Mail.Send application permission. */
  sendMail(fromMailbox: string, message: MailMessage): Promise<void>;
  /** One page of users/delta. Without a link starts a full round. */
  userDelta(link?: string): Promise<UserDeltaPage>;
  /**
   * A user's profile photo (`/users/{id}/photo`, then `/photo/$value`); null when they have none
   * (Graph's 404 ImageNotFound). With `knownEtag` equal to the photo's current `@odata.mediaEtag`, the
   * bytes are not downloaded again (`unchanged`).
   */
  getUserPhoto(userId: string, knownEtag?: string | null): Promise<UserPhoto | null>;
  counters(): GraphCounters;
}

export type UserPhoto = { unchanged: false; bytes: Buffer; contentType: string; etag: string | null } | { unchanged: true; etag: string };

export interface WebSignature {
  html: string;
  text: string;
  autoAddSignature: boolean;
  autoAddSignatureOnReply: boolean;
}

/** Exchange Online operations through the admin API's InvokeCommand. */
export interface ExchangePort {
  /** Set-MailboxMessageConfiguration. Has no effect while roaming signatures are on (roamingSignaturesEnabled). */
  setWebSignature(mailbox: string, signature: WebSignature): Promise<void>;
  /** Get-MailboxMessageConfiguration: the web signature Exchange holds for the mailbox (to verify a push). */
  getWebSignature(mailbox: string): Promise<WebSignature>;
  /**
   * Get-OrganizationConfig: true while Outlook roaming signatures are on for the tenant
   * (PostponeRoamingSignaturesUntilLater false, Microsoft's default), when setWebSignature does nothing.
   */
  roamingSignaturesEnabled(): Promise<boolean>;
  /** Get-Mailbox: the mailbox's type and addresses; null when Exchange has no mailbox by that identity. */
  getMailbox(identity: string): Promise<ExchangeMailbox | null>;
  /** Get-RecipientPermission -Trustee -AccessRights SendAs: whether `trustee` (a UPN) may send as the mailbox. */
  hasSendAs(identity: string, trustee: string): Promise<boolean>;
  exchangeCounters(): ExchangeCounters;
}

export interface ExchangeMailbox {
  userPrincipalName: string;
  primarySmtpAddress: string;
  /** Exchange's RecipientTypeDetails: `UserMailbox`, `SharedMailbox`, `RoomMailbox`, … */
  recipientTypeDetails: string;
}

export interface ExchangeCounters {
  /** InvokeCommand calls by cmdlet (each attempt counts). */
  cmdlets: Record<string, number>;
  /** 429 answers to InvokeCommand. */
  throttled: number;
  retries: number;
}

/** Failure talking to Graph/Exchange after retries; features map it to 502/503 with a correlation id. */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly requestId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpstreamError';
  }
}
