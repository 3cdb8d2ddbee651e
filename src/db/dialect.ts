import {
  type CompiledQuery,
  DEFAULT_MIGRATION_LOCK_TABLE,
  DEFAULT_MIGRATION_TABLE,
  Kysely,
  PostgresDialect,
  SqliteDialect,
  sql,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  type TransactionSettings,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type DatabaseMetadataOptions,
  type PostgresDialectConfig,
  type SchemaMetadata,
  type SqliteDatabase as KyselySqliteDatabase,
  type TableMetadata,
} from 'kysely';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Database } from './schema.js';
import { postgresCapabilities, sqliteCapabilities, type DialectCapabilities } from './capabilities.js';
import { fileErrorReason, StorageReadOnlyError, StorageUnreachableError } from '../errors.js';
import { systemClock } from '../lib/clock.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { everyMs, RecurringJob } from './recurring-job.js';

export interface StorageOptions {
  /** Where background work of the storage (SQLite's optimize) reports its failures. */
  log?: Logger | undefined;
  url?: string;
  schema: string;
  dataDir: string;
  poolSize: number;
  connectTimeoutMs: number;
}

export interface Storage {
  db: Kysely<Database>;
  /** Whether the store accepts writes, from the outcome of the writes made (readiness reads it). */
  health: StoreHealth;
  /** The storage's own recurring work (SQLite's optimize), for the process's job board. */
  backgroundJobs: ReadonlyArray<RecurringJob<unknown>>;
  dialect: DialectCapabilities;
  /** Human-readable location, for logs (never contains a password). */
  describe: string;
  /** Schema holding the tables (PostgreSQL), for the migrator's own tables. */
  schema?: string;
  /**
   * Brings the planner's statistics up to date after a bulk write. Until then it plans for the tables
   * as they were: right after a 100,000-row upload SQLite paged the CSV export through the campaign
   * index, sorting every row for every page (2.6 s instead of 1.7 s).
   */
  refreshStatistics(tables: readonly string[]): Promise<void>;
  /** PostgreSQL's connection pool right now (metrics); SQLite has one connection and no pool. */
  poolStats?: () => { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

// Declared with the other start-up failures; re-exported for the modules that import it from here.
export { StorageUnreachableError } from '../errors.js';

/**
 * What the writes say about the store. Every statement's outcome passes through here (TrackedDialect):
 * a failure of the store itself (disk full, read-only, I/O error, connection lost) is remembered until
 * a write succeeds again, so readiness can say "does not accept writes" instead of answering 200 while
 * every write fails. Errors of the statement itself (a constraint, a syntax error) say nothing about
 * the store and are not recorded.
 */
export class StoreHealth {
  lastFailure: { message: string; at: number } | null = null;
  lastWriteOkAt = 0;
  storeFailures = 0;

  recordFailure(err: unknown): void {
    if (!isStoreFailure(err)) return;
    this.storeFailures++;
    this.lastFailure = { message: storeErrorMessage(err), at: Date.now() };
  }

  recordWriteOk(): void {
    this.lastWriteOkAt = Date.now();
    this.lastFailure = null;
  }

  /** The failure that still stands (no write has succeeded since), if any. */
  get failing(): string | undefined {
    return this.lastFailure?.message;
  }
}

/** SQLite result codes and PostgreSQL SQLSTATE classes that mean the store, not the statement, failed. */
const SQLITE_STORE_FAILURE = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|CORRUPT|NOTADB|PROTOCOL)/;
/** 08 connection, 53 insufficient resources (disk full), 57 operator intervention (terminated), 58 system, XX internal; 25006 read-only transaction. */
const POSTGRES_STORE_FAILURE = /^(08|53|57|58|XX)|^25006$/;
const NETWORK_FAILURE = /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|ENETUNREACH)$/;

export function isStoreFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return SQLITE_STORE_FAILURE.test(code) || POSTGRES_STORE_FAILURE.test(code) || NETWORK_FAILURE.test(code);
  // pg reports a lost connection without a code.
  return (
    err instanceof Error &&
    /Connection terminated|connection (is )?(closed|lost)|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(err.message)
  );
}

function storeErrorMessage(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Wraps a dialect's driver so every statement's outcome reaches StoreHealth: a failed one is recorded
 * (when the store failed), a write or commit that succeeded clears the record.
 */
class TrackedDialect implements Dialect {
  constructor(
    private readonly inner: Dialect,
    private readonly health: StoreHealth,
  ) {}
  createDriver(): Driver {
    return new TrackedDriver(this.inner.createDriver(), this.health);
  }
  createQueryCompiler() {
    return this.inner.createQueryCompiler();
  }
  createAdapter() {
    return this.inner.createAdapter();
  }
  // Kysely hands the introspector an untyped instance: it reads catalogs, not onramp's tables.
  // biome-ignore lint/suspicious/noExplicitAny: Kysely hands the introspector an untyped instance (it reads catalogs, not onramp's tables).
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.inner.createIntrospector(db);
  }
}

