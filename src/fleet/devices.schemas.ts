/**
 * The answers of the fleet view's device routes (/api/fleet/devices…), as TypeBox schemas: the routes
 * serialise with them, /api/openapi.json publishes them, and portal/src/fleet imports their `Static`
 * types. TypeBox only, no Node imports (portal/ compiles this module for the browser).
 */
import { Type, type Static } from '@sinclair/typebox';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Instant = (description: string) => Type.String({ description: `${description} (ISO-8601 UTC)` });

export const PackageState = Type.Object({
  package: Type.String({ description: 'Beacon field of the package (backgroundVersion, …)' }),
  applied: Type.String({ description: 'Version the device reported in its last beacon ("" for none)' }),
  expected: Nullable(Type.String({ description: 'Version in the manifest last served to this device ("" = not managed); null: never served' })),
  upToDate: Type.Boolean(),
});
export type PackageState = Static<typeof PackageState>;

/** Location is only in an answer when devices.storeLocation is on (the beacon's location is never stored otherwise). */
const Location = Type.Optional(Nullable(Type.String({ description: 'POINT(longitude latitude), rounded; only when devices.storeLocation is on' })));

export const DeviceView = Type.Object({
  hostname: Type.String(),
  upn: Type.String(),
  operatingSystem: Type.String(),
  deviceModel: Type.String(),
  firstSeenAt: Instant('First beacon'),
  lastSeenAt: Instant('Last beacon'),
  lastBootAt: Nullable(Instant('Last boot the device reported')),
  lastLogonAt: Nullable(Instant('Last logon the device reported')),
  pendingReboot: Type.Boolean(),
  compliant: Type.Boolean(),
  outOfDate: Type.Boolean({ description: 'An applied version differs from the one last served, or no manifest was ever served' }),
  servedManifestVersion: Nullable(Type.String()),
  servedAt: Nullable(Instant('When the manifest was last served')),
  packages: Type.Array(PackageState),
  location: Location,
});
export type DeviceView = Static<typeof DeviceView>;

/** GET /api/fleet/devices */
export const DevicesPage = Type.Object({
  total: Type.Integer({ description: 'Devices (hostname, UPN) the filters select' }),
  offset: Type.Integer(),
  limit: Type.Integer(),
  devices: Type.Array(DeviceView),
});
export type DevicesPage = Static<typeof DevicesPage>;

/** GET /api/fleet/devices/filters */
export const DeviceFilterChoices = Type.Object({
  operatingSystems: Type.Array(Type.String()),
  models: Type.Array(Type.String()),
  locationStored: Type.Boolean({ description: 'devices.storeLocation: whether locations are kept (and shown)' }),
});
export type DeviceFilterChoices = Static<typeof DeviceFilterChoices>;

/** GET /api/fleet/devices/:hostname/:upn */
export const DeviceDetail = Type.Object({ device: DeviceView });
export type DeviceDetail = Static<typeof DeviceDetail>;

export const BeaconView = Type.Object({
  id: Type.Integer(),
  receivedAt: Instant('Received'),
  operatingSystem: Type.String(),
  deviceModel: Type.String(),
  lastBootAt: Nullable(Type.String()),
  lastLogonAt: Nullable(Type.String()),
  pendingReboot: Type.Boolean(),
  compliant: Type.Boolean(),
  packages: Type.Record(Type.String(), Type.String(), { description: 'Applied version per package field' }),
  location: Location,
});
export type BeaconView = Static<typeof BeaconView>;

/** GET /api/fleet/devices/:hostname/:upn/beacons */
export const BeaconsPage = Type.Object({ total: Type.Integer(), offset: Type.Integer(), limit: Type.Integer(), beacons: Type.Array(BeaconView) });
export type BeaconsPage = Static<typeof BeaconsPage>;

/** GET /api/fleet/devices/charts */
export const DeviceChartsAnswer = Type.Object({
  loginsPerDay: Type.Array(Type.Object({ day: Type.String({ description: 'UTC day, YYYY-MM-DD' }), logins: Type.Integer() }), {
    description: "Distinct logons (device, user, the beacon's lastLogonTime) per UTC day, from the beacon history",
  }),
  bootAge: Type.Array(Type.Object({ label: Type.String(), devices: Type.Integer() }), { description: 'Devices per time since their last reported boot' }),
  packages: Type.Array(
    Type.Object({
      package: Type.String(),
      versions: Type.Array(Type.Object({ version: Type.String(), devices: Type.Integer() }), { description: 'The most common versions, most devices first' }),
      other: Type.Integer({ description: 'Devices on any other version' }),
      total: Type.Integer(),
    }),
  ),
});
export type DeviceChartsAnswer = Static<typeof DeviceChartsAnswer>;
