import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ephemeralServeEnv, LISTENING, runCli } from './support/process.js';
import { BACKENDS } from './support/storage.js';

describe('onramp CLI', () => {
  test('--help lists every command', async () => {
    const cli = runCli(['--help']);
    const { code } = await cli.exited;
    assert.equal(code, 0);
    for (const command of ['serve', 'migrate', 'config']) assert.match(cli.output(), new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  test('invalid configuration stops the start, naming each bad key', async () => {
    const cli = runCli(['serve'], { ONRAMP_PUBLIC_PORT: 'eighty', ONRAMP_LOG_LEVEL: 'chatty' });
    const { code } = await cli.exited;
    assert.equal(code, 1);
    assert.match(cli.output(), /server\.publicPort \(env ONRAMP_PUBLIC_PORT\): expected a number/);
    assert.match(cli.output(), /log\.level \(env ONRAMP_LOG_LEVEL\): must be one of/);
    assert.doesNotMatch(cli.output(), /\n\s+at /, 'no stack trace');
  });

  test('unreachable PostgreSQL: a clear error naming host and port, non-zero exit within 15 s', async () => {
    const cli = runCli(['serve'], ephemeralServeEnv({ ONRAMP_DATABASE_URL: 'postgres://onramp@127.0.0.1:1/onramp' }));
    // Timed from onramp's own start, not from spawning node (TypeScript loading varies with machine load).
    await cli.waitFor(/starting onramp/, 60_000);
    const started = Date.now();
    const { code } = await cli.exited;
    assert.notEqual(code, 0);
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
    assert.match(cli.output(), /^onramp: database\.url: cannot reach PostgreSQL at 127\.0\.0\.1:1\/onramp: ECONNREFUSED/m);
    assert.doesNotMatch(cli.output(), /Server listening|\n\s+at /);
  });

  test('config check prints the effective configuration without secrets', async () => {
    const cli = runCli(['config', 'check'], { ONRAMP_DATABASE_URL: 'postgres://onramp:hunter2@db:5432/onramp' });
    assert.equal((await cli.exited).code, 0);
    const printed = JSON.parse(cli.output());
    assert.equal(printed.database.url, 'postgres://onramp:[redacted]@db:5432/onramp');
    assert.doesNotMatch(cli.output(), /hunter2/);
  });

  test('SIGTERM lets an in-flight request finish, then exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'onramp-cli-'));
    const cli = runCli(['serve'], ephemeralServeEnv({ ONRAMP_DATA_DIR: dataDir }));
    const [, base] = await cli.waitFor(LISTENING);
    const url = new URL('/echo-slow', base);
    // The request is in flight from the server's point of view: headers sent, body still arriving.
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '14' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('{"slow":');
      setTimeout(() => {
        cli.child.kill('SIGTERM');
        setTimeout(() => req.end(' true}'), 500);
      }, 200);
    });
    const finished = await response;
    assert.equal(finished.status, 404, 'the in-flight request got its real answer, not a reset');
    assert.equal(JSON.parse(finished.body).code, 'ONRAMP_ERR_NOT_FOUND');
    const { code } = await cli.exited;
    assert.equal(code, 0);
    assert.match(cli.output(), /shutting down/);
  });
});

for (const backend of BACKENDS) {
  describe(`onramp serve [${backend.name}]`, { skip: backend.skip }, () => {
    test(backend.name === 'postgres' ? 'two instances on one database start together and both serve' : 'starts, migrates and serves', async () => {
      const storage = await backend.open({ migrate: false });
      await storage.close(); // keep nothing open: the processes under test own the database
      const env = ephemeralServeEnv(storage.env);
      const count = backend.name === 'postgres' ? 2 : 1;
      const instances = Array.from({ length: count }, () => runCli(['serve'], env));
      try {
        for (const cli of instances) {
          const [, base] = await cli.waitFor(LISTENING);
          const ready = await fetch(new URL('/readyz', base));
          assert.equal(ready.status, 200);
        }
      } finally {
        for (const cli of instances) cli.child.kill('SIGTERM');
        for (const cli of instances) assert.equal((await cli.exited).code, 0);
      }
    });
  });
}
