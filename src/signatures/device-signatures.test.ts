/** The device route over real mTLS: the certificate's user gets their rendered set, 304 when unchanged, and nobody else's. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDeviceListener, type DeviceListener } from '../../test/security/device-listener.js';
import { DirectoryPlanner } from '../../test/support/signature-planner.js';
import type { DirectoryProfile } from '../graph/graph-port.js';
import { deviceSignatureRoutes } from './device-signatures.routes.js';

const profile = (upn: string, displayName: string): DirectoryProfile => ({
  id: `id-${upn}`,
  accountEnabled: true,
  businessPhones: [],
  city: null,
  companyName: 'Contoso',
  country: null,
  department: 'Sales',
  displayName,
  employeeId: null,
  faxNumber: null,
  givenName: displayName.split(' ')[0]!,
  jobTitle: 'Seller',
  mail: upn,
  mailNickname: upn.split('@')[0]!,
  mobilePhone: null,
  officeLocation: null,
  postalCode: null,
  state: null,
  streetAddress: null,
  surname: null,
  interests: [],
  userPrincipalName: upn,
});

describe('GET /api/signatures on the device listener', () => {
  let listener: DeviceListener;
  let planner: DirectoryPlanner;
  const ada = 'ada@contoso.example';
  const bob = 'bob@contoso.example';

  before(async () => {
    listener = await startDeviceListener({}, async (app, ctx) => {
      planner = new DirectoryPlanner(ctx.storage.db);
      await app.register(deviceSignatureRoutes, { planner });
    });
    const now = new Date().toISOString();
    await listener.storage.db
      .insertInto('directory_user')
      .values(
        [profile(ada, 'Ada Ümlaut'), profile(bob, 'Bob Builder')].map((p) => ({
          id: p.id,
          upn_lower: p.userPrincipalName,
          account_enabled: 1,
          profile: JSON.stringify(p),
          synced_at: now,
        })),
      )
      .execute();
  });
  after(() => listener.close());

  it("answers the certificate's user with every file and the defaults, then 304 for the same set hash", async () => {
    const cert = await listener.issue(ada);
    const answer = await listener.call(cert, 'GET', `/api/signatures?upn=${encodeURIComponent(ada)}`);
    assert.equal(answer.status, 200);
    const set = answer.json as { upn: string; setHash: string; signatures: Array<Record<string, unknown>> };
    assert.equal(set.upn, ada);
    assert.match(set.setHash, /^[0-9a-f]{64}$/);
    const [signature] = set.signatures;
    assert.equal(signature?.name, 'Contoso');
    assert.equal(signature?.defaultForNew, true);
    assert.equal(signature?.defaultForReply, true);
    assert.equal(signature?.webHtml, '<p>Ada Ümlaut</p><p>Seller · Sales</p>');
    assert.match(String(signature?.htm), /<meta charset="utf-8">/);
    assert.match(String(signature?.rtf), /\\u220\?/, 'Ü as an RTF unicode escape');
    assert.equal(signature?.txt, 'Ada ÜmlautSeller · Sales');
    assert.match(String(signature?.version), /^[0-9a-f]{64}$/);

    const same = await listener.call(cert, 'GET', `/api/signatures?upn=${ada}`, undefined, { headers: { 'if-none-match': `"${set.setHash}"` } });
    assert.equal(same.status, 304);
    const stale = await listener.call(cert, 'GET', `/api/signatures?upn=${ada}`, undefined, { headers: { 'if-none-match': '"0000"' } });
    assert.equal(stale.status, 200);
  });

  it("never gives one user's set to another user's certificate", async () => {
    const bobs = await listener.issue(bob);
    const answer = await listener.call(bobs, 'GET', `/api/signatures?upn=${ada}`);
    assert.equal(answer.status, 403);
    assert.equal(answer.json.code, 'ONRAMP_ERR_IDENTITY_MISMATCH');
    const without = await listener.call(bobs, 'GET', '/api/signatures');
    assert.equal(without.status, 400);
    const own = await listener.call(bobs, 'GET', `/api/signatures?upn=${bob}`);
    assert.equal((own.json as { upn: string }).upn, bob);
  });

  it('is in the device API document, with its query and the 304', async () => {
    const doc = await listener.call(await listener.issue(ada), 'GET', '/openapi.json');
    const operation = (doc.json.paths as Record<string, { get?: { parameters?: Array<{ name: string; in: string }>; responses?: object } }>)['/api/signatures']
      ?.get;
    assert.deepEqual(
      operation?.parameters?.map((p) => [p.name, p.in]),
      [['upn', 'query']],
    );
    assert.ok(operation?.responses && '200' in operation.responses && '304' in operation.responses);
  });

  it('answers 404 for a user the directory does not know', async () => {
    const stranger = 'carol@contoso.example';
    const answer = await listener.call(await listener.issue(stranger), 'GET', `/api/signatures?upn=${stranger}`);
    assert.equal(answer.status, 404);
    assert.equal(answer.json.code, 'ONRAMP_ERR_NO_SIGNATURES');
  });
});
