/**
 * `onramp backup` / `onramp restore` for the embedded SQLite database (docs/OPERATIONS.md). PostgreSQL
 * is backed up with pg_dump; `backup` prints the command rather than doing half a job.
 */
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { BackupFailedError, RestoreRefusedError } from '../errors.js';
import { SQLITE_FILE_NAME } from './dialect.js';
import { MIGRATIONS } from './migrations/index.js';

/** Kysely's migrator keeps the applied migrations here. */
const MIGRATION_TABLE = 'kysely_migration';
/** More pages than any database has: the backup copies everything in one step (see backupSqlite). */
const ALL_PAGES = 0x7fffffff;

export function sqliteFileIn(dataDir: string): string {
  return join(resolve(dataDir), SQLITE_FILE_NAME);
}

export interface BackupResult {
  file: string;
  bytes: number;
  pages: number;
  migrations: number;
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Written beside the target and renamed into place, so a reader never sees half a file. */
function besideTarget(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.partial`);
}

/** What `restore` needs to know of a file: that it is an intact onramp database, and at which schema. */
export function inspectOnrampDatabase(file: string): { migrations: string[] } {
  let db: SqliteDatabase.Database;
  try {
    db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new RestoreRefusedError(`cannot open ${file}: ${(err as Error).message}`, { file, cause: err });
  }
  try {
    let integrity: string;
    try {
      integrity = String(db.pragma('integrity_check', { simple: true }));
    } catch (err) {
      throw new RestoreRefusedError(`${file} is not a SQLite database: ${(err as Error).message}`, { file, cause: err });
    }
    if (integrity !== 'ok') throw new RestoreRefusedError(`${file} fails SQLite's integrity check: ${integrity}`, { file });
    const table = db.prepare("select 1 from sqlite_master where type = 'table' and name = ?").get(MIGRATION_TABLE);
    if (!table) throw new RestoreRefusedError(`${file} is not an onramp database (no ${MIGRATION_TABLE} table)`, { file });
    const applied = (db.prepare(`select name from ${MIGRATION_TABLE} order by name`).all() as Array<{ name: string }>).map((r) => r.name);
    if (applied.length === 0) throw new RestoreRefusedError(`${file} is an onramp database with no migration applied`, { file });
    return { migrations: applied };
  } finally {
    db.close();
  }
}

/**
 * A consistent copy of the live database while the service keeps writing. SQLite's online backup API
 * restarts a copy whenever another connection writes between its steps, so it copies every page in one
 * step, inside one read transaction: in WAL mode writers go on meanwhile, and the copy is the database as
 * of that transaction's start. The copy is checked (integrity, migrations table) before it is renamed
 * into place.
 */
export async function backupSqlite(dataDir: string, target: string): Promise<BackupResult> {
  const source = sqliteFileIn(dataDir);
  const file = resolve(target);
  if (!existsSync(source)) throw new BackupFailedError(`no database at ${source} (dataDir): nothing to back up`, { file: source });
  if (file === source) throw new BackupFailedError(`the backup cannot be the live database itself (${source})`, { file });
  const partial = besideTarget(file);
  let db: SqliteDatabase.Database | undefined;
  try {
    db = new SqliteDatabase(source, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    rmSync(partial, { force: true });
    const progress = await db.backup(partial, { progress: () => ALL_PAGES });
    // The copy keeps the live file's WAL flag; a backup should be one self-contained file.
    const copy = new SqliteDatabase(partial, { fileMustExist: true });
    try {
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    const { migrations } = inspectOnrampDatabase(partial);
    fsyncPath(partial);
    renameSync(partial, file);
    fsyncPath(dirname(file));
    return { file, bytes: progress.totalPages * Number(db.pragma('page_size', { simple: true })), pages: progress.totalPages, migrations: migrations.length };
  } catch (err) {
    rmSync(partial, { force: true });
    if (err instanceof RestoreRefusedError) throw new BackupFailedError(`the copy is not usable: ${err.message}`, { file, cause: err });
    if (err instanceof BackupFailedError) throw err;
    throw new BackupFailedError(`cannot back up ${source} to ${file}: ${(err as Error).message}`, { file, cause: err });
  } finally {
    db?.close();
  }
}

/** Migration names of a file this version of onramp does not know: the file comes from a newer one. */
function unknownMigrations(applied: readonly string[]): string[] {
  const known = new Set(MIGRATIONS.map((m) => m.name));
  return applied.filter((name) => !known.has(name));
}

/**
 * Refuses while any other process has the live database open: leaving WAL mode needs the only
 * connection, so SQLite answers "database is locked" at once (busy_timeout 0) when a server holds it.
 */
function assertNotInUse(live: string): void {
  if (!existsSync(live)) return;
  const db = new SqliteDatabase(live, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 0');
    const mode = String(db.pragma('journal_mode = DELETE', { simple: true }));
    if (mode !== 'delete')
      throw new RestoreRefusedError(`${live} is in use by another process (journal mode stays ${mode}); stop onramp first`, { file: live });
  } catch (err) {
    if (err instanceof RestoreRefusedError) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new RestoreRefusedError(`${live} is open in another process (is onramp serving?); stop every instance using it first`, { file: live, cause: err });
    }
    throw new RestoreRefusedError(`cannot check ${live}: ${(err as Error).message}`, { file: live, cause: err });
  } finally {
    db.close();
  }
}

/**
 * Replaces the live database with a backup: checked first (an intact onramp database whose migrations
 * this version knows; an older schema is fine, `serve` migrates it up), then copied beside the live file,
 * fsynced and renamed over it, so a crash leaves either the old database or the new one.
 */
export async function restoreSqlite(dataDir: string, backup: string): Promise<{ file: string; migrations: number; pending: number }> {
  const from = resolve(backup);
  const live = sqliteFileIn(dataDir);
  if (from === live) throw new RestoreRefusedError(`${from} is the live database itself`, { file: from });
  const { migrations } = inspectOnrampDatabase(from);
  const unknown = unknownMigrations(migrations);
  if (unknown.length > 0) {
    throw new RestoreRefusedError(
      `${from} has a newer schema than this version of onramp (unknown migrations: ${unknown.join(', ')}); restore it with the version that wrote it`,
      { file: from },
    );
  }
  assertNotInUse(live);
  const partial = besideTarget(live);
  try {
    await copyFile(from, partial);
    fsyncPath(partial);
    // The old database's WAL and shared memory belong to it; left beside the new file they would be replayed into it.
    for (const suffix of ['-wal', '-shm', '-journal']) rmSync(`${live}${suffix}`, { force: true });
    renameSync(partial, live);
    fsyncPath(dirname(live));
  } catch (err) {
    rmSync(partial, { force: true });
    throw new RestoreRefusedError(`cannot replace ${live}: ${(err as Error).message}`, { file: live, cause: err });
  }
  return { file: live, migrations: migrations.length, pending: MIGRATIONS.length - migrations.length };
}

/** The pg_dump / pg_restore commands for a PostgreSQL configuration (the URL's password left to PGPASSWORD). */
export function postgresBackupCommands(url: string, schema: string, target: string): { dump: string; restore: string } {
  const u = new URL(url);
  const password = u.password;
  u.password = '';
  const conn = u.toString();
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const env = password ? 'PGPASSWORD=… ' : '';
  return {
    dump: `${env}pg_dump --format=custom --no-owner --schema=${quote(schema)} --file=${quote(target)} ${quote(conn)}`,
    restore: `${env}pg_restore --clean --if-exists --no-owner --schema=${quote(schema)} --dbname=${quote(conn)} ${quote(target)}`,
  };
}
