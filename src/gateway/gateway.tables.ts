import type { Generated } from 'kysely';

/** One row per device API call, kept `deviceGateway.auditRetentionDays`. */
export interface DeviceAuditTable {
  id: Generated<number>;
  at: string;
  /** Certificate identity (lower-case UPN) when a certificate was verified. */
  upn: string | null;
  thumbprint: string | null;
  ip: string;
  method: string;
  route: string;
  status: number;
  duration_ms: number;
  request_id: string;
  /** Catalogue code of a refused call. */
  code: string | null;
  /** The refused call's answer in words (the catalogue message, e.g. which check the certificate failed). */
  reason: string | null;
}

/** Each client certificate the gateway verified: who it names, when it expires, when it was last seen. */
export interface DeviceCertificateTable {
  /** SHA-1 of the certificate, upper-case hex. */
  thumbprint: string;
  /** The identity it names (lower-case UPN), null when it names none. */
  upn: string | null;
  subject: string;
  issuer: string;
  serial_number: string;
  not_before: string;
  not_after: string;
  first_seen_at: string;
  /** To within a minute: the audit writer records a certificate again once a minute at most. */
  last_seen_at: string;
  last_ip: string;
}

export interface GatewayTables {
  device_audit: DeviceAuditTable;
  device_certificate: DeviceCertificateTable;
}
