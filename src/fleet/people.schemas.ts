/**
 * The answers of the fleet's people-side admin API (/api/fleet/people/…, /api/fleet/mailboxes/…,
 * /api/fleet/device-calls, /api/fleet/certificates, /api/fleet/onboarding/funnel) as TypeBox schemas:
 * the routes validate and serialise with them, the SPA imports their `Static` types. TypeBox only.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Timestamp = Type.String({ description: 'ISO-8601 UTC' });

/** How one place's signature compares with what the mailbox should have now; worst last. */
export const SIGNATURE_STATES = ['upToDate', 'missing', 'differs', 'failed'] as const;
export type SignatureState = (typeof SIGNATURE_STATES)[number];
// Spelled out so that Static<> keeps the literal union (a mapped list widens to string).
const State = Type.Union([Type.Literal('upToDate'), Type.Literal('missing'), Type.Literal('differs'), Type.Literal('failed')]);

export const ExpectedSignature = Type.Object({
  templateId: Type.Integer(),
  templateVersion: Type.Integer(),
  name: Type.String(),
  defaultFor: Type.Array(Type.Union([Type.Literal('new'), Type.Literal('reply')])),
  hash: Type.String(),
});

export const ExchangeSignatureState = Type.Object({
  state: State,
  reason: Nullable(Type.String()),
  /** The last push's result (set, unchanged, failed, blocked, none, gone); null: never pushed. */
  result: Nullable(Type.String()),
  at: Nullable(Timestamp),
});

export const DeviceSignatureState = Type.Object({
  hostname: Type.String(),
  state: State,
  reason: Nullable(Type.String()),
  newVersion: Type.String(),
  replyVersion: Type.String(),
  webVersion: Type.String(),
  lastSeenAt: Timestamp,
});

export const AddinSignatureState = Type.Object({
  platform: Type.String(),
  compose: Type.String(),
  state: State,
  reason: Nullable(Type.String()),
  version: Nullable(Type.String()),
  hostVersion: Nullable(Type.String()),
  reportedAt: Timestamp,
});

/** A mailbox's expected signatures against Exchange, its user's devices and the add-in, each with a state and why. */
export const MailboxSignatureState = Type.Object({
  mailbox: Type.String(),
  userPrincipalName: Nullable(Type.String()),
  /** The worst of the places below. */
  state: State,
  /** The sentences of every place not up to date, worst first. */
  reasons: Type.Array(Type.String()),
  expected: Nullable(Type.Object({ setHash: Type.String(), signatures: Type.Array(ExpectedSignature) })),
  exchange: ExchangeSignatureState,
  devices: Type.Array(DeviceSignatureState),
  addin: Type.Array(AddinSignatureState),
  roaming: Type.Object({ enabled: Nullable(Type.Boolean()), fix: Type.String() }),
});
export type MailboxSignatureState = Static<typeof MailboxSignatureState>;

export const MailboxSignatureStatePage = Type.Object({
  items: Type.Array(MailboxSignatureState),
  /** Pass as `after` to go on; null once every mailbox was looked at. A filtered page may hold fewer items than asked and still go on. */
  nextAfter: Nullable(Type.String()),
  /** Mailboxes looked at for this page. */
  scanned: Type.Integer(),
});
export type MailboxSignatureStatePage = Static<typeof MailboxSignatureStatePage>;

export const SeenCertificate = Type.Object({
  thumbprint: Type.String(),
  upn: Nullable(Type.String()),
  subject: Type.String(),
  issuer: Type.String(),
  serialNumber: Type.String(),
  notBefore: Timestamp,
  notAfter: Timestamp,
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
  /** Hidden (null) from viewers unless fleet.viewersSeePersonalDetails. */
  lastIp: Nullable(Type.String()),
  /** expired, expiring (within the asked days) or valid. */
  validity: Type.Union([Type.Literal('expired'), Type.Literal('expiring'), Type.Literal('valid')]),
});
export type SeenCertificate = Static<typeof SeenCertificate>;

export const PersonDevice = Type.Object({
  hostname: Type.String(),
  operatingSystem: Type.String(),
  deviceModel: Type.String(),
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
  lastLogonTime: Nullable(Timestamp),
  systemBootTime: Nullable(Timestamp),
  pendingReboot: Type.Boolean(),
  compliant: Type.Boolean(),
  /** Only while devices.storeLocation is on and one was kept, and for viewers only with fleet.viewersSeePersonalDetails. */
  location: Nullable(Type.String()),
});
export type PersonDevice = Static<typeof PersonDevice>;

/** GET /api/fleet/people/:upn: what the fleet knows of one person, beside their onboarding page. */
export const PersonAnswer = Type.Object({
  upn: Type.String(),
  displayName: Nullable(Type.String()),
  /** Their onboarding page is `#/users/<trackedUserId>`; null when the campaign does not track them. */
  trackedUserId: Nullable(Type.Integer()),
  devices: Type.Array(PersonDevice),
  certificates: Type.Array(SeenCertificate),
  /** Their mailbox's signature state; null when the directory copy does not know them and nothing was pushed. */
  signatures: Nullable(MailboxSignatureState),
  /** Personal details (locations, addresses) are left out of this answer for the caller's role. */
  detailsHidden: Type.Boolean(),
});
export type PersonAnswer = Static<typeof PersonAnswer>;

export const DeviceCall = Type.Object({
  id: Type.Integer(),
  at: Timestamp,
  upn: Nullable(Type.String()),
  thumbprint: Nullable(Type.String()),
  /** Hidden (null) from viewers unless fleet.viewersSeePersonalDetails. */
  ip: Nullable(Type.String()),
  method: Type.String(),
  route: Type.String(),
  status: Type.Integer(),
  durationMs: Type.Number(),
  requestId: Type.String(),
  code: Nullable(Type.String()),
  /** A refused call's answer in words (older records: the catalogue's wording for the code). */
  reason: Nullable(Type.String()),
});
export type DeviceCall = Static<typeof DeviceCall>;

export const DeviceCallPage = Type.Object({
  items: Type.Array(DeviceCall),
  /** Pass as `beforeId` for older calls; null on the last page. */
  nextBeforeId: Nullable(Type.Integer()),
  /** Refusal codes on record with their count and meaning, for the reason filter. */
  refusals: Type.Array(Type.Object({ code: Type.String(), calls: Type.Integer(), meaning: Type.String() })),
  detailsHidden: Type.Boolean(),
});
export type DeviceCallPage = Static<typeof DeviceCallPage>;

export const CertificateOverview = Type.Object({
  withinDays: Type.Integer(),
  totals: Type.Object({ total: Type.Integer(), identities: Type.Integer(), expired: Type.Integer(), expiringSoon: Type.Integer() }),
  items: Type.Array(SeenCertificate),
  /** Pass as `after` for the next page; null on the last. */
  nextAfter: Nullable(Type.String()),
  detailsHidden: Type.Boolean(),
});
export type CertificateOverview = Static<typeof CertificateOverview>;

/** Users who had reached each step by the end of each UTC day. */
export const FunnelAnswer = Type.Object({
  days: Type.Array(Type.Object({ day: Type.String(), invited: Type.Integer(), opened: Type.Integer(), enrolled: Type.Integer() })),
});
export type FunnelAnswer = Static<typeof FunnelAnswer>;
