/**
 * SQL of the device list the fleet view reads: the latest state per (hostname, upn), filtered, sorted
 * and paged by the database, joined with what each device was last served (a relation the caller hands
 * in, so devices never names another feature's tables), and its beacon history.
 */
import { sql, type AliasedSelectQueryBuilder, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../db/schema.js';
import { PACKAGE_COLUMNS, type PackageColumn } from './packages.js';

/** One row per (hostname, upn) a device was served a manifest for: its version and each package's expected version ('' = not managed). */
export type ServedVersionsRow = { hostname: string; upn: string; manifest_version: string; served_at: string } & Record<PackageColumn, string>;
/** The served record as a relation aliased `served` (see src/fleet/expected-versions.ts). */
export type ServedVersions = AliasedSelectQueryBuilder<ServedVersionsRow, 'served'>;

export interface DeviceListFilter {
  /** Last beacon before this instant (stale). */
  seenBefore?: string;
  /** Booted before this instant (not rebooted since); devices that never sent a boot time are left out. */
  bootedBefore?: string;
  nonCompliant?: boolean;
  pendingReboot?: boolean;
  /** Applied versions differ from the served ones, or never served a manifest. */
  outOfDate?: boolean;
  operatingSystem?: string;
  deviceModel?: string;
  /** Start of the host name or of the UPN (lower case, as stored). */
  search?: string;
}

export const DEVICE_SORT_COLUMNS = [
  'hostname',
  'upn',
  'operating_system',
  'device_model',
  'last_seen_at',
  'system_boot_time',
  'last_logon_time',
  'pending_reboot',
  'compliant',
  'out_of_date',
] as const;
export type DeviceSortColumn = (typeof DEVICE_SORT_COLUMNS)[number];

export interface DevicePage {
  offset: number;
  limit: number;
  sort: DeviceSortColumn;
  descending: boolean;
}

const LIKE_SPECIALS = /[\\%_]/g;

const SAME_VERSIONS = sql.join(
  PACKAGE_COLUMNS.map((c) => sql`served.${sql.ref(c)} = d.${sql.ref(c)}`),
  sql` and `,
);

/**
 * "Out of date": an applied version differs from the served one, or nothing was served. Written twice,
 * as the same test: for a filter as NOT EXISTS (an anti-join on the served record's primary key), and as
 * 0/1 over a left join for sorting and answering (PostgreSQL would otherwise run the EXISTS once per row
 * to sort: seconds at 100,000 devices).
 */
function notUpToDate(served: ServedVersions): RawBuilder<SqlBool> {
  return sql<SqlBool>`not exists (select 1 from ${served} where served.hostname = d.hostname and served.upn = d.upn and ${SAME_VERSIONS})`;
}
const OUT_OF_DATE_JOINED = sql<number>`case when served.hostname is not null and ${SAME_VERSIONS} then 0 else 1 end`;

/** The devices a filter selects, from device_state alone (the served record only through the out-of-date test). */
function matching(db: Kysely<Database>, served: ServedVersions, filter: DeviceListFilter) {
  let q = db.selectFrom('device_state as d');
  if (filter.seenBefore) q = q.where('d.last_seen_at', '<', filter.seenBefore);
  if (filter.bootedBefore) q = q.where('d.system_boot_time', '<', filter.bootedBefore);
  if (filter.nonCompliant) q = q.where('d.compliant', '=', 0);
  if (filter.pendingReboot) q = q.where('d.pending_reboot', '=', 1);
  if (filter.outOfDate) q = q.where(notUpToDate(served));
  if (filter.operatingSystem !== undefined) q = q.where('d.operating_system', '=', filter.operatingSystem);
  if (filter.deviceModel !== undefined) q = q.where('d.device_model', '=', filter.deviceModel);
  if (filter.search) {
    const prefix = `${filter.search.replace(LIKE_SPECIALS, '\\$&')}%`;
    // Stored lower-case, searched lower-case: LIKE means the same on both engines here.
    q = q.where(sql<SqlBool>`(d.hostname like ${prefix} escape '\\' or d.upn like ${prefix} escape '\\')`);
  }
  return q;
}

const SERVED_COLUMNS = PACKAGE_COLUMNS.map((c) => sql<string | null>`served.${sql.ref(c)}`.as(`served_${c}`));

/** Whole rows with what was served, for the keys a page selected (so the wide rows and the join are read for that page only). */
function rowsOf(db: Kysely<Database>, served: ServedVersions, keys: AliasedSelectQueryBuilder<{ hostname: string; upn: string }, 'page'>) {
  return db
    .selectFrom('device_state as d')
    .innerJoin(keys, (j) => j.onRef('page.hostname', '=', 'd.hostname').onRef('page.upn', '=', 'd.upn'))
    .leftJoin(served, (j) => j.onRef('served.hostname', '=', 'd.hostname').onRef('served.upn', '=', 'd.upn'))
    .selectAll('d')
    .select(['served.manifest_version as served_manifest_version', 'served.served_at as served_at', OUT_OF_DATE_JOINED.as('out_of_date')])
    .select(SERVED_COLUMNS);
}

export type DeviceListRow = Awaited<ReturnType<ReturnType<typeof rowsOf>['execute']>>[number];

/** Columns a device may leave empty: sorted by `coalesce(column, '')`, so a missing time is the smallest value on both engines (each engine's own null order differs) and the expression indexes of 0015 serve the sort. */
const NULLABLE_SORTS = new Set<DeviceSortColumn>(['system_boot_time', 'last_logon_time']);

function sortKeyOf(sort: DeviceSortColumn) {
  if (sort === 'out_of_date') return OUT_OF_DATE_JOINED;
  if (NULLABLE_SORTS.has(sort)) return sql`coalesce(${sql.ref(`d.${sort}`)}, '')`;
  return sql.ref(`d.${sort}`);
}

export async function listDevices(db: Kysely<Database>, served: ServedVersions, filter: DeviceListFilter, page: DevicePage): Promise<DeviceListRow[]> {
  const direction = page.descending ? 'desc' : 'asc';
  const sortKey = sortKeyOf(page.sort);
  const base = matching(db, served, filter);
  // Only the out-of-date sort needs the served record to pick a page's keys.
  const joined =
    page.sort === 'out_of_date' ? base.leftJoin(served, (j) => j.onRef('served.hostname', '=', 'd.hostname').onRef('served.upn', '=', 'd.upn')) : base;
  const keys = joined
    .select(['d.hostname', 'd.upn'])
    .orderBy(sortKey, direction)
    .orderBy('d.hostname', direction)
    .orderBy('d.upn', direction)
    .offset(page.offset)
    .limit(page.limit)
    .as('page');
  return rowsOf(db, served, keys).orderBy(sortKey, direction).orderBy('d.hostname', direction).orderBy('d.upn', direction).execute();
}

export async function countDevices(db: Kysely<Database>, served: ServedVersions, filter: DeviceListFilter): Promise<number> {
  const row = await matching(db, served, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One keyset page in (hostname, upn) order after `after` (the export streams these). */
export async function devicesAfter(
  db: Kysely<Database>,
  served: ServedVersions,
  filter: DeviceListFilter,
  after: { hostname: string; upn: string } | null,
  limit: number,
): Promise<DeviceListRow[]> {
  let keys = matching(db, served, filter).select(['d.hostname', 'd.upn']);
  // A row-value comparison: both engines read it as a range of the primary key (an OR of the two parts was a full scan per page).
  if (after) keys = keys.where((eb) => eb(eb.refTuple('d.hostname', 'd.upn'), '>', eb.tuple(after.hostname, after.upn)));
  return rowsOf(db, served, keys.orderBy('d.hostname').orderBy('d.upn').limit(limit).as('page')).orderBy('d.hostname').orderBy('d.upn').execute();
}

export async function deviceRow(db: Kysely<Database>, served: ServedVersions, hostname: string, upn: string): Promise<DeviceListRow | undefined> {
  const key = db.selectFrom('device_state as d').select(['d.hostname', 'd.upn']).where('d.hostname', '=', hostname).where('d.upn', '=', upn).as('page');
  return rowsOf(db, served, key).executeTakeFirst();
}

/** Distinct operating systems and models, for the list's filter choices. */
export async function deviceFacets(db: Kysely<Database>, max: number): Promise<{ operatingSystems: string[]; models: string[] }> {
  const distinct = async (column: 'operating_system' | 'device_model') =>
    (await db.selectFrom('device_state').select(column).distinct().orderBy(column).limit(max).execute()).map((r) => r[column] as string);
  return { operatingSystems: await distinct('operating_system'), models: await distinct('device_model') };
}

/** A device's beacons, newest first (index device_beacon_device, migration 0015). */
export async function beaconPage(db: Kysely<Database>, hostname: string, upn: string, offset: number, limit: number) {
  return db
    .selectFrom('device_beacon')
    .select(['id', 'received_at', 'payload'])
    .where('hostname', '=', hostname)
    .where('upn', '=', upn)
    .orderBy('id', 'desc')
    .offset(offset)
    .limit(limit)
    .execute();
}

export async function countBeacons(db: Kysely<Database>, hostname: string, upn: string): Promise<number> {
  const row = await db
    .selectFrom('device_beacon')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('hostname', '=', hostname)
    .where('upn', '=', upn)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Devices per boot age: each bucket is [its lower bound, the next one's) in days since the last boot,
 * counted with bound ISO cutoffs (text compares as time on both engines); `null`: no boot time sent.
 */
export async function bootAgeCounts(db: Kysely<Database>, cutoffs: readonly string[]): Promise<Array<number>> {
  // cutoffs[i] = now - bound[i] days, newest first; a boot at or after cutoffs[i] is younger than bound[i].
  const buckets = cutoffs.map((c, i) => {
    const younger = sql<SqlBool>`system_boot_time >= ${c}`;
    const older = i === 0 ? sql<SqlBool>`1 = 1` : sql<SqlBool>`system_boot_time < ${cutoffs[i - 1]}`;
    return sql<number>`sum(case when ${younger} and ${older} then 1 else 0 end)`.as(`b${i}`);
  });
  const last = cutoffs[cutoffs.length - 1]!;
  const row = await db
    .selectFrom('device_state')
    .select(buckets)
    .select([
      sql<number>`sum(case when system_boot_time < ${last} then 1 else 0 end)`.as('oldest'),
      sql<number>`sum(case when system_boot_time is null then 1 else 0 end)`.as('unknown'),
    ])
    .executeTakeFirstOrThrow();
  const values = row as unknown as Record<string, number | string | null>;
  return [...cutoffs.map((_, i) => Number(values[`b${i}`] ?? 0)), Number(values.oldest ?? 0), Number(values.unknown ?? 0)];
}

/** Per package: the `top` most common versions with their devices, and how many devices run any other version. */
export async function topPackageVersions(
  db: Kysely<Database>,
  top: number,
): Promise<Array<{ column: PackageColumn; versions: Array<{ version: string; devices: number }>; other: number; total: number }>> {
  const total = Number(
    (
      await db
        .selectFrom('device_state')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  const out = [];
  for (const column of PACKAGE_COLUMNS) {
    const devices = sql<number>`count(*)`;
    const rows = await db
      .selectFrom('device_state')
      .select([sql.ref<string>(column).as('version'), devices.as('devices')])
      .groupBy(column)
      .orderBy(devices, 'desc')
      .orderBy(column)
      .limit(top)
      .execute();
    const versions = rows.map((r) => ({ version: r.version, devices: Number(r.devices) }));
    out.push({ column, versions, other: total - versions.reduce((a, v) => a + v.devices, 0), total });
  }
  return out;
}
