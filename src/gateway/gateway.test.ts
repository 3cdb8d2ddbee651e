import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildDeviceApp } from '../app.js';
import { loadConfig } from '../onramp-config.js';
import type { OnrampContext } from '../context.js';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import {
  EKU,
  createCrl,
  createIntermediateCa,
  createRootCa,
  issueClientCertificate,
  issueServerCertificate,
  type CertificateAuthority,
  type IssuedCertificate,
} from '../pki/pki.js';
import { BACKENDS, sqliteBackend, type TestStorage } from '../../test/support/storage.js';
import { resolveGatewayMaterial } from './gateway-material.js';
import { CertificateVerifier, parseForwardedCertificate } from './certificate-verifier.js';
import { listAuditRecords } from './audit.queries.js';
import { getDeviceState, listBeaconHistory } from '../devices/devices.queries.js';
import { applyDirectoryPage, saveSyncState } from '../directory/directory.queries.js';
import type { DirectoryProfile } from '../graph/graph-port.js';
import { startTestTenant } from '../../test/support/simulator.js';
import { signatureRoutes } from '../signatures/signatures.routes.js';
import { listSignatureUpdates } from '../signatures/signatures.queries.js';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'onramp-gateway-'));
let root: CertificateAuthority;
let issuing: CertificateAuthority;
const clients: Record<string, IssuedCertificate> = {};
let files: { anchors: string; server: string; serverKey: string; rootCrl: string; issuingCrl: string };

before(async () => {
  root = await createRootCa('test root');
  issuing = await createIntermediateCa(root, 'test issuing');
  const otherRoot = await createRootCa('somebody else');
  const server = await issueServerCertificate(issuing);
  const ec = { keyType: 'ec' as const };
  clients.alice = await issueClientCertificate(issuing, { upn: 'Alice@Contoso.com', ...ec });
  clients.bob = await issueClientCertificate(issuing, { email: 'bob@contoso.com', ...ec });
  clients.device = await issueClientCertificate(issuing, { dnsName: 'pc-001.contoso.com', ...ec });
  clients.expired = await issueClientCertificate(issuing, {
    upn: 'old@contoso.com',
    notBefore: new Date(Date.now() - 10 * DAY),
    notAfter: new Date(Date.now() - DAY),
    ...ec,
  });
  clients.future = await issueClientCertificate(issuing, { upn: 'soon@contoso.com', notBefore: new Date(Date.now() + DAY), ...ec });
  clients.serverOnly = await issueClientCertificate(issuing, { upn: 'srv@contoso.com', extendedKeyUsages: [EKU.serverAuth], ...ec });
  clients.revoked = await issueClientCertificate(issuing, { upn: 'gone@contoso.com', ...ec });
  clients.stranger = await issueClientCertificate(otherRoot, { upn: 'alice@contoso.com', ...ec });
  files = {
    anchors: join(dir, 'anchors.pem'),
    server: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    rootCrl: join(dir, 'root.crl'),
    issuingCrl: join(dir, 'issuing.crl'),
  };
  writeFileSync(files.anchors, root.certPem);
  writeFileSync(files.server, server.certPem + issuing.certPem);
  writeFileSync(files.serverKey, server.keyPem);
  writeFileSync(files.rootCrl, await createCrl(root, []));
  writeFileSync(files.issuingCrl, await createCrl(issuing, [{ serialNumber: clients.revoked.serialNumber }]));
});

after(() => rmSync(dir, { recursive: true, force: true }));

function gatewayEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json',
    ONRAMP_DEVICE_SERVER_CERT_FILE: files.server,
    ONRAMP_DEVICE_SERVER_KEY_FILE: files.serverKey,
    ONRAMP_DEVICE_TRUST_ANCHORS_FILE: files.anchors,
    ONRAMP_DEVICE_CRL_FILES: `${files.rootCrl},${files.issuingCrl}`,
    ...extra,
  };
}

interface Running {
  app: FastifyInstance;
  port: number;
  storage: TestStorage;
}

async function start(
  storage: TestStorage,
  env: Record<string, string> = {},
  beforeListen?: (app: FastifyInstance, ctx: OnrampContext) => Promise<void>,
): Promise<Running> {
  const config = loadConfig({ env: { ...gatewayEnv(env), ...storage.env } });
  const ctx: OnrampContext = { config, storage, log: createLogger('silent'), clock: systemClock, demo: false, instanceId: 'test' };
  const material = await resolveGatewayMaterial(ctx);
  assert.ok(material);
  const app = await buildDeviceApp(ctx, material);
  if (beforeListen) await beforeListen(app, ctx);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: Number(new URL(address).port), storage };
}

