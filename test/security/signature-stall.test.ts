/**
 * Issue 16, finding 2: one signature upload must not stall the server. A body over the size limit is
 * refused before the HTML is parsed; nesting and element count are limited (400); and what the limits
 * accept is sanitised in a worker thread, so /healthz answers meanwhile. Before the fix the 180,000
 * nested <div>s below held the event loop for 10 s and more.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import type { IssuedCertificate } from '../../src/pki/pki.js';
import { signatureRoutes } from '../../src/signatures/signatures.routes.js';
import { worstCaseSignatures } from '../../bench/scenarios/signatures.js';
import { startTestTenant, type TestTenant } from '../support/simulator.js';
import { startDeviceListener, type DeviceListener } from './device-listener.js';
import { median } from './stats.js';

const MAX_BYTES = 153_600;
const LIMITS = { maxNestingDepth: 48, maxElements: 5_000 };
let tenant: TestTenant;
let listener: DeviceListener;
let device: IssuedCertificate;
let upn: string;

before(async () => {
  tenant = await startTestTenant({ users: 2, roamingSignatures: false });
  upn = [...tenant.sim.control.tenant.users.values()].find((u) => u.accountEnabled && u.mail)!.userPrincipalName;
  const env = {
    ONRAMP_SIGNATURES_MAX_BYTES: String(MAX_BYTES),
    ONRAMP_SIGNATURES_MAX_NESTING_DEPTH: String(LIMITS.maxNestingDepth),
    ONRAMP_SIGNATURES_MAX_ELEMENTS: String(LIMITS.maxElements),
  };
  listener = await startDeviceListener(env, async (app, ctx) => {
    await app.register(signatureRoutes, { ctx, exchange: tenant.clients({ maxRetryMs: 0 }).exchange });
  });
  device = await listener.issue(upn);
});

after(async () => {
  await listener?.close();
  await tenant?.stop();
});

const call = (method: 'GET' | 'POST', path: string, body?: unknown, agent?: Agent) => listener.call(device, method, path, body, agent ? { agent } : {});
const signature = (signatureHtml: string) => ({ upn, signatureHtml, signatureText: 'Regards' });

test('over the size limit: 413 before parsing, also when entity-encoded', async () => {
  const nested = await call('POST', '/api/autoSetWebSignature', signature('<div>'.repeat(180_000)));
  assert.equal(nested.status, 413, JSON.stringify(nested.json));
  assert.equal(nested.json.code, 'ONRAMP_ERR_BODY_TOO_LARGE');
  assert.match(String(nested.json.message), /153600/);
  const encoded = await call('POST', '/api/autoSetWebSignature', signature('&lt;div&gt;'.repeat(60_000)));
  assert.equal(encoded.status, 413, JSON.stringify(encoded.json));
});

test('too deep or too many elements: 400 naming the limit, nothing set', async () => {
  const deep = await call('POST', '/api/autoSetWebSignature', signature('<div>'.repeat(30_000)));
  assert.equal(deep.status, 400, JSON.stringify(deep.json));
  assert.equal(deep.json.code, 'ONRAMP_ERR_SIGNATURE_TOO_COMPLEX');
  assert.match(String(deep.json.message), /nested more than 48 deep/);
  const many = await call('POST', '/api/autoSetWebSignature', signature('<br>'.repeat(30_000)));
  assert.equal(many.status, 400, JSON.stringify(many.json));
  assert.match(String(many.json.message), /more than 5000 elements/);
  // Implied end tags count as the parser counts them: 4,000 unclosed cells are side by side, not nested.
  const cells = await call('POST', '/api/autoSetWebSignature', signature(`<table><tr>${'<td>x'.repeat(4_000)}`));
  assert.equal(cells.status, 200, JSON.stringify(cells.json));
  assert.equal(tenant.sim.control.signature(upn)?.html.startsWith('<table><tr><td>x</td>'), true);
});

test('while the worst accepted signatures are sanitised, /healthz answers at once', async () => {
  // Room for the signature text and the marker that makes each upload new content.
  const shapes = Object.values(worstCaseSignatures(MAX_BYTES - 64, LIMITS));
  const uploads = Promise.all(
    [...shapes, '<div>'.repeat(30_000), '<br>'.repeat(30_000)].map((html, i) => call('POST', '/api/autoSetWebSignature', signature(`${html}<!-- ${i} -->`))),
  );
  let uploading = true;
  let lastUpload = 0;
  void uploads.then(() => {
    uploading = false;
    lastUpload = performance.now();
  });
  // Probes on one kept-alive connection, so each measures the server's event loop, not a handshake.
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
  await call('GET', '/healthz', undefined, keepAlive);
  const probes: Array<{ ms: number; answeredAt: number }> = [];
  while (uploading) {
    const probe = await call('GET', '/healthz', undefined, keepAlive);
    assert.equal(probe.status, 200);
    probes.push({ ms: probe.ms, answeredAt: performance.now() });
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const answers = await uploads;
  keepAlive.destroy();
  assert.deepEqual(
    answers.map((a) => a.status),
    [...shapes.map(() => 200), 400, 400],
    JSON.stringify(answers.map((a) => a.json)),
  );
  // Answered while the sanitiser worked (not queued behind it): several probes came back before the
  // last upload did, and typically within 100 ms (a median: one probe can lose its core to a neighbour).
  const during = probes.filter((p) => p.answeredAt < lastUpload);
  assert.ok(during.length >= 3, `only ${during.length} health probes answered during the uploads`);
  const typical = median(during.map((p) => p.ms));
  assert.ok(
    typical <= 100,
    `health probes took ${typical.toFixed(1)} ms (median of ${during.length}; max ${Math.max(...during.map((p) => p.ms)).toFixed(1)} ms)`,
  );
});
