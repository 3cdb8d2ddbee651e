/**
 * Runs storage tests against both engines (kysely's DIALECTS loop, n8n's test:sqlite/test:postgres).
 * Each test gets its own database: a fresh SQLite file, or a fresh PostgreSQL schema dropped afterwards
 * (pg-boss test/hooks.ts).
 *
 * PostgreSQL comes from ONRAMP_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
 * When it is unreachable its half is skipped with a loud reason, unless ONRAMP_TEST_REQUIRE_POSTGRES=1
 * (set by .ci/run where PostgreSQL is installed), in which case the tests fail.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DialectName } from '../../src/db/capabilities.js';
import { openPostgres, openSqlite, type Storage } from '../../src/db/dialect.js';
import { migrateToLatest } from '../../src/db/migrations/index.js';

export const TEST_DATABASE_URL = process.env.ONRAMP_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REQUIRE_POSTGRES = process.env.ONRAMP_TEST_REQUIRE_POSTGRES === '1';

/** Reachable or not, with patience: a loaded CI machine can take seconds to accept a connection. */
async function probePostgres(attempts = 3): Promise<string | undefined> {
  let problem: string | undefined;
  for (let i = 0; i < attempts; i++) {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 10_000 });
    try {
      await client.connect();
      await client.query('select 1');
      return undefined;
    } catch (err) {
      problem = `PostgreSQL unreachable at ${new URL(TEST_DATABASE_URL).host}: ${(err as Error).message}`;
    } finally {
      await client.end().catch(() => {});
    }
  }
  return problem;
}

/**
 * Test schemas are named after the run (scripts/run-tests.mjs sets ONRAMP_TEST_RUN_ID) and dropped
 * together when the run ends, not one by one: Kysely's migrator inspects every schema, and a schema
 * dropped by a concurrently running test file makes that inspection fail.
 */
const RUN_ID = (process.env.ONRAMP_TEST_RUN_ID ?? 'adhoc').replace(/[^a-z0-9]/g, '').slice(0, 12);

const postgresProblem = await probePostgres();
if (postgresProblem && !REQUIRE_POSTGRES) {
  process.stderr.write(`\n!!! SKIPPING the PostgreSQL half of the storage tests: ${postgresProblem}\n\n`);
}

export interface Backend {
  name: DialectName;
  /** A reason to skip this backend's tests, or false. */
  skip: string | false;
  /** A fresh, migrated database of this engine; close() removes it. */
  open(options?: { migrate?: boolean }): Promise<TestStorage>;
}

export interface TestStorage extends Storage {
  /** Connection settings another process (a spawned onramp) can use to reach this same database. */
  env: Record<string, string>;
}

export const sqliteBackend: Backend = {
  name: 'sqlite',
  skip: false,
  async open({ migrate = true } = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'onramp-test-'));
    const storage = openSqlite(dir);
    if (migrate) await migrateToLatest(storage);
    return {
      ...storage,
      env: { ONRAMP_DATA_DIR: dir },
      close: async () => {
        await storage.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const postgresBackend: Backend = {
  name: 'postgres',
  skip: postgresProblem && !REQUIRE_POSTGRES ? `SKIPPED: ${postgresProblem}` : false,
  async open({ migrate = true } = {}) {
    if (postgresProblem) throw new Error(postgresProblem);
    const schema = `t_${RUN_ID}_${randomBytes(6).toString('hex')}`;
    const storage = await openPostgres(TEST_DATABASE_URL, { schema, poolSize: 4, connectTimeoutMs: 3000 });
    if (migrate) await migrateToLatest(storage);
    return {
      ...storage,
      env: { ONRAMP_DATABASE_URL: TEST_DATABASE_URL, ONRAMP_DATABASE_SCHEMA: schema },
      close: () => storage.close(),
    };
  },
};

export const BACKENDS: readonly Backend[] = [sqliteBackend, postgresBackend];