interface CallOptions {
  client?: IssuedCertificate;
  /** Send the issuing CA along with the leaf (what a well-configured device does). */
  withChain?: boolean;
  headers?: Record<string, string>;
  rawBody?: string;
}

async function call(
  port: number,
  path: string,
  body: unknown,
  options: CallOptions = {},
): Promise<{ status: number; headers: Record<string, unknown>; json: Record<string, unknown> }> {
  const payload = options.rawBody ?? JSON.stringify(body);
  const chain = options.withChain === false ? '' : issuing.certPem;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        ca: root.certPem,
        servername: 'localhost',
        agent: false,
        ...(options.client ? { cert: options.client.certPem + chain, key: options.client.keyPem } : {}),
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const beacon = (upn: string, extra: Record<string, unknown> = {}) => ({
  upn,
  hostname: 'PC-001',
  operatingSystem: 'Windows 11 Enterprise',
  deviceModel: 'Latitude 7450',
  beaconLaunchTime: '2026-11-23T08:00:00.1234567Z',
  lastUseTime: '2026-11-23T08:05:00Z',
  systemBootTime: '2026-11-20T07:00:00Z',
  lastLogonTime: '2026-11-23T07:59:00+01:00',
  backgroundVersion: '1.2.0',
  webSignatureVersion: '3.0.1',
  pendingReboot: 'False',
  compliant: true,
  location: 'POINT(4.895168 52.370216)',
  ...extra,
});

describe('device gateway over real mTLS', () => {
  let main: Running;
  before(async () => {
    main = await start(await sqliteBackend.open());
  });
  after(async () => {
    await main.app.close();
    await main.storage.close();
  });

  test('valid chain: the call goes through and the UPN SAN is the identity (case-insensitive)', async () => {
    const res = await call(main.port, '/api/beacon', beacon('alice@contoso.COM'), { client: clients.alice });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json, { recorded: true, hostname: 'pc-001', upn: 'alice@contoso.com' });
  });

  test('email SAN is the identity when there is no UPN SAN', async () => {
    const res = await call(main.port, '/api/beacon', beacon('bob@contoso.com'), { client: clients.bob });
    assert.equal(res.status, 200, JSON.stringify(res.json));
  });

  test('no certificate: 401 with WWW-Authenticate: MutualTLS', async () => {
    const res = await call(main.port, '/api/beacon', beacon('alice@contoso.com'));
    assert.equal(res.status, 401);
    assert.equal(res.headers['www-authenticate'], 'MutualTLS');
    assert.equal(res.json.code, 'ONRAMP_ERR_CLIENT_CERT_REQUIRED');
  });

  const refusals: Array<[string, string, RegExp, boolean?]> = [
    ['missing intermediate', 'alice', /intermediate certificate missing/, false],
    ['untrusted root', 'stranger', /issuer not trusted/],
    ['expired', 'expired', /has expired/],
    ['not yet valid', 'future', /not yet valid/],
    ['no clientAuth EKU', 'serverOnly', /client authentication/],
    ['revoked via CRL', 'revoked', /revoked/],
  ];
  for (const [name, who, reason, withChain] of refusals) {
    test(`refused: ${name} → 401 naming the check`, async () => {
      const upn = who === 'stranger' ? 'alice@contoso.com' : `${who}@contoso.com`;
      const res = await call(main.port, '/api/beacon', beacon(upn), { client: clients[who], withChain });
      assert.equal(res.status, 401, JSON.stringify(res.json));
      assert.equal(res.json.code, 'ONRAMP_ERR_CLIENT_CERT_REJECTED');
      assert.match(String(res.json.message), reason);
    });
  }

  test('UPN mismatch: 403, and nothing is written', async () => {
    const res = await call(main.port, '/api/beacon', beacon('mallory@contoso.com', { hostname: 'PC-666' }), { client: clients.alice });
    assert.equal(res.status, 403);
    assert.equal(res.json.code, 'ONRAMP_ERR_IDENTITY_MISMATCH');
    assert.equal(await getDeviceState(main.storage.db, 'pc-666', 'mallory@contoso.com'), undefined);
  });

  test('device certificate without a user SAN: 403 (device identities are not supported)', async () => {
    const res = await call(main.port, '/api/beacon', beacon('alice@contoso.com'), { client: clients.device });
    assert.equal(res.status, 403);
    assert.equal(res.json.code, 'ONRAMP_ERR_CERT_NO_USER');
  });

  test('forwarded certificate header from an address that is not a trusted proxy is ignored', async () => {
    const header = Buffer.from(new (await import('node:crypto')).X509Certificate(clients.alice!.certPem).raw).toString('base64');
    const res = await call(main.port, '/api/beacon', beacon('alice@contoso.com'), { headers: { 'x-arr-clientcert': header } });
    assert.equal(res.status, 401);
    assert.equal(res.json.code, 'ONRAMP_ERR_CLIENT_CERT_REQUIRED');
  });

  test('bodies: malformed JSON 400, wrong content type 415, oversized 413, bad date 400 naming the field', async () => {
    const opts = { client: clients.alice };
    const bad = await call(main.port, '/api/beacon', null, { ...opts, rawBody: '{"upn": "alice@' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, 'ONRAMP_ERR_BAD_JSON');
    const text = await call(main.port, '/api/beacon', null, { ...opts, rawBody: 'upn=alice', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 415);
    const big = await call(main.port, '/api/beacon', beacon('alice@contoso.com', { deviceModel: 'x'.repeat(20_000) }), opts);
    assert.equal(big.status, 413);
    // The beacon route's own limit (devices.beaconBodyLimitBytes), not the server's body limit.
    assert.equal(big.json.message, 'Request body is larger than the limit of 16384 bytes');
    const bigLookup = await call(main.port, '/api/getUserAttributes', { upn: 'alice@contoso.com', requiredAttribs: ['x'.repeat(9_000)] }, opts);
    assert.equal(bigLookup.status, 413);
    assert.equal(bigLookup.json.message, 'Request body is larger than the limit of 8192 bytes');
    const date = await call(main.port, '/api/beacon', beacon('alice@contoso.com', { systemBootTime: 'yesterday' }), opts);
    assert.equal(date.status, 400);
    assert.equal(date.json.code, 'ONRAMP_ERR_VALIDATION');
    assert.match(String(date.json.message), /systemBootTime/);
    const extra = await call(main.port, '/api/beacon', beacon('alice@contoso.com', { sneaky: 1 }), opts);
    assert.equal(extra.status, 400);
  });

  test('every call is audited with identity, thumbprint, address, route, status', async () => {
    await call(main.port, '/api/beacon', beacon('alice@contoso.com'), { client: clients.alice });
    await call(main.port, '/api/beacon', beacon('alice@contoso.com'), { client: clients.revoked });
    // A URL that does not decode fails before routing, where no hook runs: answered and audited all the same.
    const badUrl = await call(main.port, '/api/beacon%', beacon('alice@contoso.com'), { client: clients.alice });
    assert.deepEqual([badUrl.status, badUrl.json.code], [400, 'ONRAMP_ERR_BAD_REQUEST']);
    await main.app.close();
    const rows = await listAuditRecords(main.storage.db);
    const ok = rows.find((r) => r.status === 200 && r.upn === 'alice@contoso.com');
    assert.ok(ok);
    assert.equal(ok.thumbprint, clients.alice!.thumbprint);
    assert.equal(ok.ip, '127.0.0.1');
    assert.equal(ok.route, '/api/beacon');
    const refused = rows.find((r) => r.code === 'ONRAMP_ERR_CLIENT_CERT_REJECTED');
    assert.ok(refused);
    assert.equal(refused.status, 401);
    assert.ok(rows.some((r) => r.code === 'ONRAMP_ERR_IDENTITY_MISMATCH' && r.status === 403));
    assert.ok(rows.some((r) => r.code === 'ONRAMP_ERR_BAD_REQUEST' && r.status === 400 && r.route === '/api/beacon%' && r.ip === '127.0.0.1'));
    // The refusal in words, as the device was answered.
    assert.ok(rows.some((r) => r.thumbprint === null && /^Client certificate rejected: .*revoked/.test(r.reason ?? '')));
    assert.match(refused.reason ?? '', /^Client certificate rejected: /);
    assert.equal(ok.reason, null);
  });

  test('the certificates it verified are kept once each, with subject, issuer, serial and validity, in the audit batches', async () => {
    const db = main.storage.db;
    const cert = new X509Certificate(clients.alice!.certPem);
    // Audited by the previous test (its app is closed, so everything is written): several calls, one row.
    const rows = await db.selectFrom('device_certificate').selectAll().where('thumbprint', '=', clients.alice!.thumbprint).execute();
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.upn, 'alice@contoso.com');
    assert.equal(row.serial_number.toLowerCase(), cert.serialNumber.toLowerCase());
    assert.equal(row.not_after, new Date(cert.validTo).toISOString());
    assert.equal(row.not_before, new Date(cert.validFrom).toISOString());
    assert.match(row.subject, /alice/i);
    assert.match(row.issuer, /CN=/);
    assert.equal(row.last_ip, '127.0.0.1');
    assert.ok(row.first_seen_at <= row.last_seen_at);
    // A refused certificate is not one the gateway verified.
    const revoked = await db.selectFrom('device_certificate').select('thumbprint').where('thumbprint', '=', clients.revoked!.thumbprint).execute();
    assert.deepEqual(revoked, []);
  });
});

describe('gateway policies', () => {
  test('IP deny list: 403 before anything else', async () => {
    const running = await start(await sqliteBackend.open(), { ONRAMP_DEVICE_DENY_CIDRS: '10.0.0.0/8,127.0.0.0/8,::1/128' });
    try {
      const res = await call(running.port, '/api/beacon', beacon('alice@contoso.com'), { client: clients.alice });
      assert.equal(res.status, 403);
      assert.equal(res.json.code, 'ONRAMP_ERR_IP_DENIED');
    } finally {
      await running.app.close();
      await running.storage.close();
    }
  });

  test('IP allow list: addresses outside it are refused', async () => {
    const running = await start(await sqliteBackend.open(), { ONRAMP_DEVICE_ALLOW_CIDRS: '2001:db8::/32,192.0.2.0/24' });
    try {
      const res = await call(running.port, '/api/beacon', beacon('alice@contoso.com'), { client: clients.alice });
      assert.equal(res.status, 403);
    } finally {
      await running.app.close();
      await running.storage.close();
    }
  });

  test('throttling per certificate identity: 429 with Retry-After once the burst is spent', async () => {
    const running = await start(await sqliteBackend.open(), { ONRAMP_DEVICE_IDENTITY_BURST: '2', ONRAMP_DEVICE_IDENTITY_RATE: '0.01' });
    try {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof call>> | undefined;
      for (let i = 0; i < 3; i++) {
        last = await call(running.port, '/api/beacon', beacon('alice@contoso.com'), { client: clients.alice });
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [200, 200, 429]);
      assert.equal(last?.json.code, 'ONRAMP_ERR_THROTTLED');
      assert.equal(last?.headers['retry-after'], '100');
      // Another identity has its own bucket.
      assert.equal((await call(running.port, '/api/beacon', beacon('bob@contoso.com'), { client: clients.bob })).status, 200);
    } finally {
      await running.app.close();
      await running.storage.close();
    }
  });

  test('throttling per IP address', async () => {
    const running = await start(await sqliteBackend.open(), { ONRAMP_DEVICE_IP_BURST: '1', ONRAMP_DEVICE_IP_RATE: '0.5' });
    try {
      assert.equal((await call(running.port, '/api/beacon', beacon('alice@contoso.com'), { client: clients.alice })).status, 200);
      const res = await call(running.port, '/api/beacon', beacon('bob@contoso.com'), { client: clients.bob });
      assert.equal(res.status, 429);
      assert.equal(res.headers['retry-after'], '2');
    } finally {
      await running.app.close();
      await running.storage.close();
    }
  });

  test('forwarded certificate from a trusted proxy is verified like a direct one', async () => {
    const storage = await sqliteBackend.open();
    const running = await start(storage, { ONRAMP_DEVICE_TRUSTED_PROXIES: '127.0.0.1,::1' });
    try {
      const { X509Certificate } = await import('node:crypto');
      const arr = Buffer.from(new X509Certificate(clients.alice!.certPem).raw).toString('base64');
      // APIM style: base64 DER leaf only; the intermediate is then missing.
      const leafOnly = await call(running.port, '/api/beacon', beacon('alice@contoso.com'), { headers: { 'x-arr-clientcert': arr } });
      assert.equal(leafOnly.status, 401);
      assert.match(String(leafOnly.json.message), /intermediate/);
      // Envoy XFCC with the chain, and the client's address in X-Forwarded-For.
      const xfcc = `Hash=abc;Cert="${encodeURIComponent(clients.alice!.certPem)}";Chain="${encodeURIComponent(clients.alice!.certPem + issuing.certPem)}"`;
      const ok = await call(running.port, '/api/beacon', beacon('alice@contoso.com'), {
        headers: { 'x-forwarded-client-cert': xfcc, 'x-forwarded-for': '203.0.113.9' },
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.json));
      // A proxy overwrites only its own header: a second configured header may be the client's, naming
      // someone else's public certificate. Refused, whichever is empty or set.
      const aliceArr = Buffer.from(new X509Certificate(clients.alice!.certPem).raw).toString('base64');
      const bobXfcc = `Cert="${encodeURIComponent(clients.bob!.certPem + issuing.certPem)}"`;
      for (const headers of [
        { 'x-arr-clientcert': aliceArr, 'x-forwarded-client-cert': bobXfcc },
        { 'x-arr-clientcert': '', 'x-forwarded-client-cert': xfcc },
      ]) {
        const twoHeaders = await call(running.port, '/api/beacon', beacon('alice@contoso.com'), { headers });
        assert.equal(twoHeaders.status, 401);
        assert.match(String(twoHeaders.json.message), /several forwarded-certificate headers/);
      }
      // Envoy appending: the last element is the nearest proxy's; an earlier one may be the client's.
      const appended = `${xfcc},By=spiffe://proxy;${bobXfcc}`;
      assert.equal((await call(running.port, '/api/beacon', beacon('alice@contoso.com'), { headers: { 'x-forwarded-client-cert': appended } })).status, 403);
      assert.equal((await call(running.port, '/api/beacon', beacon('bob@contoso.com'), { headers: { 'x-forwarded-client-cert': appended } })).status, 200);
      // An empty header: the client showed none. The proxy's own TLS certificate never stands in for it.
      const none = await call(running.port, '/api/beacon', beacon('alice@contoso.com'), { client: clients.alice, headers: { 'x-arr-clientcert': '' } });
      assert.equal(none.status, 401);
      assert.equal(none.json.code, 'ONRAMP_ERR_CLIENT_CERT_REQUIRED');
      assert.equal((await call(running.port, '/api/beacon', beacon('alice@contoso.com'), { client: clients.alice })).status, 401);
      const garbled = await call(running.port, '/api/beacon', beacon('alice@contoso.com'), { headers: { 'x-forwarded-client-cert': 'Cert="%E0%A4%A"' } });
      assert.equal(garbled.status, 401, 'a badly encoded header is no certificate, not a fault');
      const revoked = `Cert="${encodeURIComponent(clients.revoked!.certPem + issuing.certPem)}"`;
      const refused = await call(running.port, '/api/beacon', beacon('gone@contoso.com'), { headers: { 'x-forwarded-client-cert': revoked } });
      assert.equal(refused.status, 401);
      assert.match(String(refused.json.message), /revoked/);
      await running.app.close();
      const rows = await listAuditRecords(storage.db);
      assert.ok(rows.some((r) => r.status === 200 && r.ip === '203.0.113.9'));
    } finally {
      await running.app.close();
      await storage.close();
    }
  });
});

describe('certificate verifier', () => {
  test('CRL files are reloaded when they change', async () => {
    const crlFile = join(dir, 'reload.crl');
    writeFileSync(crlFile, await createCrl(issuing, []));
    const verifier = new CertificateVerifier({ trustAnchorsPem: root.certPem, crlFiles: [crlFile], pinnedIssuerThumbprints: [] });
    const leaf = parseForwardedCertificate(clients.alice!.certPem + issuing.certPem)!;
    assert.equal((await verifier.verify(leaf.leaf, leaf.chain, new Date())).ok, true);
    assert.equal(verifier.reloadCrlsIfChanged(), false);
    writeFileSync(crlFile, await createCrl(issuing, [{ serialNumber: clients.alice!.serialNumber }, { serialNumber: '01' }]));
    assert.equal(verifier.reloadCrlsIfChanged(), true);
    const outcome = await verifier.verify(leaf.leaf, leaf.chain, new Date());
    assert.equal(outcome.ok, false);
    assert.match(outcome.ok ? '' : outcome.reason, /revoked/);
  });

  test('a verification under way while the CRLs are reloaded does not leave the old answer cached for the new ones', async () => {
    const crlFile = join(dir, 'race.crl');
    writeFileSync(crlFile, await createCrl(issuing, []));
    const verifier = new CertificateVerifier({ trustAnchorsPem: root.certPem, crlFiles: [crlFile], pinnedIssuerThumbprints: [] });
    const leaf = parseForwardedCertificate(clients.alice!.certPem + issuing.certPem)!;
    const revokingCrl = await createCrl(issuing, [{ serialNumber: clients.alice!.serialNumber }]);
    const underway = verifier.verify(leaf.leaf, leaf.chain, new Date());
    writeFileSync(crlFile, revokingCrl);
    assert.equal(verifier.reloadCrlsIfChanged(), true);
    await underway;
    assert.equal((await verifier.verify(leaf.leaf, leaf.chain, new Date())).ok, false, 'the new CRL revokes her');
  });

  test('a CRL past its nextUpdate is still used, and reported as stale', async () => {
    const crlFile = join(dir, 'stale.crl');
    writeFileSync(crlFile, await createCrl(issuing, [{ serialNumber: clients.alice!.serialNumber }]));
    const verifier = new CertificateVerifier({ trustAnchorsPem: root.certPem, crlFiles: [crlFile], pinnedIssuerThumbprints: [] });
    assert.deepEqual(verifier.staleCrls(new Date()), []);
    const stale = verifier.staleCrls(new Date(Date.now() + 400 * DAY));
    assert.equal(stale.length, 1);
    assert.match(stale[0]!, /issuing/i);
    const leaf = parseForwardedCertificate(clients.alice!.certPem + issuing.certPem)!;
    assert.equal((await verifier.verify(leaf.leaf, leaf.chain, new Date())).ok, false, 'revocations still count');
  });

  test('a CA below an issuing CA whose path length is 0 cannot issue device certificates', async () => {
    const sub = await createIntermediateCa(issuing, 'sub CA');
    const mallory = await issueClientCertificate(sub, { upn: 'mallory@contoso.com', keyType: 'ec' });
    const verifier = new CertificateVerifier({ trustAnchorsPem: root.certPem, crlFiles: [], pinnedIssuerThumbprints: [] });
    const presented = parseForwardedCertificate(mallory.certPem + sub.certPem + issuing.certPem)!;
    const outcome = await verifier.verify(presented.leaf, presented.chain, new Date());
    assert.equal(outcome.ok, false);
    assert.match(outcome.ok ? '' : outcome.reason, /path length 0/);
  });

  test('a CRL not signed by the issuer does not count', async () => {
    const forger = await createRootCa('forger', {});
    const crlFile = join(dir, 'forged.crl');
    const forged = await createCrl({ ...forger, cert: issuing.cert }, [{ serialNumber: clients.alice!.serialNumber }]);
    writeFileSync(crlFile, forged);
    const verifier = new CertificateVerifier({ trustAnchorsPem: root.certPem, crlFiles: [crlFile], pinnedIssuerThumbprints: [] });
    const leaf = parseForwardedCertificate(clients.alice!.certPem + issuing.certPem)!;
    assert.equal((await verifier.verify(leaf.leaf, leaf.chain, new Date())).ok, true);
  });

  test('issuer pinning', async () => {
    const leaf = parseForwardedCertificate(clients.alice!.certPem + issuing.certPem)!;
    const pinnedOther = new CertificateVerifier({ trustAnchorsPem: root.certPem, crlFiles: [], pinnedIssuerThumbprints: [root.thumbprint] });
    const outcome = await pinnedOther.verify(leaf.leaf, leaf.chain, new Date());
    assert.equal(outcome.ok, false);
    assert.match(outcome.ok ? '' : outcome.reason, /pinned/);
    const pinned = new CertificateVerifier({ trustAnchorsPem: root.certPem, crlFiles: [], pinnedIssuerThumbprints: [issuing.thumbprint.toLowerCase()] });
    assert.equal((await pinned.verify(leaf.leaf, leaf.chain, new Date())).ok, true);
  });
});

for (const backend of BACKENDS) {
  describe(`beacon storage on ${backend.name}`, { skip: backend.skip }, () => {
    test('upserts the latest state per (hostname, upn) and appends history; location kept only when enabled, rounded', async () => {
      const storage = await backend.open();
      const running = await start(storage, { ONRAMP_DEVICES_STORE_LOCATION: 'true', ONRAMP_DEVICES_LOCATION_DECIMALS: '2' });
      try {
        const opts = { client: clients.alice };
        assert.equal((await call(running.port, '/api/beacon', beacon('alice@contoso.com'), opts)).status, 200);
        const second = await call(
          running.port,
          '/api/beacon',
          beacon('alice@contoso.com', { pendingReboot: true, compliant: 'false', webSignatureVersion: '3.1.0' }),
          opts,
        );
        assert.equal(second.status, 200);
        // Beacons are buffered and written in batches; closing the app writes the buffer.
        await running.app.close();
        const state = await getDeviceState(storage.db, 'pc-001', 'alice@contoso.com');
        assert.ok(state);
        assert.equal(state.pending_reboot, 1);
        assert.equal(state.compliant, 0);
        assert.equal(state.web_signature_version, '3.1.0');
        assert.equal(state.background_version, '1.2.0');
        assert.equal(state.lock_screen_version, '');
        assert.equal(state.beacon_launch_time, '2026-11-23T08:00:00.123Z');
        assert.equal(state.last_logon_time, '2026-11-23T06:59:00.000Z');
        assert.equal(state.location, 'POINT(4.90 52.37)');
        const history = await listBeaconHistory(storage.db, 'pc-001', 'alice@contoso.com');
        assert.equal(history.length, 2);
        assert.equal(JSON.parse(history[1]!.payload).pendingReboot, true);
      } finally {
        await running.app.close();
        await storage.close();
      }
    });
  });
}

test('location is discarded unless enabled', async () => {
  const storage = await sqliteBackend.open();
  const running = await start(storage);
  try {
    assert.equal((await call(running.port, '/api/beacon', beacon('alice@contoso.com'), { client: clients.alice })).status, 200);
    await running.app.close();
    assert.equal((await getDeviceState(storage.db, 'pc-001', 'alice@contoso.com'))?.location, null);
  } finally {
    await running.app.close();
    await storage.close();
  }
});

describe('getUserAttributes from the local directory cache', () => {
  const profile = (upn: string, extra: Partial<DirectoryProfile> = {}): DirectoryProfile => ({
    id: `id-${upn}`,
    accountEnabled: true,
    businessPhones: ['+31 20 555 0100', '+31 20 555 0101'],
    city: 'Amsterdam',
    companyName: 'Contoso',
    country: 'NL',
    department: 'Finance',
    displayName: 'Alice Jansen',
    employeeId: null,
    faxNumber: null,
    givenName: 'Alice',
    jobTitle: 'Controller',
    mail: upn,
    mailNickname: 'alice',
    mobilePhone: null,
    officeLocation: 'HQ',
    postalCode: '1011',
    state: null,
    streetAddress: 'Dam 1',
    surname: 'Jansen',
    interests: [],
    userPrincipalName: upn,
    ...extra,
  });

  test('never synced: 503; then the seed order, flattened, nulls as "", with the cache age; unknown and disabled users 404', async () => {
    const storage = await sqliteBackend.open();
    const running = await start(storage);
    try {
      const opts = { client: clients.alice };
      const early = await call(running.port, '/api/getUserAttributes', { upn: 'alice@contoso.com' }, opts);
      assert.equal(early.status, 503);
      assert.equal(early.json.code, 'ONRAMP_ERR_DIRECTORY_NOT_READY');

      await applyDirectoryPage(storage.db, [profile('Alice@contoso.com'), profile('bob@contoso.com', { accountEnabled: false })], [], new Date().toISOString());
      await saveSyncState(storage.db, { deltaLink: 'https://graph/delta?token=1', lastSyncAt: new Date(Date.now() - 120_000).toISOString(), lastError: null });
      const res = await call(running.port, '/api/getUserAttributes', { upn: 'ALICE@contoso.com' }, opts);
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(Object.keys(res.json), [
        'businessPhones1',
        'businessPhones2',
        'city',
        'companyName',
        'country',
        'department',
        'displayName',
        'employeeId',
        'faxNumber',
        'givenName',
        'jobTitle',
        'mail',
        'mailNickname',
        'mobilePhone',
        'officeLocation',
        'postalCode',
        'state',
        'streetAddress',
        'surname',
        'interests1',
        'userPrincipalName',
      ]);
      assert.equal(res.json.businessPhones2, '+31 20 555 0101');
      assert.equal(res.json.employeeId, '');
      assert.equal(res.json.interests1, '');
      assert.ok(Number(res.headers['x-directory-cache-age']) >= 120);

      const some = await call(running.port, '/api/getUserAttributes', { upn: 'alice@contoso.com', requiredAttribs: ['jobTitle', 'DISPLAYNAME'] }, opts);
      assert.deepEqual(some.json, { jobTitle: 'Controller', displayName: 'Alice Jansen' });
      const notAllowed = await call(running.port, '/api/getUserAttributes', { upn: 'alice@contoso.com', requiredAttribs: ['passwordProfile'] }, opts);
      assert.equal(notAllowed.status, 400);
      assert.equal(notAllowed.json.code, 'ONRAMP_ERR_ATTRIBUTE_NOT_ALLOWED');

      const disabled = await call(running.port, '/api/getUserAttributes', { upn: 'bob@contoso.com' }, { client: clients.bob });
      assert.equal(disabled.status, 404);
      assert.equal(disabled.json.code, 'ONRAMP_ERR_UNKNOWN_USER');
      const other = await call(running.port, '/api/getUserAttributes', { upn: 'bob@contoso.com' }, opts);
      assert.equal(other.status, 403, "another user's attributes are never served");
    } finally {
      await running.app.close();
      await storage.close();
    }
  });
});

describe('autoSetWebSignature through the Exchange adapter (tenant simulator)', () => {
  test('sets it sanitised, skips the same content within 8 h, records each update; upstream failure → 503 with a correlation id', async () => {
    const storage = await sqliteBackend.open();
    const tenant = await startTestTenant({ users: 4, roamingSignatures: false });
    const exchange = tenant.clients({ maxRetryMs: 0 }).exchange;
    const running = await start(storage, {}, async (app, ctx) => {
      await app.register(signatureRoutes, { ctx, exchange });
    });
    try {
      const user = [...tenant.sim.control.tenant.users.values()].find((u) => u.accountEnabled && u.mail)!;
      const cert = await issueClientCertificate(issuing, { upn: user.userPrincipalName, keyType: 'ec' });
      const opts = { client: cert };
      const body = {
        upn: user.userPrincipalName,
        signatureHtml: '<p onclick="steal()">Regards,<br><b>Ada</b></p><script>alert(1)</script><a href="javascript:alert(1)">x</a>',
        signatureText: 'Regards, Ada',
      };
      const first = await call(running.port, '/api/autoSetWebSignature', body, opts);
      assert.equal(first.status, 200, JSON.stringify(first.json));
      assert.equal(first.json.result, 'set');
      const stored = tenant.sim.control.signature(user.userPrincipalName);
      assert.ok(stored);
      assert.equal(stored.html, '<p>Regards,<br /><b>Ada</b></p><a>x</a>');
      assert.equal(stored.autoAddSignature, true);

      const requestsBefore = tenant.sim.control.stats().graphRequests;
      const again = await call(running.port, '/api/autoSetWebSignature', body, opts);
      assert.equal(again.json.result, 'skipped');
      assert.equal(tenant.sim.control.stats().graphRequests, requestsBefore, 'no upstream call for unchanged content');

      // Entity-encoded, as the seed's device scripts send it: decoded, and different content → set.
      const encoded = await call(running.port, '/api/autoSetWebSignature', { ...body, signatureHtml: '&lt;p&gt;Cheers, Ada&lt;/p&gt;' }, opts);
      assert.equal(encoded.json.result, 'set');
      assert.equal(tenant.sim.control.signature(user.userPrincipalName)?.html, '<p>Cheers, Ada</p>');

      const big = await call(running.port, '/api/autoSetWebSignature', { ...body, signatureHtml: `<p>${'x'.repeat(160_000)}</p>` }, opts);
      assert.equal(big.status, 413);

      tenant.sim.control.setFaults({ failureRate503: 1 });
      const down = await call(running.port, '/api/autoSetWebSignature', { ...body, signatureText: 'changed' }, opts);
      assert.equal(down.status, 503);
      assert.equal(down.json.code, 'ONRAMP_ERR_UPSTREAM_UNAVAILABLE');
      assert.match(String(down.json.message), new RegExp(String(down.json.requestId)));

      const updates = await listSignatureUpdates(storage.db, user.userPrincipalName.toLowerCase());
      assert.deepEqual(
        updates.map((u) => u.result),
        ['set', 'skipped', 'set', 'failed'],
      );
    } finally {
      await running.app.close();
      await tenant.stop();
      await storage.close();
    }
  });
});
