/**
 * What branding offers the fleet view to join: the served-manifest record as a relation of one row per
 * (hostname, upn) with the manifest version and each package's expected version, under the beacon's
 * column names. A relation rather than rows, so the device list filters ("out of date"), sorts and pages
 * in the database over 100,000 devices; its join is on this table's primary key.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** Typed by its columns (the fleet's device list checks them against what it joins), so branding imports nothing of devices. */
export function servedVersionsRelation(db: Kysely<Database>) {
  return db
    .selectFrom('branding_served_manifest')
    .select([
      'hostname_lower as hostname',
      'upn_lower as upn',
      'manifest_version',
      'served_at',
      'background_version',
      'lock_screen_version',
      'new_signature_version',
      'reply_signature_version',
      'web_signature_version',
      'screensaver_version',
      'teams_background_version',
    ])
    .as('served');
}
