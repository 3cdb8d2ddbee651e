import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { buildPublicApp } from '../src/app.js';
import { loadConfig } from '../src/onramp-config.js';
import type { OnrampContext } from '../src/context.js';
import { createLogger } from '../src/lib/logger.js';
import { systemClock } from '../src/lib/clock.js';
import { sqliteBackend, type TestStorage } from './support/storage.js';

async function context(storage: TestStorage, env: Record<string, string> = {}): Promise<OnrampContext> {
  const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json', ...env } });
  return { config, storage, log: createLogger('silent'), clock: systemClock, demo: false, instanceId: 'test' };
}

describe('public listener contract', () => {
  const opened: TestStorage[] = [];
  after(async () => {
    for (const s of opened) await s.close();
  });

  test('liveness and readiness', async () => {
    const storage = await sqliteBackend.open();
    opened.push(storage);
    const app = await buildPublicApp(await context(storage));
    assert.deepEqual((await app.inject('/healthz')).json(), { status: 'ok' });
    const ready = await app.inject('/readyz');
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', jobs: [] });
    await app.close();
  });

  test('readiness fails with the reason while migrations are pending', async () => {
    const storage = await sqliteBackend.open({ migrate: false });
    opened.push(storage);
    const app = await buildPublicApp(await context(storage));
    const res = await app.inject('/readyz');
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().code, 'ONRAMP_ERR_NOT_READY');
    assert.match(res.json().message, /migrations not applied: 0001_foundation/);
    await app.close();
  });

  test('unknown route: 404 JSON naming it', async () => {
    const storage = await sqliteBackend.open();
    opened.push(storage);
    const app = await buildPublicApp(await context(storage));
    const res = await app.inject('/no/such/thing?x=1');
    assert.equal(res.statusCode, 404);
    assert.match(res.headers['content-type'] as string, /application\/json/);
    assert.equal(res.json().code, 'ONRAMP_ERR_NOT_FOUND');
    assert.equal(res.json().message, 'Route GET /no/such/thing not found');
    assert.equal(res.json().requestId, res.headers['x-request-id']);
    await app.close();
  });

  test('malformed JSON: 400 with a reason; oversized body: 413; bad input never shows internals', async () => {
    const storage = await sqliteBackend.open();
    opened.push(storage);
    const app = await buildPublicApp(await context(storage, { ONRAMP_BODY_LIMIT_BYTES: '2048' }));
    app.post('/echo', async (req) => req.body);
    app.get('/boom', async () => {
      throw new Error('secret internal detail at /srv/onramp/db.ts:42');
    });
    const bad = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'ONRAMP_ERR_BAD_JSON');
    const big = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ a: 'x'.repeat(4096) }),
    });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().code, 'ONRAMP_ERR_BODY_TOO_LARGE');
    assert.match(big.json().message, /2048 bytes/);
    const boom = await app.inject('/boom');
    assert.equal(boom.statusCode, 500);
    assert.equal(boom.json().code, 'ONRAMP_ERR_INTERNAL');
    assert.doesNotMatch(boom.body, /secret internal detail|db\.ts|at /);
    await app.close();
  });

  test('a client that drops its request mid-body: logged as a rejected request (info), not as a fault of ours', async () => {
    const storage = await sqliteBackend.open();
    opened.push(storage);
    const lines: Array<{ level: number; msg: string }> = [];
    const ctx = { ...(await context(storage)), log: createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) }) };
    const app = await buildPublicApp(ctx);
    app.post('/echo', async (req) => req.body);
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = new URL(address);
      // Promises 100 bytes, sends 7, then drops the connection (a client that gave up).
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":1}');
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
      const deadline = Date.now() + 5000;
      while (!lines.some((l) => l.msg === 'request rejected' || l.level >= 50) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(
        lines.filter((l) => l.level >= 50),
        [],
        'nothing logged as an error',
      );
      assert.ok(
        lines.some((l) => l.msg === 'request rejected'),
        'the rejection is logged at info',
      );
    } finally {
      await app.close();
    }
  });

  test('a sane incoming request id is kept, a hostile one replaced', async () => {
    const storage = await sqliteBackend.open();
    opened.push(storage);
    const app = await buildPublicApp(await context(storage));
    const kept = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'trace-123' } });
    assert.equal(kept.headers['x-request-id'], 'trace-123');
    const replaced = await app.inject({ url: '/healthz', headers: { 'x-request-id': '<script>' } });
    assert.notEqual(replaced.headers['x-request-id'], '<script>');
    await app.close();
  });
});