class TrackedDriver implements Driver {
  readonly #connections = new WeakMap<DatabaseConnection, DatabaseConnection>();
  constructor(
    private readonly inner: Driver,
    private readonly health: StoreHealth,
  ) {}
  init() {
    return this.inner.init();
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    let raw: DatabaseConnection;
    try {
      raw = await this.inner.acquireConnection();
    } catch (err) {
      this.health.recordFailure(err);
      throw err;
    }
    let tracked = this.#connections.get(raw);
    if (!tracked) {
      tracked = trackedConnection(raw, this.health);
      this.#connections.set(raw, tracked);
    }
    return tracked;
  }
  // Transactions are begun, committed and rolled back on the driver's own connection object.
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    return this.inner.beginTransaction(this.#raw(connection), settings);
  }
  async commitTransaction(connection: DatabaseConnection) {
    try {
      await this.inner.commitTransaction(this.#raw(connection));
    } catch (err) {
      this.health.recordFailure(err);
      throw err;
    }
    this.health.recordWriteOk();
  }
  rollbackTransaction(connection: DatabaseConnection) {
    return this.inner.rollbackTransaction(this.#raw(connection));
  }
  releaseConnection(connection: DatabaseConnection) {
    return this.inner.releaseConnection(this.#raw(connection));
  }
  destroy() {
    return this.inner.destroy();
  }
  #raw(connection: DatabaseConnection): DatabaseConnection {
    return (connection as TrackedConnection)[RAW] ?? connection;
  }
}

const RAW = Symbol('raw connection');
type TrackedConnection = DatabaseConnection & { [RAW]: DatabaseConnection };

function trackedConnection(raw: DatabaseConnection, health: StoreHealth): TrackedConnection {
  return {
    [RAW]: raw,
    async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
      try {
        const result = await raw.executeQuery<R>(compiled);
        if (compiled.query.kind !== 'SelectQueryNode' && compiled.query.kind !== 'RawNode') health.recordWriteOk();
        return result;
      } catch (err) {
        health.recordFailure(err);
        throw err;
      }
    },
    streamQuery<R>(compiled: CompiledQuery, chunkSize?: number) {
      return raw.streamQuery<R>(compiled, chunkSize);
    },
  };
}

export async function openStorage(options: StorageOptions): Promise<Storage> {
  return options.url ? openPostgres(options.url, options) : openSqlite(options.dataDir, undefined, options.log);
}

/** The embedded database's file name under dataDir (`onramp backup`/`restore` find it there). */
export const SQLITE_FILE_NAME = 'onramp.sqlite';

export function openSqlite(dataDir: string, fileName = SQLITE_FILE_NAME, log: Logger = createLogger('silent')): Storage {
  const dir = resolve(dataDir);
  const file = join(dir, fileName);
  const database = openWritableSqlite(dir, file);
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  // The planner picks indexes well only with table statistics (PostgreSQL's autovacuum keeps its own).
  // SQLite's advice for long-lived connections: optimize at open and now and then; it re-analyses only
  // tables whose size changed a lot, with a bounded sample, so a run costs milliseconds.
  database.pragma('optimize = 0x10002');
  const health = new StoreHealth();
  // A background write that fails (disk full, read-only file) must not end the process: as a recurring
  // job its failure is logged once with its cause and counted, recorded for readiness, and retried.
  const optimizer = new RecurringJob<unknown>({
    name: 'sqlite.optimize',
    schedule: everyMs(SQLITE_OPTIMIZE_EVERY_MS),
    runAtStart: false,
    retryAfterFailureMs: SQLITE_OPTIMIZE_EVERY_MS,
    log,
    clock: systemClock,
    run: async () => {
      try {
        database.pragma('optimize');
      } catch (err) {
        health.recordFailure(err);
        throw err;
      }
    },
  });
  optimizer.start();
  const analyses = new Set<Promise<void>>();
  const db = new Kysely<Database>({ dialect: new TrackedDialect(new SqliteDialect({ database: reusingStatements(database) }), health) });
  return {
    db,
    health,
    backgroundJobs: [optimizer],
    dialect: sqliteCapabilities,
    describe: `sqlite:${file}`,
    refreshStatistics: (tables) => {
      const run = analyzeOffThread(file, tables).then(() => {
        // The planner reads the new statistics once told to reload them; a cheap read of sqlite_stat1.
        database.exec('analyze sqlite_schema');
      });
      analyses.add(run);
      return run.finally(() => analyses.delete(run));
    },
    close: async () => {
      await optimizer.stop();
      await Promise.allSettled([...analyses]);
      await db.destroy();
    },
  };
}

const SQLITE_OPTIMIZE_EVERY_MS = 60_000;

/**
 * Opens the database file for writing, or says which of file and directory cannot be written. SQLite
 * opens a read-only file without complaint and fails only at the first write (a migration, or a user's
 * upload much later); the directory must be writable too, for the WAL and shared-memory files beside it.
 */
function openWritableSqlite(dir: string, file: string): SqliteDatabase.Database {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new StorageReadOnlyError(file, `cannot create the data directory ${dir}: ${fileErrorReason(err)}`, err);
  }
  const writable = (path: string) => {
    try {
      accessSync(path, constants.W_OK);
      return undefined;
    } catch (err) {
      return fileErrorReason(err);
    }
  };
  const dirProblem = writable(dir);
  if (dirProblem) throw new StorageReadOnlyError(file, `the data directory ${dir} is not writable: ${dirProblem}`);
  const fileProblem = existsSync(file) ? writable(file) : undefined;
  if (fileProblem) throw new StorageReadOnlyError(file, `the file is read-only: ${fileProblem}`);
  try {
    const database = new SqliteDatabase(file);
    // WAL lets readers (reports, portal) proceed while a writer commits; NORMAL sync is durable in WAL mode
    // except for the last transactions on power loss, which the outbox design tolerates.
    database.pragma('journal_mode = WAL');
    return database;
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')) {
      throw new StorageReadOnlyError(file, `${(err as Error).message} (${code})`, err);
    }
    throw err;
  }
}

