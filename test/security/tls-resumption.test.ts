/**
 * Issue 16, finding 1: a device that resumes its TLS session (Node's https.Agent session cache,
 * Windows' TLS stack, curl) must get the same answer as on its first, full handshake, on TLS 1.2 and
 * 1.3; and a certificate revoked after that first handshake must be refused on a resumed session.
 * Before the fix every call after the first was a 401 "intermediate certificate missing".
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import type { IssuedCertificate } from '../../src/pki/pki.js';
import { startDeviceListener, type DeviceListener } from './device-listener.js';

let listener: DeviceListener;
let alice: IssuedCertificate;
const revokedLater: Record<string, IssuedCertificate> = {};
const revokedSerials: string[] = [];

before(async () => {
  listener = await startDeviceListener({ ONRAMP_DEVICE_CRL_RELOAD_INTERVAL_MS: '1000' });
  alice = await listener.issue('alice@contoso.com');
  for (const version of ['TLSv1.2', 'TLSv1.3']) revokedLater[version] = await listener.issue('carol@contoso.com');
});
after(async () => listener?.close());

const beacon = (upn: string) => ({ upn, hostname: 'PC-042', operatingSystem: 'Windows 11 Enterprise', beaconLaunchTime: '2026-11-23T08:00:00Z' });
/** A new connection per call (no keep-alive) through `agent`, whose session cache resumes TLS. */
const call = (agent: Agent, client: IssuedCertificate, upn: string) =>
  listener.call(client, 'POST', '/api/beacon', beacon(upn), { agent, headers: { connection: 'close' } });
const resumingAgent = (version: 'TLSv1.2' | 'TLSv1.3') => new Agent({ keepAlive: false, maxVersion: version, minVersion: version });

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  describe(`a device resuming its TLS session [${version}]`, () => {
    test('gets 200 on every call, the later ones on resumed sessions', async () => {
      const agent = resumingAgent(version);
      try {
        const answers = [];
        for (let i = 0; i < 5; i++) answers.push(await call(agent, alice, 'alice@contoso.com'));
        assert.deepEqual(
          answers.map((a) => a.status),
          [200, 200, 200, 200, 200],
          JSON.stringify(answers.map((a) => a.json)),
        );
        assert.equal(answers[0]!.resumed, false);
        assert.ok(
          answers.slice(1).every((a) => a.resumed),
          'the client resumed its session (else this test tests nothing)',
        );
      } finally {
        agent.destroy();
      }
    });

    test('a certificate revoked after the full handshake is refused on the resumed session', async () => {
      const agent = resumingAgent(version);
      const carol = revokedLater[version]!;
      try {
        assert.equal((await call(agent, carol, 'carol@contoso.com')).status, 200);
        revokedSerials.push(carol.serialNumber);
        await listener.revoke(revokedSerials);
        // The CRL files are re-read every second; until then the old answer stands.
        let answer = await call(agent, carol, 'carol@contoso.com');
        for (let i = 0; i < 50 && answer.status === 200; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          answer = await call(agent, carol, 'carol@contoso.com');
        }
        assert.equal(answer.resumed, true, 'the refused call was on a resumed session');
        assert.equal(answer.status, 401);
        assert.equal(answer.json.code, 'ONRAMP_ERR_CLIENT_CERT_REJECTED');
        assert.match(String(answer.json.message), /revoked/);
        // Alice, on the same issuer, is still served on resumed sessions.
        const aliceAgent = resumingAgent(version);
        try {
          await call(aliceAgent, alice, 'alice@contoso.com');
          const resumed = await call(aliceAgent, alice, 'alice@contoso.com');
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
