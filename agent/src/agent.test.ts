/**
 * The agent's pieces under the sync loop: config checking, the HTTP client's retries, refusals and
 * download checks (against a real HTTPS server on loopback), the beacon and its bounded queue, the
 * scheduler's interval with jitter, and the state files surviving a corrupted write.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceManifest } from '../../src/branding/manifest.schemas.js';
import { createRootCa, issueServerCertificate } from '../../src/pki/pki.js';
import { appliedPackages, buildBeacon, enqueue } from './beacon.js';
import { runCli } from './cli.js';
import { AgentConfigError, loadAgentConfig, parseAgentConfig } from './config.js';
import { CorruptDownloadError, DeviceClient, ServerRefusedError, ServerUnreachableError } from './http-client.js';
import { FakeRootPlatform } from './fake-root.js';
import { nextDelayMs, runLoop, startDelayMs } from './scheduler.js';
import { syncOnce } from './sync.js';
import { SyncBusyError, withSyncLock } from './sync-lock.js';
import { StateStore, type AgentState } from './state.js';

const dir = mkdtempSync(join(tmpdir(), 'onramp-agent-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('config', () => {
  const valid = { serverUrl: 'https://onramp.contoso.com:8443/', upn: 'alice@contoso.com', credentials: { pfxFile: 'device.pfx', passphraseFile: 'pfx.pass' } };

  test('defaults are filled, paths resolved against the config folder, the URL reduced to its origin', () => {
    const config = parseAgentConfig(valid, '/etc/onramp');
    assert.equal(config.serverUrl, 'https://onramp.contoso.com:8443');
    assert.deepEqual(config.credentials, { pfxFile: '/etc/onramp/device.pfx', passphraseFile: '/etc/onramp/pfx.pass' });
    assert.equal(config.retries, 3);
    assert.equal(config.beaconQueueLimit, 50);
  });

  test('upn is a UPN or "auto" (the platform finds the signed-in user); the fake root may name that user', () => {
    assert.equal(parseAgentConfig({ ...valid, upn: 'auto' }, '/').upn, 'auto');
    const fake = parseAgentConfig({ ...valid, upn: 'auto', fakeRoot: { root: 'r', upn: 'bob@contoso.com' } }, '/etc/onramp');
    assert.deepEqual(fake.fakeRoot, { root: '/etc/onramp/r', elevated: false, upn: 'bob@contoso.com' });
  });

  test('a wrong field is named; plain HTTP, unknown fields and a missing file are refused', () => {
    assert.throws(
      () => parseAgentConfig({ ...valid, serverUrl: 'http://onramp.contoso.com' }, '/'),
      (err: Error) => err instanceof AgentConfigError && /\/serverUrl/.test(err.message),
    );
    assert.throws(() => parseAgentConfig({ ...valid, retires: 2 }, '/'), /agent config is invalid/);
    assert.throws(() => parseAgentConfig({ ...valid, upn: 'alice' }, '/'), /\/upn/);
    assert.throws(() => parseAgentConfig({ ...valid, upn: 'automatic' }, '/'), /\/upn/);
    assert.throws(() => parseAgentConfig({ ...valid, upn: 'auto', fakeRoot: { root: 'r', upn: 'auto' } }, '/'), /\/fakeRoot\/upn/);
    assert.throws(() => loadAgentConfig(join(dir, 'missing.json')), /cannot read the agent config/);
    writeFileSync(join(dir, 'broken.json'), '{"serverUrl":');
    assert.throws(() => loadAgentConfig(join(dir, 'broken.json')), /is not JSON/);
  });
});

describe('HTTP client (HTTPS on loopback)', () => {
  let server: Server;
  let port: number;
  let caPem: string;
  const hits = new Map<string, number>();
  const body = Buffer.from('the real image bytes');
  const sha256 = createHash('sha256').update(body).digest('hex');

  before(async () => {
    const root = await createRootCa('client test root');
    const cert = await issueServerCertificate(root);
    caPem = root.certPem;
    server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      const path = req.url ?? '';
      const count = (hits.get(path) ?? 0) + 1;
      hits.set(path, count);
      if (path === '/flaky' && count < 3) return void res.writeHead(503).end();
      if (path === '/flaky') return void res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' }).end('{"ok":true}');
      if (path === '/cached') return void res.writeHead(req.headers['if-none-match'] === '"v1"' ? 304 : 200, { etag: '"v1"' }).end('{}');
      if (path === '/refused')
        return void res.writeHead(403, { 'content-type': 'application/json' }).end('{"code":"ONRAMP_ERR_IDENTITY_MISMATCH","message":"not yours"}');
      if (path.startsWith('/api/manifest')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"schemaVersion":2,"elements":{}}');
      if (path === '/api/beacon') return void req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"recorded":true}'));
      if (path === '/asset') return void res.writeHead(200).end(body);
      if (path === '/asset-corrupt') return void res.writeHead(200).end(Buffer.from(body).fill(0x41, 0, 4));
      if (path === '/asset-long') return void res.writeHead(200).end(Buffer.concat([body, body]));
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const client = (at = port) =>
    new DeviceClient({ tls: { ca: caPem }, serverUrl: `https://127.0.0.1:${at}`, timeoutMs: 2000, retries: 2, retryBaseDelayMs: 5 });

  test('5xx is retried with backoff until it answers; the ETag comes back; If-None-Match gets 304', async () => {
    const c = client();
    try {
      assert.deepEqual(await c.getJson('/flaky'), { status: 'changed', body: { ok: true }, etag: '"v1"' });
      assert.equal(hits.get('/flaky'), 3);
      assert.deepEqual(await c.getJson('/cached', '"v1"'), { status: 'not-modified' });
    } finally {
      c.close();
    }
  });

  test('a 4xx is a refusal with the catalogue code, not retried; another origin is never asked', async () => {
    const c = client();
    try {
      await assert.rejects(
        c.getJson('/refused'),
        (err: Error) => err instanceof ServerRefusedError && err.status === 403 && err.code === 'ONRAMP_ERR_IDENTITY_MISMATCH',
      );
      assert.equal(hits.get('/refused'), 1);
      await assert.rejects(c.getJson('https://evil.example/x'), /not a path on/);
      await assert.rejects(c.getJson('//evil.example/x'), /not a path on/);
    } finally {
      c.close();
    }
  });

  test('nobody listening: unreachable after the retries', async () => {
    const c = client(1);
    try {
      await assert.rejects(c.getJson('/x'), (err: Error) => err instanceof ServerUnreachableError && /after 3 attempts/.test(err.message));
    } finally {
      c.close();
    }
  });

  test('a manifest that does not match the schema is not applied: the cached one is, and the problem is reported', async () => {
    const c = client();
    const platform = new FakeRootPlatform({ root: join(dir, 'sync-root'), facts: { hostname: 'pc-7' } });
    const store = new StateStore((await platform.folders()).agentData);
    const cachedManifest: DeviceManifest = {
      schemaVersion: 1,
      upn: 'alice@contoso.com',
      hostname: 'pc-7',
      version: 'cached-1',
      generatedAt: '2026-12-04T08:00:00Z',
      elements: { wallpaper: null, lockScreen: null, teamsBackgrounds: null, screensaver: null, signatures: null },
      sync: { intervalMinutes: 60, jitterMinutes: 5 },
    };
    await store.saveManifest(cachedManifest);
    try {
      const config = parseAgentConfig({ serverUrl: `https://127.0.0.1:${port}`, upn: 'alice@contoso.com', credentials: { certFile: 'x', keyFile: 'y' } }, dir);
      const result = await syncOnce({ config, platform, client: c, store });
      assert.equal(result.manifestSource, 'cache');
      assert.equal(result.manifestVersion, 'cached-1');
      assert.match(result.serverProblem ?? '', /does not match the schema \(\/upn: Expected required property\)/);
      assert.equal(result.elements.wallpaper?.status, 'unmanaged');
      assert.deepEqual(result.beacons, { delivered: 1, queued: 0, dropped: 0 });
    } finally {
      c.close();
    }
  });

  test('downloads are renamed into place only with the right size and SHA-256; otherwise nothing is left', async () => {
    const c = client();
    const target = join(dir, 'assets', sha256);
    try {
      await c.download({ url: '/asset', sha256, size: body.length }, target);
      assert.ok(existsSync(target));
      for (const url of ['/asset-corrupt', '/asset-long']) {
        const other = join(dir, 'assets', `${url.slice(1)}`);
        await assert.rejects(c.download({ url, sha256, size: body.length }, other), CorruptDownloadError);
        assert.equal(existsSync(other), false);
      }
      assert.deepEqual(readdirSync(join(dir, 'assets')), [sha256]);
    } finally {
      c.close();
    }
  });
});

describe('beacon, queue, schedule, state', () => {
  const facts = {
    hostname: 'pc-1',
    operatingSystem: 'Windows 11 Enterprise 24H2',
    deviceModel: null,
    systemBootTime: '2026-12-04T07:00:00.000Z',
    lastLogonTime: null,
    pendingReboot: false,
    compliant: null,
  };

  test('the beacon reports the applied versions; a never-applied element is empty; unknown facts are left out', () => {
    const state: AgentState = {
      elements: {
        wallpaper: { version: 'wp-1', appliedAt: null, owned: [], packages: { backgroundVersion: 'wp-1' } },
        signatures: { version: 's', appliedAt: null, owned: [], packages: { newSignatureVersion: 'n', replySignatureVersion: '', webSignatureVersion: 'w' } },
      },
    };
    const beacon = buildBeacon({ upn: 'alice@contoso.com', hostname: 'PC-1', facts, state, now: new Date('2026-12-04T08:00:00Z') });
    assert.equal(beacon.backgroundVersion, 'wp-1');
    assert.equal(beacon.lockScreenVersion, '');
    assert.equal(beacon.newSignatureVersion, 'n');
    assert.equal(beacon.pendingReboot, false);
    assert.equal('deviceModel' in beacon, false);
    assert.equal('compliant' in beacon, false);
    assert.equal(beacon.beaconLaunchTime, '2026-12-04T08:00:00.000Z');
    assert.equal(Object.values(appliedPackages({ elements: {} })).join(''), '');
  });

  test('the queue keeps the newest up to its limit', () => {
    let queue: ReturnType<typeof enqueue>['queue'] = [];
    let dropped = 0;
    for (let i = 0; i < 5; i++) {
      const next = enqueue(queue, { upn: 'a@b.c', hostname: `h${i}` }, 3);
      queue = next.queue;
      dropped += next.dropped;
    }
    assert.deepEqual(
      queue.map((b) => b.hostname),
      ['h2', 'h3', 'h4'],
    );
    assert.equal(dropped, 2);
  });

  test('interval plus jitter: the manifest sets them, the config overrides, defaults before any manifest', () => {
    const manifest = { sync: { intervalMinutes: 30, jitterMinutes: 6 } } as never;
    const result = { manifest } as never;
    assert.equal(
      nextDelayMs({}, null, () => 0),
      60 * 60_000,
    );
    assert.equal(
      nextDelayMs({}, result, () => 0.5),
      33 * 60_000,
    );
    assert.equal(
      nextDelayMs({ intervalMinutes: 5, jitterMinutes: 0 }, result, () => 0.9),
      5 * 60_000,
    );
    // sync without --now: up to the jitter (config, else a valid cached manifest, else the default).
    assert.equal(
      startDelayMs({}, undefined, () => 1),
      10 * 60_000,
    );
    assert.equal(
      startDelayMs({}, { sync: { jitterMinutes: 2 } }, () => 1),
      10 * 60_000,
      'a cache that fails the schema is not read',
    );
    assert.equal(
      startDelayMs({ jitterMinutes: 1 }, undefined, () => 0.5),
      30_000,
    );
  });

  test('the loop goes on after a failing sync and ends when told', async () => {
    const stop = new AbortController();
    const errors: string[] = [];
    let calls = 0;
    await runLoop({
      config: { intervalMinutes: 0.0002, jitterMinutes: 0 },
      signal: stop.signal,
      onError: (err) => errors.push((err as Error).message),
      sync: async () => {
        calls += 1;
        if (calls === 1) throw new Error('first one fails');
        if (calls === 3) stop.abort();
        return { manifest: null } as never;
      },
    });
    assert.equal(calls, 3);
    assert.deepEqual(errors, ['first one fails']);
  });

  test('a state file that is not JSON starts afresh instead of stopping the agent', async () => {
    const store = new StateStore(join(dir, 'state'));
    await store.saveState({ elements: {}, manifestEtag: '"x"' });
    assert.equal((await store.loadState()).manifestEtag, '"x"');
    writeFileSync(store.statePath, '{"elements":');
    assert.deepEqual(await store.loadState(), { elements: {} });
    assert.deepEqual(await store.loadBeacons(), []);
  });
});

describe('sync lock', () => {
  test('two syncs at once run one after the other; a lock left by a process that is gone is taken over', async () => {
    const lockDir = join(dir, 'lock');
    const order: string[] = [];
    const slow = (name: string) => async () => {
      order.push(`${name} start`);
      await new Promise((r) => setTimeout(r, 50));
      order.push(`${name} end`);
    };
    await Promise.all([withSyncLock(lockDir, slow('a')), withSyncLock(lockDir, slow('b'))]);
    assert.deepEqual(order, ['a start', 'a end', 'b start', 'b end']);

    writeFileSync(join(lockDir, 'sync.lock'), `999999999 ${Date.now()}`);
    assert.equal(await withSyncLock(lockDir, async () => 'ran', 0), 'ran');
    writeFileSync(join(lockDir, 'sync.lock'), `${process.pid} ${Date.now()}`);
    await assert.rejects(
      withSyncLock(lockDir, async () => 'ran', 0),
      SyncBusyError,
    );
  });
});

describe('the onramp-agent process', () => {
  const agent = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join('agent', 'src', 'main.ts'), ...args], { encoding: 'utf8', timeout: 30_000 });

  test('bad usage and a bad config end with exit code 1 and a reason, no stack trace', async () => {
    const lines: string[] = [];
    assert.equal(await runCli(['frobnicate'], { out: (l) => lines.push(l), err: (l) => lines.push(l) }), 1);
    assert.match(lines.join('\n'), /^usage: onramp-agent/);
    // The real process once: its exit code is what the scheduled task and Intune see.
    const config = join(dir, 'process-config.json');
    writeFileSync(config, JSON.stringify({ serverUrl: 'http://plain.example', upn: 'alice@contoso.com', credentials: { certFile: 'c', keyFile: 'k' } }));
    const invalid = agent(['sync', '--now', '--config', config]);
    assert.equal(invalid.status, 1);
    assert.match(invalid.stderr, /agent config is invalid: \/serverUrl/);
    assert.doesNotMatch(invalid.stderr, /\n\s+at /);
  });
});
