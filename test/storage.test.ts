import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, TEST_DATABASE_URL } from './support/storage.js';
import { migrateDown, migrateToLatest, pendingMigrations, MIGRATIONS } from '../src/db/migrations/index.js';
import { openPostgres } from '../src/db/dialect.js';
import { releaseLease, tryAcquireLease } from '../src/db/leases.js';
import { sql } from 'kysely';

for (const backend of BACKENDS) {
  describe(`storage [${backend.name}]`, { skip: backend.skip }, () => {
    test('migrations apply once, report nothing pending, and run again as a no-op', async () => {
      const storage = await backend.open({ migrate: false });
      try {
        assert.deepEqual(
          await pendingMigrations(storage),
          MIGRATIONS.map((m) => m.name),
        );
        assert.deepEqual(
          await migrateToLatest(storage),
          MIGRATIONS.map((m) => m.name),
        );
        assert.deepEqual(await pendingMigrations(storage), []);
        assert.deepEqual(await migrateToLatest(storage), []);
      } finally {
        await storage.close();
      }
    });

    test('every migration can be undone and redone', async () => {
      const storage = await backend.open();
      try {
        for (let i = MIGRATIONS.length - 1; i >= 0; i--) assert.deepEqual(await migrateDown(storage), [MIGRATIONS[i]!.name]);
        assert.equal((await pendingMigrations(storage)).length, MIGRATIONS.length);
        await migrateToLatest(storage);
        assert.deepEqual(await pendingMigrations(storage), []);
      } finally {
        await storage.close();
      }
    });

    test('a lease has one holder until it expires or is released', async () => {
      const storage = await backend.open();
      try {
        const t0 = new Date('2026-01-01T00:00:00Z');
        assert.equal(await tryAcquireLease(storage.db, 'invitations', 'a', 60_000, t0), true);
        assert.equal(await tryAcquireLease(storage.db, 'invitations', 'b', 60_000, t0), false, 'held by a');
        assert.equal(await tryAcquireLease(storage.db, 'invitations', 'a', 60_000, new Date(t0.getTime() + 30_000)), true, 'a renews');
        assert.equal(await tryAcquireLease(storage.db, 'invitations', 'b', 60_000, new Date(t0.getTime() + 60_000)), false, 'renewal moved expiry');
        assert.equal(await tryAcquireLease(storage.db, 'invitations', 'b', 60_000, new Date(t0.getTime() + 91_000)), true, 'expired: b takes over');
        await releaseLease(storage.db, 'invitations', 'b');
        assert.equal(await tryAcquireLease(storage.db, 'invitations', 'c', 60_000, new Date(t0.getTime() + 92_000)), true);
      } finally {
        await storage.close();
      }
    });

    test('concurrent lease attempts: exactly one wins', async () => {
      const storage = await backend.open();
      try {
        const now = new Date();
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => tryAcquireLease(storage.db, 'report', `h${i}`, 60_000, now)));
        assert.equal(results.filter(Boolean).length, 1);
      } finally {
        await storage.close();
      }
    });
  });
}

const postgres = BACKENDS.find((b) => b.name === 'postgres')!;
describe('storage [postgres] several instances', { skip: postgres.skip }, () => {
  test('instances migrating one schema at the same time apply each migration once', async () => {
    const first = await postgres.open({ migrate: false });
    const schema = first.schema!;
    const others = await Promise.all([1, 2, 3].map(() => openPostgres(TEST_DATABASE_URL, { schema, poolSize: 2, connectTimeoutMs: 3000 })));
    try {
      const applied = await Promise.all([first, ...others].map((s) => migrateToLatest(s)));
      assert.deepEqual(applied.flat().sort(), MIGRATIONS.map((m) => m.name).sort(), 'each migration applied by exactly one instance');
      for (const s of others) assert.deepEqual(await pendingMigrations(s), []);
    } finally {
      for (const s of others) await s.close();
      await first.close();
    }
  });
});

describe('storage [postgres] in a shared database', { skip: postgres.skip }, () => {
  test("introspection (which the migrator runs at start) reads onramp's schema only, so other schemas cannot break it", async () => {
    const mine = await postgres.open();
    const neighbour = await postgres.open({ migrate: false });
    try {
      // Another application's table, and a schema that vanishes: Kysely's stock introspector read both.
      await sql`create table neighbour_table (id integer)`.execute(neighbour.db);
      const tables = await mine.db.introspection.getTables();
      assert.ok(tables.length > 0);
      assert.ok(
        tables.every((t) => t.schema === mine.schema),
        "only tables of onramp's schema",
      );
      assert.ok(!tables.some((t) => t.name === 'neighbour_table'));
      assert.ok(!tables.some((t) => t.name.startsWith('kysely_migration')), 'internal tables only when asked for');
      const tracked = tables.find((t) => t.name === 'tracked_user')!;
      const id = tracked.columns.find((c) => c.name === 'id')!;
      assert.deepEqual([id.isAutoIncrementing, id.isNullable], [true, false]);
      assert.ok((await mine.db.introspection.getTables({ withInternalKyselyTables: true })).some((t) => t.name === 'kysely_migration'));

      await sql`drop schema ${sql.id(neighbour.schema!)} cascade`.execute(neighbour.db);
      assert.deepEqual(await migrateToLatest(mine), []);
    } finally {
      await neighbour.close();
      await mine.close();
    }
  });
});
