/**
 * Security regressions on the device listener: identity binding variants issue 16's review found
 * holding. The body's upn must be the certificate's identity exactly (after trimming and lower-casing):
 * homoglyphs, full-width signs, zero-width and NUL characters, trailing dots and duplicate JSON keys do
 * not make it someone else's, and a duplicate key acts for the value the route reads, never another.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getDeviceState } from '../../src/devices/devices.queries.js';
import type { IssuedCertificate } from '../../src/pki/pki.js';
import { startDeviceListener, type DeviceListener } from './device-listener.js';

let listener: DeviceListener;
let alice: IssuedCertificate;

before(async () => {
  listener = await startDeviceListener({ ONRAMP_DEVICE_IDENTITY_BURST: '1000' });
  alice = await listener.issue('alice@contoso.com');
});
after(async () => listener?.close());

const post = (rawBody: string, headers: Record<string, string> = {}) => listener.call(alice, 'POST', '/api/beacon', undefined, { rawBody, headers });
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
  assert.equal(await getDeviceState(listener.storage.db, 'pc-l0', 'аlice@contoso.com'), undefined);
});

test('duplicate keys: the binding checks the value the route acts on (the last), never another', async () => {
  const asBob = await post(
    '{"upn":"alice@contoso.com","hostname":"PC-D1","operatingSystem":"W","beaconLaunchTime":"2026-11-23T08:00:00Z","upn":"bob@contoso.com"}',
  );
  assert.equal(asBob.status, 403);
  assert.equal(await getDeviceState(listener.storage.db, 'pc-d1', 'bob@contoso.com'), undefined);
  const asAlice = await post(
    '{"upn":"bob@contoso.com","hostname":"PC-D2","operatingSystem":"W","beaconLaunchTime":"2026-11-23T08:00:00Z","upn":"alice@contoso.com"}',
  );
  assert.equal(asAlice.status, 200);
  assert.equal(asAlice.json.upn, 'alice@contoso.com');
});

test('prototype keys and a forwarded-certificate header from a non-proxy do not change the identity', async () => {
  const proto = await post('{"__proto__":{"upn":"alice@contoso.com"},"hostname":"PC-P1","operatingSystem":"W","beaconLaunchTime":"2026-11-23T08:00:00Z"}');
  assert.ok(proto.status === 400 || proto.status === 403, `answered ${proto.status}`);
  const forwarded = await post(beacon('bob@contoso.com', 'PC-F1'), { 'x-arr-clientcert': Buffer.from('bob').toString('base64') });
  assert.equal(forwarded.status, 403);
});