/**
 * A full ANALYZE of these tables on a connection of its own, in a worker thread: it reads every row
 * (~100 ms per 100,000, a second for a million), which on the server's connection would stop every
 * request for that long. Readers go on meanwhile (WAL); writers wait for it, as for any writer. A
 * sampled ANALYZE (analysis_limit) would be quick enough to run inline, but it took the campaign column
 * of 100,000 users for a selective one: the very misplan the refresh is there to prevent.
 */
function analyzeOffThread(file: string, tables: readonly string[]): Promise<void> {
  const worker = new Worker(ANALYZE_WORKER, {
    eval: true,
    workerData: { driver: require.resolve('better-sqlite3'), file, statements: tables.map((t) => `analyze "${t.replaceAll('"', '""')}"`) },
  });
  return new Promise((resolveRun, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolveRun() : reject(new Error(`the statistics worker exited with code ${code}`))));
  });
}

const require = createRequire(import.meta.url);

// CommonJS, as eval'd workers are; better-sqlite3 is loaded from the path the server itself uses.
const ANALYZE_WORKER = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const database = new Database(workerData.file);
try {
  database.pragma('busy_timeout = 5000');
  for (const statement of workerData.statements) database.exec(statement);
} finally {
  database.close();
}
`;

const STATEMENT_CACHE_SIZE = 256;
/** Bulk statements (thousands of placeholders) are one-offs: caching them would only hold memory. */
const CACHEABLE_SQL_LENGTH = 4096;

/**
 * Kysely's SQLite driver calls prepare() for every query it runs, and compiling the statement costs
 * more than running a point lookup. Statements are reused by SQL text instead; one still iterating
 * (a streamed select) is busy and cannot run twice at once, so a fresh one is prepared for that call.
 */
function reusingStatements(database: SqliteDatabase.Database): KyselySqliteDatabase {
  const cache = new Map<string, SqliteDatabase.Statement>();
  let noop: SqliteDatabase.Statement | undefined;
  return {
    prepare(source: string) {
      // Kysely begins transactions deferred. A deferred transaction that has read and then writes must
      // upgrade to a writer, and when another connection (the statistics worker's ANALYZE) wrote in
      // between, SQLite fails it at once (SQLITE_BUSY_SNAPSHOT) instead of waiting out busy_timeout: a
      // 500 for the upload. Beginning as a writer waits its turn instead.
      if (source === 'begin') source = 'begin immediate';
      // After a failed write SQLite may have rolled the transaction back itself (disk full, I/O error);
      // Kysely's rollback then fails with "no transaction is active", which replaced the real cause.
      else if (source === 'rollback' && !database.inTransaction) {
        noop ??= database.prepare('select 0 where 0');
        return noop;
      }
      const cached = cache.get(source);
      if (cached && !cached.busy) return cached;
      const statement = database.prepare(source);
      if (!cached && source.length <= CACHEABLE_SQL_LENGTH) {
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
        cache.set(source, statement);
      }
      return statement;
    },
    close() {
      cache.clear();
      database.close();
    },
  };
}

export async function openPostgres(url: string, options: Pick<StorageOptions, 'schema' | 'poolSize' | 'connectTimeoutMs'>): Promise<Storage> {
  const parsed = new URL(url);
  const where = `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname}`;
  const schema = options.schema;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs,
    // Every connection works in onramp's schema, so queries stay unqualified and portable.
    options: `-c search_path=${schema}`,
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        // int8 ids and counts fit comfortably in a double; onramp never stores values near 2^53.
        oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
    },
  });
  const health = new StoreHealth();
  pool.on('error', (err) => {
    // An idle client lost its connection (server restart); the pool replaces it on next use.
    health.recordFailure(err);
  });
  pool.on('connect', (client) => {
    // A client checked out (a run's transaction, a delivery) has no pool listener: its connection
    // dropping (failover, pg_terminate_backend, a pooler closing it) emitted an unhandled 'error' that
    // ended the process. The query in flight fails on its own and its caller retries; the pool drops
    // the broken client when it is released.
    client.on('error', (err) => health.recordFailure(err));
  });
  try {
    const client = await pool.connect();
    try {
      await client.query(`create schema if not exists "${schema}"`);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new StorageUnreachableError(`cannot reach PostgreSQL at ${where}: ${reason}`, { cause: err });
  }
  const db = new Kysely<Database>({ dialect: new TrackedDialect(new SchemaScopedPostgresDialect({ pool }, schema), health) });
  return {
    db,
    health,
    backgroundJobs: [],
    dialect: postgresCapabilities,
    describe: `postgres:${where} schema ${schema}`,
    schema,
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    // Autovacuum would, within a minute or so; ANALYZE reads a sample (30,000 rows by default).
    refreshStatistics: async (tables) => {
      if (tables.length > 0) await sql`analyze ${sql.join(tables.map((t) => sql.id(t)))}`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/**
 * Kysely's PostgreSQL introspector (which its migrator runs at every start) reads every table of every
 * schema in the database. In a database shared with others that is slow, fails on schemas we may not
 * use, and fails outright when another schema is dropped while it reads. onramp only ever asks about
 * its own schema, so introspection looks there alone.
 */
class SchemaScopedPostgresDialect extends PostgresDialect {
  constructor(
    config: PostgresDialectConfig,
    private readonly schema: string,
  ) {
    super(config);
  }

  // Kysely hands the introspector an untyped instance: it reads catalogs, not onramp's tables.
  // biome-ignore lint/suspicious/noExplicitAny: as above, Kysely's own signature.
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SchemaIntrospector(db, this.schema);
  }
}

class SchemaIntrospector implements DatabaseIntrospector {
  constructor(
    // biome-ignore lint/suspicious/noExplicitAny: catalog queries, not onramp's tables.
    private readonly db: Kysely<any>,
    private readonly schema: string,
  ) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${this.schema}`.execute(this.db);
    return rows;
  }

  async getTables(options: DatabaseMetadataOptions = { withInternalKyselyTables: false }): Promise<TableMetadata[]> {
    const { rows } = await sql<{
      table_name: string;
      table_type: string;
      column_name: string | null;
      data_type: string | null;
      is_nullable: string | null;
      column_default: string | null;
      is_identity: string | null;
    }>`
      select t.table_name, t.table_type, c.column_name, c.udt_name as data_type, c.is_nullable, c.column_default, c.is_identity
      from information_schema.tables t
      left join information_schema.columns c on c.table_schema = t.table_schema and c.table_name = t.table_name
      where t.table_schema = ${this.schema}
      order by t.table_name, c.ordinal_position`.execute(this.db);
    const internal = new Set([DEFAULT_MIGRATION_TABLE, DEFAULT_MIGRATION_LOCK_TABLE]);
    const tables = new Map<string, TableMetadata>();
    for (const row of rows) {
      if (!options.withInternalKyselyTables && internal.has(row.table_name)) continue;
      let table = tables.get(row.table_name);
      if (!table) {
        table = { name: row.table_name, schema: this.schema, isView: row.table_type === 'VIEW', columns: [] };
        tables.set(row.table_name, table);
      }
      if (row.column_name === null) continue;
      table.columns.push({
        name: row.column_name,
        dataType: row.data_type ?? '',
        isNullable: row.is_nullable === 'YES',
        hasDefaultValue: row.column_default !== null || row.is_identity === 'YES',
        isAutoIncrementing: row.is_identity === 'YES' || (row.column_default ?? '').startsWith('nextval('),
      });
    }
    return [...tables.values()];
  }

  async getMetadata(options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) };
  }
}

export async function ping(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}
