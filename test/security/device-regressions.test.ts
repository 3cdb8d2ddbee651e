/**
 * Security regressions on the device listener: identity binding variants issue 16's review found
 * holding. The body's upn must be the certificate's identity exactly (after trimming and lower-casing):
 * homoglyphs, full-width signs, zero-width and NUL characters, trailing dots and duplicate JSON keys do
 * not make it someone else's, and a duplicate key acts for the value the route reads, never another.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildDeviceApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { OnrampContext } from '../../src/context.js';
import { getDeviceState } from '../../src/devices/devices.queries.js';
import { resolveGatewayMaterial } from '../../src/gateway/gateway-material.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { createCrl, createIntermediateCa, createRootCa, issueClientCertificate, issueServerCertificate, type CertificateAuthority, type IssuedCertificate } from '../../src/pki/pki.js';
import { sqliteBackend, type TestStorage } from '../support/storage.js';

const dir = mkdtempSync(join(tmpdir(), 'onramp-binding-'));
let root: CertificateAuthority;
let issuing: CertificateAuthority;
let alice: IssuedCertificate;
let storage: TestStorage;
let app: FastifyInstance;
let port: number;

before(async () => {
  root = await createRootCa('binding root');
  issuing = await createIntermediateCa(root, 'binding issuing');
  const server = await issueServerCertificate(issuing);
  alice = await issueClientCertificate(issuing, { upn: 'alice@contoso.com', keyType: 'ec' });
  const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
  storage = await sqliteBackend.open();
  const config = loadConfig({
    env: {
      ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json',
      ...storage.env,
      ONRAMP_DEVICE_SERVER_CERT_FILE: file('server.pem', server.certPem + issuing.certPem),
      ONRAMP_DEVICE_SERVER_KEY_FILE: file('server.key', server.keyPem),
      ONRAMP_DEVICE_TRUST_ANCHORS_FILE: file('anchors.pem', root.certPem),
      ONRAMP_DEVICE_CRL_FILES: file('issuing.crl', await createCrl(issuing, [])),
      ONRAMP_DEVICE_IDENTITY_BURST: '1000',
    },
  });
  const ctx: OnrampContext = { config, storage, log: createLogger('silent'), clock: systemClock, demo: false, instanceId: 'test' };
  const material = await resolveGatewayMaterial(ctx);
  assert.ok(material);
  app = await buildDeviceApp(ctx, material);
  port = Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);
});

after(async () => {
  await app?.close();
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

function post(rawBody: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/beacon',
        method: 'POST',
        ca: root.certPem,
        servername: 'localhost',
        agent: false,
        cert: alice.certPem + issuing.certPem,
        key: alice.keyPem,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(rawBody), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(rawBody);
  });
}

const beacon = (upn: string, hostname: string) => JSON.stringify({ upn, hostname, operatingSystem: 'Windows 11', beaconLaunchTime: '2026-11-23T08:00:00Z' });

test('look-alike identities are someone else: 403 (or 400 for what the schema refuses), nothing recorded', async () => {
  const lookalikes = [
    'аlice@contoso.com', // Cyrillic а
    'alice＠contoso.com', // full-width @
    'alice@contoso.com.', // trailing dot
    'alice@contoso.com\u200b', // zero-width space
    'alice\u0000@contoso.com',
    'alice@contoso.com\u0000bob@contoso.com',
    'ALİCE@contoso.com', // dotted capital I lower-cases to i̇
    'alice@xn--contoso-.com',
    'alice@contoso.com,bob@contoso.com',
    '',
  ];
  for (const [i, upn] of lookalikes.entries()) {
    const res = await post(beacon(upn, `PC-L${i}`));
    assert.ok(res.status === 403 || res.status === 400, `${JSON.stringify(upn)} answered ${res.status}`);
    if (res.status === 403) assert.equal(res.json.code, 'ONRAMP_ERR_IDENTITY_MISMATCH');
  }
  // Case and surrounding spaces are the same identity (UPNs are case-insensitive).
  assert.equal((await post(beacon('  Alice@Contoso.COM ', 'PC-OK'))).status, 200);
  assert.equal(await getDeviceState(storage.db, 'pc-l0', 'аlice@contoso.com'), undefined);
});

test('duplicate keys: the binding checks the value the route acts on (the last), never another', async () => {
  const asBob = await post('{"upn":"alice@contoso.com","hostname":"PC-D1","operatingSystem":"W","beaconLaunchTime":"2026-11-23T08:00:00Z","upn":"bob@contoso.com"}');
  assert.equal(asBob.status, 403);
  assert.equal(await getDeviceState(storage.db, 'pc-d1', 'bob@contoso.com'), undefined);
  const asAlice = await post('{"upn":"bob@contoso.com","hostname":"PC-D2","operatingSystem":"W","beaconLaunchTime":"2026-11-23T08:00:00Z","upn":"alice@contoso.com"}');
  assert.equal(asAlice.status, 200);
  assert.equal(asAlice.json.upn, 'alice@contoso.com');
});

test('prototype keys and a forwarded-certificate header from a non-proxy do not change the identity', async () => {
  const proto = await post('{"__proto__":{"upn":"alice@contoso.com"},"hostname":"PC-P1","operatingSystem":"W","beaconLaunchTime":"2026-11-23T08:00:00Z"}');
  assert.ok(proto.status === 400 || proto.status === 403, `answered ${proto.status}`);
  const forwarded = await post(beacon('bob@contoso.com', 'PC-F1'), { 'x-arr-clientcert': Buffer.from('bob').toString('base64') });
  assert.equal(forwarded.status, 403);
});
