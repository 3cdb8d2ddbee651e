/**
 * The beacon devices send at login, boot and on a schedule (the seed's 19 telemetry fields), checked
 * and normalised. Domain logic only: no HTTP, no SQL.
 */
import { Type, type Static, type TOptional, type TString } from '@sinclair/typebox';
import { OnrampError } from '../errors.js';
import { PACKAGE_FIELDS, type PackageField } from './packages.js';

const text = (maxLength = 256) => Type.String({ maxLength });

function packageVersionProperties(): Record<PackageField, TOptional<TString>> {
  return Object.fromEntries(PACKAGE_FIELDS.map((field) => [field, Type.Optional(text(64))])) as Record<PackageField, TOptional<TString>>;
}
const flag = Type.Union([Type.Boolean(), Type.String({ pattern: '^([Tt]rue|[Ff]alse|TRUE|FALSE|0|1)$' })]);

/** Field names as the device scripts send them. Every field but upn and hostname is optional. */
export const BeaconBody = Type.Object(
  {
    upn: Type.String({ minLength: 3, maxLength: 256 }),
    hostname: Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
    operatingSystem: Type.Optional(text()),
    deviceModel: Type.Optional(text()),
    beaconLaunchTime: Type.Optional(text(64)),
    lastUseTime: Type.Optional(text(64)),
    systemBootTime: Type.Optional(text(64)),
    lastLogonTime: Type.Optional(text(64)),
    ...packageVersionProperties(),
    pendingReboot: Type.Optional(flag),
    compliant: Type.Optional(flag),
    location: Type.Optional(text(128)),
  },
  { additionalProperties: false },
);
export type BeaconBody = Static<typeof BeaconBody>;

export const BEACON_DATE_FIELDS = ['beaconLaunchTime', 'lastUseTime', 'systemBootTime', 'lastLogonTime'] as const;

export interface Beacon {
  upn: string;
  hostname: string;
  operatingSystem: string;
  deviceModel: string;
  dates: Record<(typeof BEACON_DATE_FIELDS)[number], string | null>;
  packages: Record<PackageField, string>;
  pendingReboot: boolean;
  compliant: boolean;
  /** "POINT(lon lat)" rounded; null when not sent or not kept. */
  location: string | null;
}

function parseFlag(value: boolean | string | undefined): boolean {
  return typeof value === 'boolean' ? value : /^(true|1)$/i.test(value ?? '');
}

/** ISO-8601 with a time zone (or Z): devices send UTC; a date without a zone would be read in ours. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:?\d{2})$/i;

function parseDate(field: string, value: string | undefined): string | null {
  if (value === undefined || value.trim() === '') return null;
  const trimmed = value.trim();
  // .NET "o" format carries 7 fractional digits; Date reads at most 3.
  const t = ISO_WITH_ZONE.test(trimmed) ? Date.parse(trimmed.replace(/(\.\d{3})\d+/, '$1')) : NaN;
  if (Number.isNaN(t))
    throw new OnrampError('ONRAMP_ERR_VALIDATION', [`body.${field} is not an ISO-8601 date-time with a time zone: ${JSON.stringify(value.slice(0, 64))}`]);
  return new Date(t).toISOString();
}

function parseLocation(value: string | undefined, decimals: number): string | null {
  if (value === undefined || value.trim() === '') return null;
  const m = /^\s*POINT\s*\(\s*(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)\s*\)\s*$/i.exec(value);
  const lon = Number(m?.[1]);
  const lat = Number(m?.[2]);
  if (!m || Math.abs(lon) > 180 || Math.abs(lat) > 90) {
    throw new OnrampError('ONRAMP_ERR_VALIDATION', ['body.location must be "POINT(longitude latitude)"']);
  }
  return `POINT(${lon.toFixed(decimals)} ${lat.toFixed(decimals)})`;
}

export function normaliseBeacon(body: BeaconBody, options: { storeLocation: boolean; locationDecimals: number }): Beacon {
  const dates = Object.fromEntries(BEACON_DATE_FIELDS.map((f) => [f, parseDate(f, body[f])])) as Beacon['dates'];
  // Checked even when not kept, so a device script with a broken location is told so.
  const location = parseLocation(body.location, options.locationDecimals);
  return {
    upn: body.upn.trim().toLowerCase(),
    hostname: body.hostname.toLowerCase(),
    operatingSystem: body.operatingSystem ?? '',
    deviceModel: body.deviceModel ?? '',
    dates,
    packages: Object.fromEntries(PACKAGE_FIELDS.map((f) => [f, body[f] ?? ''])) as Beacon['packages'],
    pendingReboot: parseFlag(body.pendingReboot),
    compliant: parseFlag(body.compliant),
    location: options.storeLocation ? location : null,
  };
}
