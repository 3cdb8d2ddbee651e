/**
 * Issue 16, finding 1: a device that resumes its TLS session (Node's https.Agent session cache,
 * Windows' TLS stack, curl) must get the same answer as on its first, full handshake, on TLS 1.2 and
 * 1.3; and a certificate revoked after that first handshake must be refused on a resumed session.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildDeviceApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { OnrampContext } from '../../src/context.js';
import { resolveGatewayMaterial } from '../../src/gateway/gateway-material.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { createCrl, createIntermediateCa, createRootCa, issueClientCertificate, issueServerCertificate, type CertificateAuthority, type IssuedCertificate } from '../../src/pki/pki.js';
import { sqliteBackend, type TestStorage } from '../support/storage.js';

const dir = mkdtempSync(join(tmpdir(), 'onramp-resume-'));
let root: CertificateAuthority;
let issuing: CertificateAuthority;
let alice: IssuedCertificate;
const revokedLater: Record<string, IssuedCertificate> = {};
const revokedSerials: string[] = [];
let issuingCrl: string;
let app: FastifyInstance;
let storage: TestStorage;
let port: number;

before(async () => {
  root = await createRootCa('resume root');
  issuing = await createIntermediateCa(root, 'resume issuing');
  const server = await issueServerCertificate(issuing);
  alice = await issueClientCertificate(issuing, { upn: 'alice@contoso.com', keyType: 'ec' });
  for (const version of ['TLSv1.2', 'TLSv1.3']) revokedLater[version] = await issueClientCertificate(issuing, { upn: 'carol@contoso.com', keyType: 'ec' });
  const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
  issuingCrl = file('issuing.crl', await createCrl(issuing, []));
  const env = {
    ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json',
    ONRAMP_DEVICE_SERVER_CERT_FILE: file('server.pem', server.certPem + issuing.certPem),
    ONRAMP_DEVICE_SERVER_KEY_FILE: file('server.key', server.keyPem),
    ONRAMP_DEVICE_TRUST_ANCHORS_FILE: file('anchors.pem', root.certPem),
    ONRAMP_DEVICE_CRL_FILES: `${file('root.crl', await createCrl(root, []))},${issuingCrl}`,
    ONRAMP_DEVICE_CRL_RELOAD_INTERVAL_MS: '1000',
  };
  storage = await sqliteBackend.open();
  const config = loadConfig({ env: { ...env, ...storage.env } });
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

const beacon = (upn: string) => ({ upn, hostname: 'PC-042', operatingSystem: 'Windows 11 Enterprise', beaconLaunchTime: '2026-11-23T08:00:00Z' });

/** One call on a new connection (no keep-alive) through `agent`, whose session cache resumes TLS. */
function call(agent: Agent, client: IssuedCertificate, body: unknown): Promise<{ status: number; resumed: boolean; json: Record<string, unknown> }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/beacon',
        method: 'POST',
        agent,
        ca: root.certPem,
        servername: 'localhost',
        cert: client.certPem + issuing.certPem,
        key: client.keyPem,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), connection: 'close' },
      },
      (res) => {
        const resumed = (res.socket as TLSSocket).isSessionReused();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, resumed, json: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  describe(`a device resuming its TLS session [${version}]`, () => {
    test('gets 200 on every call, the later ones on resumed sessions', async () => {
      const agent = new Agent({ keepAlive: false, maxVersion: version, minVersion: version });
      try {
        const answers = [];
        for (let i = 0; i < 5; i++) answers.push(await call(agent, alice, beacon('alice@contoso.com')));
        assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200], JSON.stringify(answers.map((a) => a.json)));
        assert.equal(answers[0]!.resumed, false);
        assert.ok(answers.slice(1).every((a) => a.resumed), 'the client resumed its session (else this test tests nothing)');
      } finally {
        agent.destroy();
      }
    });

    test('a certificate revoked after the full handshake is refused on the resumed session', async () => {
      const agent = new Agent({ keepAlive: false, maxVersion: version, minVersion: version });
      const carol = revokedLater[version]!;
      try {
        assert.equal((await call(agent, carol, beacon('carol@contoso.com'))).status, 200);
        revokedSerials.push(carol.serialNumber);
        writeFileSync(issuingCrl, await createCrl(issuing, revokedSerials.map((serialNumber) => ({ serialNumber }))));
        // The CRL files are re-read every second; until then the old answer stands.
        let answer = await call(agent, carol, beacon('carol@contoso.com'));
        for (let i = 0; i < 50 && answer.status === 200; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          answer = await call(agent, carol, beacon('carol@contoso.com'));
        }
        assert.equal(answer.resumed, true, 'the refused call was on a resumed session');
        assert.equal(answer.status, 401);
        assert.equal(answer.json.code, 'ONRAMP_ERR_CLIENT_CERT_REJECTED');
        assert.match(String(answer.json.message), /revoked/);
        // Alice, on the same issuer, is still served on resumed sessions.
        const aliceAgent = new Agent({ keepAlive: false, maxVersion: version, minVersion: version });
        try {
          await call(aliceAgent, alice, beacon('alice@contoso.com'));
          const resumed = await call(aliceAgent, alice, beacon('alice@contoso.com'));
          assert.deepEqual([resumed.status, resumed.resumed], [200, true]);
        } finally {
          aliceAgent.destroy();
        }
      } finally {
        agent.destroy();
      }
    });
  });
}
