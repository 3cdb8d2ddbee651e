import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { RestoreRefusedError } from '../errors.js';
import { runCli } from '../../test/support/process.js';
import { backupSqlite, inspectOnrampDatabase, postgresBackupCommands, restoreSqlite, sqliteFileIn } from './backup.js';
import { openSqlite } from './dialect.js';
import { MIGRATIONS, migrateToLatest, pendingMigrations } from './migrations/index.js';

const require = createRequire(import.meta.url);

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'onramp-backup-'));
}

async function migratedDataDir(): Promise<string> {
  const dir = tempDir();
  const storage = openSqlite(dir);
  await migrateToLatest(storage);
  await sql`create table probe_rows (id integer primary key, filler blob)`.execute(storage.db);
  await storage.close();
  return dir;
}

/** Inserts one row per statement into probe_rows, as fast as it can, until told to stop. */
const WRITER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const insert = db.prepare('insert into probe_rows (filler) values (randomblob(200))');
const stop = new Int32Array(workerData.stop);
let n = 0;
while (Atomics.load(stop, 0) === 0) { insert.run(); n++; if (n === 200) parentPort.postMessage('writing'); }
db.close();
parentPort.postMessage(n);
`;

describe('onramp backup (SQLite)', () => {
  test('a copy made while another connection keeps writing is intact and holds a prefix of the rows', async () => {
    const dir = await migratedDataDir();
    const file = sqliteFileIn(dir);
    const seed = new SqliteDatabase(file);
    // Some bulk, so the copy takes long enough for the writer to commit meanwhile.
    seed
      .prepare(
        'insert into probe_rows (filler) select randomblob(4000) from (with recursive c(i) as (select 1 union all select i + 1 from c where i < 5000) select i from c)',
      )
      .run();
    const rows = () => (seed.prepare('select count(*) as n from probe_rows').get() as { n: number }).n;
    const stop = new SharedArrayBuffer(4);
    const worker = new Worker(WRITER, { eval: true, workerData: { driver: require.resolve('better-sqlite3'), file, stop } });
    const written = new Promise<number>((resolve, reject) => {
      worker.on('message', (m) => typeof m === 'number' && resolve(m));
      worker.on('error', reject);
    });
    await new Promise((resolve) => worker.once('message', resolve));
    const target = join(dir, 'backup.sqlite');
    try {
      const before = rows();
      const result = await backupSqlite(dir, target);
      const after = rows();
      assert.ok(after > before, `the writer committed during the backup (${before} → ${after})`);
      assert.equal(result.migrations, MIGRATIONS.length);

      const copy = new SqliteDatabase(target, { readonly: true });
      assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
      const { n, last } = copy.prepare('select count(*) as n, max(id) as last from probe_rows').get() as { n: number; last: number };
      copy.close();
      assert.ok(n >= before && n <= after, `copy has ${n} rows, live had ${before} before and ${after} after`);
      assert.equal(last, n, 'the rows are a gap-free prefix (ids 1..n): one consistent moment');
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.includes('partial')),
        [],
        'nothing left beside the target',
      );
    } finally {
      Atomics.store(new Int32Array(stop), 0, 1);
      await written;
      await worker.terminate();
      seed.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('restore brings a backup back over a changed database; the schema is current and serve migrates nothing', async () => {
    const dir = await migratedDataDir();
    let storage = openSqlite(dir);
    await storage.db.insertInto('lease').values({ name: 'kept', holder: 'a', expires_at: '2030-01-01T00:00:00.000Z' }).execute();
    await storage.close();
    const target = join(dir, 'nightly.sqlite');
    await backupSqlite(dir, target);

    storage = openSqlite(dir);
    await storage.db.deleteFrom('lease').execute();
    await storage.db.insertInto('lease').values({ name: 'later', holder: 'b', expires_at: '2030-01-01T00:00:00.000Z' }).execute();
    await storage.close();

    const restored = await restoreSqlite(dir, target);
    assert.deepEqual([restored.migrations, restored.pending], [MIGRATIONS.length, 0]);
    storage = openSqlite(dir);
    try {
      const names = (await storage.db.selectFrom('lease').select('name').execute()).map((r) => r.name);
      assert.deepEqual(names, ['kept']);
      assert.deepEqual(await pendingMigrations(storage), []);
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('restore refuses while the database is open elsewhere, and leaves it as it was', async () => {
    const dir = await migratedDataDir();
    const target = join(dir, 'b.sqlite');
    await backupSqlite(dir, target);
    const serving = openSqlite(dir);
    try {
      await serving.db.insertInto('lease').values({ name: 'live', holder: 'x', expires_at: '2030-01-01T00:00:00.000Z' }).execute();
      await assert.rejects(restoreSqlite(dir, target), (err: Error) => err instanceof RestoreRefusedError && /open in another process/.test(err.message));
      assert.equal((await serving.db.selectFrom('lease').selectAll().execute()).length, 1, 'the live database still answers, unchanged');
    } finally {
      await serving.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('restore refuses what is not an intact onramp database of a schema this version knows', async () => {
    const dir = await migratedDataDir();
    try {
      const junk = join(dir, 'junk.sqlite');
      writeFileSync(junk, 'not a database at all, just some text that is long enough to have a header'.repeat(20));
      await assert.rejects(restoreSqlite(dir, junk), /is not a SQLite database|cannot open/);

      const other = join(dir, 'other.sqlite');
      new SqliteDatabase(other).exec('create table t (x)').close();
      await assert.rejects(restoreSqlite(dir, other), /not an onramp database \(no kysely_migration table\)/);

      const newer = join(dir, 'newer.sqlite');
      await backupSqlite(dir, newer);
      const db = new SqliteDatabase(newer);
      db.prepare('insert into kysely_migration (name, timestamp) values (?, ?)').run('0099_from_the_future', new Date().toISOString());
      db.close();
      await assert.rejects(restoreSqlite(dir, newer), /newer schema than this version of onramp \(unknown migrations: 0099_from_the_future\)/);

      await assert.rejects(restoreSqlite(dir, join(dir, 'missing.sqlite')), /cannot open/);
      assert.equal(inspectOnrampDatabase(sqliteFileIn(dir)).migrations.length, MIGRATIONS.length, 'the live database was never touched');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an older backup is accepted; the next start applies the newer migrations', async () => {
    const dir = await migratedDataDir();
    try {
      const older = join(dir, 'older.sqlite');
      await backupSqlite(dir, older);
      const db = new SqliteDatabase(older);
      const last = MIGRATIONS[MIGRATIONS.length - 1]!.name;
      db.prepare('delete from kysely_migration where name = ?').run(last);
      db.close();
      const restored = await restoreSqlite(dir, older);
      assert.equal(restored.pending, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('onramp backup / restore commands', () => {
  test('backup writes the copy and says so; restore of a bad file is one line and exit 1', async () => {
    const dir = await migratedDataDir();
    try {
      const env = { ONRAMP_DATA_DIR: dir, ONRAMP_CONFIG_FILE: join(dir, 'none.json') };
      const backup = runCli(['backup', join(dir, 'copy.sqlite')], env);
      assert.equal((await backup.exited).code, 0, backup.output());
      assert.match(backup.output(), /backed up to .*copy\.sqlite: \d+ bytes, \d+ migrations applied, integrity ok/);
      assert.ok(existsSync(join(dir, 'copy.sqlite')));

      writeFileSync(join(dir, 'bad.sqlite'), 'x'.repeat(2048));
      const restore = runCli(['restore', join(dir, 'bad.sqlite')], env);
      assert.equal((await restore.exited).code, 1);
      assert.match(restore.output(), /^onramp: .*bad\.sqlite is not a SQLite database/m);
      assert.doesNotMatch(restore.output(), /\n\s+at /, 'no stack trace');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('with PostgreSQL configured, backup prints the pg_dump command without the password', async () => {
    const dir = tempDir();
    try {
      const env = {
        ONRAMP_CONFIG_FILE: join(dir, 'none.json'),
        ONRAMP_DATABASE_URL: 'postgres://onramp:s3cret@db.internal:5432/onramp',
        ONRAMP_DATABASE_SCHEMA: 'onramp',
      };
      const run = runCli(['backup', '/backups/onramp.dump'], env);
      assert.equal((await run.exited).code, 1);
      assert.match(
        run.output(),
        /pg_dump --format=custom --no-owner --schema='onramp' --file='\/backups\/onramp.dump' 'postgres:\/\/onramp@db.internal:5432\/onramp'/,
      );
      assert.doesNotMatch(run.output(), /s3cret/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the printed commands quote what the shell would split', () => {
    const { dump, restore } = postgresBackupCommands('postgres://u@h/db', 'public', "/tmp/it's.dump");
    assert.equal(dump, "pg_dump --format=custom --no-owner --schema='public' --file='/tmp/it'\\''s.dump' 'postgres://u@h/db'");
    assert.match(restore, /^pg_restore --clean --if-exists --no-owner --schema='public' --dbname='postgres:\/\/u@h\/db' /);
  });
});
