import type { Insertable, Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DeviceAuditTable, DeviceCertificateTable } from './gateway.tables.js';

export type AuditRecord = Insertable<DeviceAuditTable>;
export type CertificateSighting = DeviceCertificateTable;

export async function insertAuditRecords(db: Kysely<Database>, records: readonly AuditRecord[]): Promise<void> {
  if (records.length > 0)
    await db
      .insertInto('device_audit')
      .values([...records])
      .execute();
}

/** One row per certificate: first seen stays, the rest follows the latest sighting. */
export async function upsertCertificates(db: Kysely<Database>, sightings: readonly CertificateSighting[]): Promise<void> {
  if (sightings.length === 0) return;
  await db
    .insertInto('device_certificate')
    .values([...sightings])
    .onConflict((oc) =>
      oc.column('thumbprint').doUpdateSet((eb) => ({
        upn: eb.ref('excluded.upn'),
        last_seen_at: eb.ref('excluded.last_seen_at'),
        last_ip: eb.ref('excluded.last_ip'),
      })),
    )
    .execute();
}

export async function deleteAuditBefore(db: Kysely<Database>, cutoffIso: string): Promise<number> {
  const result = await db.deleteFrom('device_audit').where('at', '<', cutoffIso).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function listAuditRecords(db: Kysely<Database>, limit = 1000) {
  return db.selectFrom('device_audit').selectAll().orderBy('id').limit(limit).execute();
}

export interface AuditFilter {
  refusedOnly: boolean;
  code?: string | undefined;
  /** The route pattern as recorded (`/api/beacon`). */
  route?: string | undefined;
  /** A UPN or a certificate thumbprint. */
  identity?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  beforeId?: number | undefined;
  limit: number;
}

/** Newest first, keyset-paged by id. */
export async function searchAuditRecords(db: Kysely<Database>, f: AuditFilter) {
  let q = db.selectFrom('device_audit').selectAll();
  if (f.refusedOnly) q = q.where('code', 'is not', null);
  if (f.code) q = q.where('code', '=', f.code);
  if (f.route) q = q.where('route', '=', f.route);
  if (f.identity) {
    const identity = f.identity;
    q = q.where((eb) => eb.or([eb('upn', '=', identity.toLowerCase()), eb('thumbprint', '=', identity.toUpperCase())]));
  }
  if (f.from) q = q.where('at', '>=', f.from);
  if (f.to) q = q.where('at', '<', f.to);
  if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
  return q.orderBy('id', 'desc').limit(f.limit).execute();
}

/** The refusal codes recorded, with how many calls each refused (for the screen's reason filter). */
export async function refusalCounts(db: Kysely<Database>, from?: string) {
  let q = db
    .selectFrom('device_audit')
    .select((eb) => ['code', eb.fn.countAll<number | string>().as('calls')])
    .where('code', 'is not', null);
  if (from) q = q.where('at', '>=', from);
  return q.groupBy('code').orderBy('code').execute();
}

export async function certificatesOf(db: Kysely<Database>, upn: string) {
  return db.selectFrom('device_certificate').selectAll().where('upn', '=', upn.toLowerCase()).orderBy('last_seen_at', 'desc').execute();
}

/** Certificates by expiry (soonest first), optionally only those expiring before `expiresBefore`; keyset on (not_after, thumbprint). */
export async function listCertificates(
  db: Kysely<Database>,
  f: { expiresBefore?: string | undefined; notExpiredAt?: string | undefined; after?: { notAfter: string; thumbprint: string } | undefined; limit: number },
) {
  let q = db.selectFrom('device_certificate').selectAll();
  if (f.expiresBefore) q = q.where('not_after', '<', f.expiresBefore);
  if (f.notExpiredAt) q = q.where('not_after', '>=', f.notExpiredAt);
  const after = f.after;
  if (after)
    q = q.where((eb) => eb.or([eb('not_after', '>', after.notAfter), eb.and([eb('not_after', '=', after.notAfter), eb('thumbprint', '>', after.thumbprint)])]));
  return q.orderBy('not_after').orderBy('thumbprint').limit(f.limit).execute();
}

export async function certificateCounts(db: Kysely<Database>, nowIso: string, soonIso: string) {
  const row = await db
    .selectFrom('device_certificate')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('total'),
      eb.fn.count<number | string>(eb.case().when('not_after', '<', nowIso).then(1).end()).as('expired'),
      eb.fn
        .count<number | string>(
          eb
            .case()
            .when(eb.and([eb('not_after', '>=', nowIso), eb('not_after', '<', soonIso)]))
            .then(1)
            .end(),
        )
        .as('expiringSoon'),
      eb.fn.count<number | string>('upn').distinct().as('identities'),
    ])
    .executeTakeFirstOrThrow();
  return { total: Number(row.total), expired: Number(row.expired), expiringSoon: Number(row.expiringSoon), identities: Number(row.identities) };
}
