/**
 * What other features may read of the device gateway (the fleet's audit and certificate screens):
 * the audit records, filtered and paged, and the client certificates it verified. Plain records,
 * camel-cased; the SQL stays in audit.queries.ts.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import * as q from './audit.queries.js';

export type { AuditFilter } from './audit.queries.js';

export interface DeviceCall {
  id: number;
  at: string;
  upn: string | null;
  thumbprint: string | null;
  ip: string;
  method: string;
  route: string;
  status: number;
  durationMs: number;
  requestId: string;
  /** Catalogue code of a refused call; null when it was answered. */
  code: string | null;
  reason: string | null;
}

export interface SeenCertificate {
  thumbprint: string;
  upn: string | null;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  firstSeenAt: string;
  lastSeenAt: string;
  lastIp: string;
}

const toCall = (r: Awaited<ReturnType<typeof q.searchAuditRecords>>[number]): DeviceCall => ({
  id: Number(r.id),
  at: r.at,
  upn: r.upn,
  thumbprint: r.thumbprint,
  ip: r.ip,
  method: r.method,
  route: r.route,
  status: r.status,
  durationMs: r.duration_ms,
  requestId: r.request_id,
  code: r.code,
  reason: r.reason,
});

const toCertificate = (r: q.CertificateSighting): SeenCertificate => ({
  thumbprint: r.thumbprint,
  upn: r.upn,
  subject: r.subject,
  issuer: r.issuer,
  serialNumber: r.serial_number,
  notBefore: r.not_before,
  notAfter: r.not_after,
  firstSeenAt: r.first_seen_at,
  lastSeenAt: r.last_seen_at,
  lastIp: r.last_ip,
});

export async function deviceCalls(db: Kysely<Database>, filter: q.AuditFilter): Promise<DeviceCall[]> {
  return (await q.searchAuditRecords(db, filter)).map(toCall);
}

export async function refusalsByCode(db: Kysely<Database>, from?: string): Promise<Array<{ code: string; calls: number }>> {
  return (await q.refusalCounts(db, from)).map((r) => ({ code: r.code ?? '', calls: Number(r.calls) }));
}

export async function certificatesOfUser(db: Kysely<Database>, upn: string): Promise<SeenCertificate[]> {
  return (await q.certificatesOf(db, upn)).map(toCertificate);
}

export async function seenCertificates(db: Kysely<Database>, filter: Parameters<typeof q.listCertificates>[1]): Promise<SeenCertificate[]> {
  return (await q.listCertificates(db, filter)).map(toCertificate);
}

export const certificateTotals = q.certificateCounts;
