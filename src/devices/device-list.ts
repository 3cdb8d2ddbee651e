/**
 * What other features may read of the device list: each (hostname, upn)'s latest state with its applied
 * package versions next to the ones it was last served, filtered, sorted and paged by the database; a
 * device's beacon history; the chart figures. The caller hands in the served record (`ServedVersions`):
 * devices does not know which feature serves manifests. No HTTP here.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { DAY_MS } from '../lib/clock.js';
import type { Beacon } from './beacon.js';
import {
  beaconPage,
  bootAgeCounts,
  countBeacons,
  countDevices,
  deviceFacets,
  deviceRow,
  devicesAfter,
  listDevices,
  topPackageVersions,
  type DeviceListFilter,
  type DeviceListRow,
  type DevicePage,
  type ServedVersions,
} from './device-list.queries.js';
import { PACKAGE_VERSIONS, type PackageField } from './packages.js';
import { loginsPerDay } from './reports.queries.js';

export { DEVICE_SORT_COLUMNS, type DeviceListFilter, type DeviceSortColumn, type ServedVersions, type ServedVersionsRow } from './device-list.queries.js';

export interface PackageState {
  package: PackageField;
  applied: string;
  /** What the device was last served; null when it never was. */
  expected: string | null;
  upToDate: boolean;
}

export interface DeviceView {
  hostname: string;
  upn: string;
  operatingSystem: string;
  deviceModel: string;
  firstSeenAt: string;
  lastSeenAt: string;
  lastBootAt: string | null;
  lastLogonAt: string | null;
  pendingReboot: boolean;
  compliant: boolean;
  outOfDate: boolean;
  servedManifestVersion: string | null;
  servedAt: string | null;
  packages: PackageState[];
  /** Present only when the caller allows it (devices.storeLocation); null when none was stored. */
  location?: string | null;
}

export interface BeaconView {
  id: number;
  receivedAt: string;
  operatingSystem: string;
  deviceModel: string;
  lastBootAt: string | null;
  lastLogonAt: string | null;
  pendingReboot: boolean;
  compliant: boolean;
  packages: Record<PackageField, string>;
  location?: string | null;
}

export interface ReadOptions {
  /** Show the stored location (only when devices.storeLocation is on; it is never stored otherwise). */
  withLocation: boolean;
}

function deviceView(r: DeviceListRow, options: ReadOptions): DeviceView {
  const served = r.served_manifest_version !== null;
  const packages = Object.entries(PACKAGE_VERSIONS).map(([field, column]) => {
    const expected = served ? ((r as Record<string, unknown>)[`served_${column}`] as string) : null;
    return { package: field as PackageField, applied: r[column], expected, upToDate: expected !== null && expected === r[column] };
  });
  return {
    hostname: r.hostname,
    upn: r.upn,
    operatingSystem: r.operating_system,
    deviceModel: r.device_model,
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
    lastBootAt: r.system_boot_time,
    lastLogonAt: r.last_logon_time,
    pendingReboot: r.pending_reboot === 1,
    compliant: r.compliant === 1,
    outOfDate: Number(r.out_of_date) === 1,
    servedManifestVersion: r.served_manifest_version,
    servedAt: r.served_at,
    packages,
    ...(options.withLocation ? { location: r.location } : {}),
  };
}

export class DeviceList {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly served: (db: Kysely<Database>) => ServedVersions,
  ) {}

  async page(filter: DeviceListFilter, page: DevicePage, options: ReadOptions): Promise<{ total: number; devices: DeviceView[] }> {
    const served = this.served(this.db);
    const [rows, total] = await Promise.all([listDevices(this.db, served, filter, page), countDevices(this.db, served, filter)]);
    return { total, devices: rows.map((r) => deviceView(r, options)) };
  }

  /** Every device the filter selects, in (hostname, upn) order, read `pageSize` rows at a time: never all rows in memory. */
  async *all(filter: DeviceListFilter, options: ReadOptions, pageSize = 1000): AsyncGenerator<DeviceView> {
    let after: { hostname: string; upn: string } | null = null;
    for (;;) {
      const rows = await devicesAfter(this.db, this.served(this.db), filter, after, pageSize);
      for (const r of rows) yield deviceView(r, options);
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1]!;
      after = { hostname: last.hostname, upn: last.upn };
    }
  }

  async device(hostname: string, upn: string, options: ReadOptions): Promise<DeviceView | undefined> {
    const row = await deviceRow(this.db, this.served(this.db), hostname, upn);
    return row && deviceView(row, options);
  }

  async history(hostname: string, upn: string, offset: number, limit: number, options: ReadOptions): Promise<{ total: number; beacons: BeaconView[] }> {
    const [rows, total] = await Promise.all([beaconPage(this.db, hostname, upn, offset, limit), countBeacons(this.db, hostname, upn)]);
    const beacons = rows.map((r) => {
      const b = JSON.parse(r.payload) as Beacon;
      return {
        id: Number(r.id),
        receivedAt: r.received_at,
        operatingSystem: b.operatingSystem,
        deviceModel: b.deviceModel,
        lastBootAt: b.dates.systemBootTime,
        lastLogonAt: b.dates.lastLogonTime,
        pendingReboot: b.pendingReboot,
        compliant: b.compliant,
        packages: b.packages,
        ...(options.withLocation ? { location: b.location } : {}),
      };
    });
    return { total, beacons };
  }

  facets(max = 200): Promise<{ operatingSystems: string[]; models: string[] }> {
    return deviceFacets(this.db, max);
  }
}

/** Lower bounds of the boot-age buckets, in days. */
export const BOOT_AGE_DAYS = [1, 7, 14, 30, 90] as const;

export interface DeviceCharts {
  loginsPerDay: Array<{ day: string; logins: number }>;
  bootAge: Array<{ label: string; devices: number }>;
  packages: Array<{ package: PackageField; versions: Array<{ version: string; devices: number }>; other: number; total: number }>;
}

function bucketLabels(): string[] {
  const d = BOOT_AGE_DAYS;
  return [`under ${d[0]} day`, ...d.slice(1).map((b, i) => `${d[i]}–${b} days`), `${d[d.length - 1]} days or more`, 'not reported'];
}

/** The fleet charts' figures as of `now`: logons per UTC day over `days`, boot age, the `top` versions per package. */
export async function deviceCharts(db: Kysely<Database>, now: Date, days: number, top: number): Promise<DeviceCharts> {
  const since = new Date(now.getTime() - days * DAY_MS).toISOString().slice(0, 10);
  const cutoffs = BOOT_AGE_DAYS.map((d) => new Date(now.getTime() - d * DAY_MS).toISOString());
  const fields = Object.fromEntries(Object.entries(PACKAGE_VERSIONS).map(([field, column]) => [column, field as PackageField]));
  const [logins, ages, versions] = await Promise.all([loginsPerDay(db, since), bootAgeCounts(db, cutoffs), topPackageVersions(db, top)]);
  const labels = bucketLabels();
  return {
    loginsPerDay: logins,
    bootAge: ages.map((devices, i) => ({ label: labels[i]!, devices })),
    packages: versions.map(({ column, ...rest }) => ({ package: fields[column]!, ...rest })),
  };
}
