/**
 * The answers of the device reports on the admin API (/api/devices/reports/…), as TypeBox schemas: the
 * routes serialise with them, /api/openapi.json publishes them, and the portal's fleet screens can import
 * their `Static` types. TypeBox only, no Node imports (portal/ compiles such modules for the browser).
 */
import { Type, type Static } from '@sinclair/typebox';

/** GET /api/devices/reports/summary */
export const DeviceSummaryAnswer = Type.Object({
  devices: Type.Integer({ description: 'Distinct host names' }),
  users: Type.Integer({ description: 'Distinct UPNs' }),
  pendingReboot: Type.Integer(),
  nonCompliant: Type.Integer(),
  notSeen: Type.Integer({ description: 'Devices not seen for staleDays' }),
  notRebooted: Type.Integer({ description: 'Devices not booted for bootDays' }),
  staleDays: Type.Integer(),
  bootDays: Type.Integer(),
});
export type DeviceSummaryAnswer = Static<typeof DeviceSummaryAnswer>;

/** GET /api/devices/reports/logins */
export const LoginsAnswer = Type.Object({
  days: Type.Array(Type.Object({ day: Type.String({ description: 'UTC day, YYYY-MM-DD' }), logins: Type.Integer() }), {
    description: 'Days with logons, oldest first',
  }),
});
export type LoginsAnswer = Static<typeof LoginsAnswer>;

/** GET /api/devices/reports/packages */
export const PackagesAnswer = Type.Object({
  packages: Type.Record(Type.String(), Type.Array(Type.Object({ version: Type.Union([Type.String(), Type.Null()]), devices: Type.Integer() })), {
    description: 'Per package column (background_version, …): devices per version, null for none reported',
  }),
});
export type PackagesAnswer = Static<typeof PackagesAnswer>;
