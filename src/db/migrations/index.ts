import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { DialectCapabilities } from '../capabilities.js';
import type { Storage } from '../dialect.js';
import { MigrationFailedError } from '../../errors.js';
import { foundation } from './0001_foundation.js';
import { outbox } from './0004_outbox.js';
import { devices } from './0006_devices.js';
import { webSignatures } from './0006_web_signatures.js';
import { directory } from './0002_directory.js';
import { auth } from './0005_auth.js';
import { onboarding } from './0003_onboarding.js';
import { reportIndexes } from './0007_report_indexes.js';
import { bulkWriteCosts } from './0008_bulk_write_costs.js';
import { signatureTemplates } from './0009_signature_templates.js';
import { signatureDeployment } from './0010_signature_deployment.js';
import { replacedLinks } from './0011_replaced_links.js';
import { pausedBatches } from './0012_paused_batches.js';
import { addinSignatureState } from './0013_addin_signature_state.js';
import { branding } from './0014_branding.js';
import { fleetIndexes } from './0015_fleet_indexes.js';
import { deviceCertificates } from './0016_device_certificates.js';

/**
 * A migration written once for both engines. It receives the engine's capabilities for the few DDL
 * differences (auto ids); everything else uses Kysely's portable schema builder.
 */
export interface PortableMigration {
  name: string;
  // Migrations see the database as it was when they were written, not today's `Database` type.
  // biome-ignore lint/suspicious/noExplicitAny: see above
  up(db: Kysely<any>, dialect: DialectCapabilities): Promise<void>;
  // biome-ignore lint/suspicious/noExplicitAny: see above
  down(db: Kysely<any>, dialect: DialectCapabilities): Promise<void>;
}

/** In order. Names sort lexicographically, so they carry a number prefix. */
export const MIGRATIONS: readonly PortableMigration[] = [
  foundation,
  directory,
  onboarding,
  outbox,
  auth,
  devices,
  webSignatures,
  reportIndexes,
  bulkWriteCosts,
  signatureTemplates,
  signatureDeployment,
  replacedLinks,
  pausedBatches,
  addinSignatureState,
  branding,
  fleetIndexes,
  deviceCertificates,
];

class PortableProvider implements MigrationProvider {
  constructor(private readonly dialect: DialectCapabilities) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const m of MIGRATIONS) {
      out[m.name] = { up: (db) => m.up(db, this.dialect), down: (db) => m.down(db, this.dialect) };
    }
    return out;
  }
}

function migrator(storage: Storage): Migrator {
  return new Migrator({
    db: storage.db,
    provider: new PortableProvider(storage.dialect),
    // Features add migrations independently; an older-numbered one arriving after a newer one has run
    // is applied rather than refused.
    allowUnorderedMigrations: true,
    // On PostgreSQL Kysely serialises concurrent migrators with an advisory lock, so two instances
    // starting together apply each migration once.
    ...(storage.schema ? { migrationTableSchema: storage.schema } : {}),
  });
}

// Declared with the other start-up failures; re-exported for the modules that import it from here.
export { MigrationFailedError } from '../../errors.js';

export async function migrateToLatest(storage: Storage): Promise<string[]> {
  const { error, results } = await migrator(storage).migrateToLatest();
  return check(error, results);
}

export async function migrateDown(storage: Storage): Promise<string[]> {
  const { error, results } = await migrator(storage).migrateDown();
  return check(error, results);
}

function check(error: unknown, results: MigrationResultSet['results']): string[] {
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationFailedError(failed, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of migrations not yet applied (empty when the schema is current). */
export async function pendingMigrations(storage: Storage): Promise<string[]> {
  const all = await migrator(storage).getMigrations();
  return all.filter((m) => !m.executedAt).map((m) => m.name);
}
