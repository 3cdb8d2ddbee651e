import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildDeviceApp } from '../app.js';
import { loadConfig } from '../onramp-config.js';
import type { OnrampContext } from '../context.js';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { createRootCa, issueClientCertificate, issueServerCertificate, type CertificateAuthority, type IssuedCertificate } from '../pki/pki.js';
import { resolveGatewayMaterial } from '../gateway/gateway-material.js';
import { listAuditRecords } from '../gateway/audit.queries.js';
import { sqliteBackend, type TestStorage } from '../../test/support/storage.js';

const dir = mkdtempSync(join(tmpdir(), 'onramp-device-openapi-'));
let root: CertificateAuthority;
let alice: IssuedCertificate;
let app: FastifyInstance;
let storage: TestStorage;
let port: number;

function get(path: string, client?: IssuedCertificate): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'GET',
        ca: root.certPem,
        servername: 'localhost',
        agent: false,
        ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  root = await createRootCa('device openapi test root');
  const server = await issueServerCertificate(root);
  alice = await issueClientCertificate(root, { upn: 'alice@contoso.com', keyType: 'ec' });
  writeFileSync(join(dir, 'anchors.pem'), root.certPem);
  writeFileSync(join(dir, 'server.pem'), server.certPem);
  writeFileSync(join(dir, 'server.key'), server.keyPem);
  storage = await sqliteBackend.open();
  const config = loadConfig({
    env: {
      ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json',
      ONRAMP_DEVICE_SERVER_CERT_FILE: join(dir, 'server.pem'),
      ONRAMP_DEVICE_SERVER_KEY_FILE: join(dir, 'server.key'),
      ONRAMP_DEVICE_TRUST_ANCHORS_FILE: join(dir, 'anchors.pem'),
      ...storage.env,
    },
  });
  const ctx: OnrampContext = { config, storage, log: createLogger('silent'), clock: systemClock, demo: false, instanceId: 'test' };
  const material = await resolveGatewayMaterial(ctx);
  assert.ok(material);
  app = await buildDeviceApp(ctx, material);
  port = Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);
});

after(async () => {
  if (app?.server.listening) await app.close();
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the device listener's OpenAPI document", () => {
  test('lists the device routes from their schemas, requests and answers, under mutual TLS; nothing of the public listener, the probes or the configuration', async () => {
    const res = await get('/openapi.json', alice);
    assert.equal(res.status, 200, res.body);
    const doc = JSON.parse(res.body);
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(Object.keys(doc.paths).sort(), ['/api/beacon', '/api/getUserAttributes'], 'no exchange port here, so no signature route');
    const beacon = doc.paths['/api/beacon'].post;
    assert.ok(beacon.requestBody.content['application/json'].schema.properties.hostname);
    assert.deepEqual(Object.keys(beacon.responses['200'].content['application/json'].schema.properties).sort(), ['hostname', 'recorded', 'upn']);
    assert.ok(doc.paths['/api/getUserAttributes'].post.requestBody.content['application/json'].schema.properties.upn);
    assert.deepEqual(beacon.security, [{ mutualTLS: [] }]);
    assert.equal(doc.components.securitySchemes.mutualTLS.type, 'mutualTLS');
    assert.doesNotMatch(res.body, new RegExp(dir.replaceAll('/', '\\/')), 'no file paths of the configuration');
    assert.doesNotMatch(res.body, /BEGIN CERTIFICATE|admin|healthz/);
  });

  test('needs a verified client certificate, like the device routes (and is audited)', async () => {
    const anonymous = await get('/openapi.json');
    assert.equal(anonymous.status, 401);
    assert.equal(JSON.parse(anonymous.body).code, 'ONRAMP_ERR_CLIENT_CERT_REQUIRED');
    assert.equal((await get('/healthz')).status, 200, 'the probes stay exempt');
    assert.equal((await get('/openapi.json', alice)).status, 200);
    // The audit writer buffers; closing the app writes what it holds.
    await app.close();
    const audited = await listAuditRecords(storage.db);
    // The first test's call, then this one's two.
    assert.deepEqual(
      audited.filter((r) => r.route === '/openapi.json').map((r) => [r.status, r.upn]),
      [
        [200, 'alice@contoso.com'],
        [401, null],
        [200, 'alice@contoso.com'],
      ],
    );
    app = undefined as never;
  });
});
