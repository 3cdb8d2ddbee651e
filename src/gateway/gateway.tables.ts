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
}

export interface GatewayTables {
  device_audit: DeviceAuditTable;
}
