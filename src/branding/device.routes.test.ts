/**
 * Branding on the device listener over real mTLS: the certificate's user gets their manifest (ETag,
 * 304, nobody else's), each answer is recorded as the device's expected state, and files download by
 * hash with strong ETags and ranges.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Value } from '@sinclair/typebox/value';
import { startDeviceListener, type DeviceListener } from '../../test/security/device-listener.js';
import { DirectoryPlanner } from '../../test/support/signature-planner.js';
import { addDirectoryUsers, png, profile } from '../../test/support/branding.js';
import type { IssuedCertificate } from '../pki/pki.js';
import { createBranding, type BrandingFeature } from './branding.plugin.js';
import { deviceBrandingRoutes, parseRange } from './device.routes.js';
import { DeviceManifest } from './manifest.schemas.js';
import { servedManifestPage, servedManifestsOf } from './served-manifests.js';
import { deviceSignatureRoutes } from '../signatures/device-signatures.routes.js';

const ada = 'ada@contoso.example';
const bob = 'bob@contoso.example';

describe('branding on the device listener', () => {
  let listener: DeviceListener;
  let branding: BrandingFeature;
  let planner: DirectoryPlanner;
  let adaCert: IssuedCertificate;
  let wallpaper: Buffer;
  let wallpaperSha: string;
  const dir = mkdtempSync(join(tmpdir(), 'onramp-branding-device-'));

  /** Raw bytes and headers of a GET (the listener's call() parses JSON). */
  const download = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: listener.port,
          path,
          ca: listener.root.certPem,
          servername: 'localhost',
          cert: adaCert.certPem + listener.issuing.certPem,
          key: adaCert.keyPem,
          agent: false,
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        },
      );
      req.on('error', reject);
      req.end();
    });

  before(async () => {
    listener = await startDeviceListener({ ONRAMP_BRANDING_STORAGE_DIR: dir }, async (app, ctx) => {
      planner = new DirectoryPlanner(ctx.storage.db);
      branding = createBranding(ctx, { signatures: planner });
      await app.register(deviceSignatureRoutes, { planner });
      await app.register(deviceBrandingRoutes, { branding });
    });
    await addDirectoryUsers(listener.storage.db, [profile(ada, 'Ada Lovelace'), profile(bob, 'Bob Builder')]);
    adaCert = await listener.issue(ada);
    wallpaper = await png(800, 600);
    const asset = await branding.store.upload(Readable.from([wallpaper]), 'wallpaper.png', 'test', () => false);
    wallpaperSha = asset.sha256;
    await branding.store.createAssignment(
      { name: 'Everyone', enabled: true, element: 'wallpaper', assets: [asset.sha256], conditions: {}, exclusions: {}, window: null },
      'test',
    );
  });
  after(async () => {
    await branding.close();
    await listener.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the certificate's user their manifest, valid against the contract, then 304 for its version", async () => {
    const answer = await listener.call(adaCert, 'GET', `/api/manifest?upn=${encodeURIComponent(ada)}&hostname=PC-ADA`);
    assert.equal(answer.status, 200);
    assert.ok(Value.Check(DeviceManifest, answer.json), JSON.stringify([...Value.Errors(DeviceManifest, answer.json)].slice(0, 3)));
    const manifest = answer.json as DeviceManifest;
    assert.equal(manifest.upn, ada);
    assert.equal(manifest.hostname, 'pc-ada');
    assert.equal(manifest.elements.wallpaper?.file.sha256, wallpaperSha);
    const signatures = manifest.elements.signatures!;
    const set = await listener.call(adaCert, 'GET', signatures.url);
    assert.equal(set.status, 200);
    assert.equal(signatures.version, set.json.setHash);
    assert.equal(signatures.webSignatureVersion, set.json.setHash);
    const [only] = set.json.signatures as Array<{ name: string; version: string }>;
    assert.equal(signatures.newSignatureVersion, only?.version);
    assert.equal(signatures.replySignatureVersion, only?.version);
    assert.equal(signatures.defaultNew, only?.name);

    const same = await listener.call(adaCert, 'GET', `/api/manifest?upn=${ada}&hostname=PC-ADA`, undefined, {
      headers: { 'if-none-match': `"${manifest.version}"` },
    });
    assert.equal(same.status, 304);
    const stale = await listener.call(adaCert, 'GET', `/api/manifest?upn=${ada}&hostname=PC-ADA`, undefined, { headers: { 'if-none-match': '"00"' } });
    assert.equal(stale.status, 200);

    // A signature change on this instance reaches the manifest at once (the host wires the store's onChange to invalidate).
    planner.templateVersion = 2;
    planner.template = '<p>{{displayName}}</p>';
    branding.manifests.invalidate();
    const changed = await listener.call(adaCert, 'GET', `/api/manifest?upn=${ada}&hostname=PC-ADA`, undefined, {
      headers: { 'if-none-match': `"${manifest.version}"` },
    });
    assert.equal(changed.status, 200);
    assert.notEqual((changed.json as DeviceManifest).version, manifest.version);
    assert.equal((changed.json as DeviceManifest).elements.wallpaper?.version, manifest.elements.wallpaper?.version);

    await branding.served.flush();
    const [record] = await servedManifestsOf(listener.storage.db, [ada]);
    assert.equal(record?.hostname, 'pc-ada');
    assert.equal(record?.manifestVersion, (changed.json as DeviceManifest).version);
    assert.equal(record?.expected.backgroundVersion, manifest.elements.wallpaper?.version);
    assert.equal(record?.expected.lockScreenVersion, '');
    assert.equal(record?.expected.newSignatureVersion, (changed.json as DeviceManifest).elements.signatures?.newSignatureVersion);
    assert.equal((await servedManifestPage(listener.storage.db, null, 10)).length, 1);
  });

  it("never gives one user's manifest to another user's certificate; an unknown user gets the signature route's 404", async () => {
    const bobs = await listener.issue(bob);
    const answer = await listener.call(bobs, 'GET', `/api/manifest?upn=${ada}&hostname=PC-ADA`);
    assert.equal(answer.status, 403);
    assert.equal(answer.json.code, 'ONRAMP_ERR_IDENTITY_MISMATCH');
    assert.equal((await listener.call(bobs, 'GET', '/api/manifest?hostname=PC-BOB')).status, 400);
    assert.equal((await listener.call(bobs, 'GET', `/api/manifest?upn=${bob}&hostname=bad%20name`)).status, 400);
    const stranger = 'carol@contoso.example';
    const unknown = await listener.call(await listener.issue(stranger), 'GET', `/api/manifest?upn=${stranger}&hostname=PC-1`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.code, 'ONRAMP_ERR_NO_SIGNATURES');
  });

  it('downloads a file by hash: strong ETag, 304, ranges (206, suffix, open-ended), 416 outside, If-Range', async () => {
    const path = `/api/branding/assets/${wallpaperSha}`;
    const whole = await download(path);
    assert.equal(whole.status, 200);
    assert.ok(whole.body.equals(wallpaper));
    assert.equal(whole.headers.etag, `"${wallpaperSha}"`);
    assert.equal(whole.headers['content-length'], String(wallpaper.length));
    assert.equal(whole.headers['content-type'], 'image/png');
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    assert.match(String(whole.headers['cache-control']), /immutable/);

    assert.equal((await download(path, { 'if-none-match': `"${wallpaperSha}"` })).status, 304);
    const part = await download(path, { range: 'bytes=10-19' });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 10-19/${wallpaper.length}`);
    assert.ok(part.body.equals(wallpaper.subarray(10, 20)));
    const tail = await download(path, { range: 'bytes=-5' });
    assert.ok(tail.body.equals(wallpaper.subarray(wallpaper.length - 5)));
    const rest = await download(path, { range: `bytes=${wallpaper.length - 3}-` });
    assert.equal(rest.headers['content-range'], `bytes ${wallpaper.length - 3}-${wallpaper.length - 1}/${wallpaper.length}`);
    const outside = await download(path, { range: `bytes=${wallpaper.length}-` });
    assert.equal(outside.status, 416);
    assert.equal(outside.headers['content-range'], `bytes */${wallpaper.length}`);
    assert.equal(JSON.parse(outside.body.toString()).code, 'ONRAMP_ERR_RANGE_NOT_SATISFIABLE');
    const otherValidator = await download(path, { range: 'bytes=0-9', 'if-range': '"something-else"' });
    assert.equal(otherValidator.status, 200, 'If-Range naming other bytes: the whole file');
    const missing = await download(`/api/branding/assets/${'a'.repeat(64)}`);
    assert.equal(missing.status, 404);
    assert.equal((await download('/api/branding/assets/not-a-hash')).status, 400);
  });

  it('reads ranges as RFC 9110 says', () => {
    assert.deepEqual(parseRange('bytes=0-0', 10), { kind: 'part', start: 0, end: 0 });
    assert.deepEqual(parseRange('bytes=5-100', 10), { kind: 'part', start: 5, end: 9 });
    assert.deepEqual(parseRange('bytes=-100', 10), { kind: 'part', start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=-0', 10), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=10-', 10), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=5-2', 10), { kind: 'whole' });
    assert.deepEqual(parseRange('bytes=0-1,4-5', 10), { kind: 'whole' });
    assert.deepEqual(parseRange('items=0-1', 10), { kind: 'whole' });
    assert.deepEqual(parseRange(undefined, 10), { kind: 'whole' });
  });
});
