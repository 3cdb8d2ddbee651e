#!/usr/bin/env node
// Runs every *.test.ts under src/, test/ and agent/ with node's test runner (TypeScript through tsx),
// and says up front which storage backends the run covers.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filter = process.argv.slice(2);
const files = ['src', 'test', 'agent']
  .flatMap((d) => findTests(d))
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort();

const url = process.env.ONRAMP_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
let postgres = 'runs';
const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
try {
  await client.connect();
} catch (err) {
  postgres = process.env.ONRAMP_TEST_REQUIRE_POSTGRES === '1' ? `REQUIRED BUT UNREACHABLE (${err.message})` : `SKIPPED (unreachable: ${err.message})`;
} finally {
  await client.end().catch(() => {});
}
const banner = `storage backends: sqlite runs; postgres ${postgres} [${new URL(url).host}]`;
console.log(`\n=== ${banner} ===\n=== ${files.length} test files ===\n`);

// Strict types are part of the contract: a type error fails the run before any test starts.
// (ONRAMP_SKIP_TYPECHECK=1 skips it and the lint below for a quick focused run while editing.)
const typecheck =
  process.env.ONRAMP_SKIP_TYPECHECK === '1'
    ? { status: 0 }
    : spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' });
if (typecheck.status !== 0) {
  console.error('\n=== typecheck failed ===');
  process.exit(1);
}

// So is the linter and the formatter's layout (Biome): `npm run format` fixes the layout.
const lint =
  process.env.ONRAMP_SKIP_TYPECHECK === '1'
    ? { status: 0 }
    : spawnSync(process.execPath, ['node_modules/@biomejs/biome/bin/biome', 'check', '.'], { stdio: 'inherit' });
if (lint.status !== 0) {
  console.error('\n=== lint failed (npm run format fixes the layout; the rest is in the messages above) ===');
  process.exit(1);
}

const runId = `r${Date.now().toString(36)}`;
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=180000', ...files], {
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test', ONRAMP_TEST_RUN_ID: runId },
});

// Drop this run's PostgreSQL schemas (see test/support/storage.ts for why not during the run).
if (postgres === 'runs') {
  const cleanup = new pg.Client({ connectionString: url });
  try {
    await cleanup.connect();
    const { rows } = await cleanup.query(`select nspname from pg_namespace where nspname like $1`, [`t\\_${runId}\\_%`]);
    for (const { nspname } of rows) await cleanup.query(`drop schema if exists "${nspname}" cascade`);
  } catch (err) {
    console.warn(`could not drop test schemas of run ${runId}: ${err.message}`);
  } finally {
    await cleanup.end().catch(() => {});
  }
}
console.log(`\n=== ${banner} ===`);
process.exit(result.status ?? 1);
