/**
 * "Expected" in the fleet view: what each device (hostname, upn) was last served, its manifest version
 * and the package versions that manifest carried. The one place the fleet reads it from branding.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ServedVersions } from '../devices/device-list.js';
import { PACKAGE_COLUMNS } from '../devices/packages.js';

/**
 * Until branding records what it serves, no device has been served a manifest: every device reads as
 * "never served" (out of date). The relation has the columns the device list joins on.
 */
export function servedVersions(db: Kysely<Database>): ServedVersions {
  const text = sql<string>`cast(null as text)`;
  return db
    .selectFrom('device_state')
    .select([text.as('hostname'), text.as('upn'), text.as('manifest_version'), text.as('served_at'), ...PACKAGE_COLUMNS.map((c) => text.as(c))])
    .where(sql<boolean>`1 = 0`)
    .as('served');
}
