import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { BACKENDS, type TestStorage } from '../../test/support/storage.js';
import { startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import type { DirectoryProfile } from '../graph/graph-port.js';
import { GraphPhotoSource } from './photos.js';
import type { SignatureImage } from './model.js';

for (const backend of BACKENDS) {
  describe(`photos from Graph, resized and cached [${backend.name}]`, { skip: backend.skip }, () => {
    let t: TestTenant;
    let storage: TestStorage;
    const clock = new ManualClock(new Date());
    let photos: GraphPhotoSource;
    const requests = () => t.sim.control.stats().graphRequests;
    const users = () => [...t.sim.control.tenant.users.values()];

    before(async () => {
      t = await startTestTenant({ users: 20, seed: 4 });
      storage = await backend.open();
      photos = new GraphPhotoSource(storage.db, t.graph, clock, createLogger('silent'), { size: 96, ttlMs: 3_600_000, timeoutMs: 2_000 });
    });
    after(async () => {
      await storage.close();
      await t.stop();
    });

    it('fetches once, resizes to a square JPEG, and serves later renders from the database', async () => {
      const user = users().find((u) => t.sim.control.tenant.photoOf(u.id))!;
      const before = requests();
      const image = await photos.photoOf(user.id);
      assert.ok(image);
      assert.equal(requests() - before, 2, 'metadata and $value');
      const meta = await sharp(image.bytes).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height, image.contentType], ['jpeg', 96, 96, 'image/jpeg']);
      assert.match(image.hash, /^[0-9a-f]{64}$/);
      const again = await photos.photoOf(user.id);
      assert.equal(requests() - before, 2, 'cached');
      assert.equal(again?.hash, image.hash);
    });

    it('remembers that a user has no photo', async () => {
      const user = users().find((u) => !t.sim.control.tenant.photoOf(u.id))!;
      const before = requests();
      assert.equal(await photos.photoOf(user.id), undefined);
      assert.equal(await photos.photoOf(user.id), undefined);
      assert.equal(requests() - before, 1, 'one 404, then the cache');
    });

    it('asks again after a directory change or the TTL, downloading only when the etag changed', async () => {
      const user = users().filter((u) => t.sim.control.tenant.photoOf(u.id))[1]!;
      const first = await photos.photoOf(user.id);
      await photos.directoryChanged({ upserted: [{ id: user.id } as DirectoryProfile], removed: [] });
      let before = requests();
      assert.equal((await photos.photoOf(user.id))?.hash, first?.hash);
      assert.equal(requests() - before, 1, 'same etag: metadata only');

      const replacement = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#0a0' } })
        .png()
        .toBuffer();
      t.sim.control.setPhoto(user.id, { bytes: replacement, contentType: 'image/png', width: 300, height: 200 });
      clock.advance(3_600_001);
      before = requests();
      const changed = await photos.photoOf(user.id);
      assert.equal(requests() - before, 2);
      assert.notEqual(changed?.hash, first?.hash);
      assert.deepEqual([changed?.width, changed?.height], [96, 96]);
    });

    it('never holds a render past the timeout: renders without the photo, and the fetch fills the cache', async () => {
      const slow = new GraphPhotoSource(storage.db, t.graph, clock, createLogger('silent'), { size: 96, ttlMs: 3_600_000, timeoutMs: 50 });
      const user = users().filter((u) => t.sim.control.tenant.photoOf(u.id))[2]!;
      t.sim.control.setFaults({ latencyMs: 400 });
      try {
        const started = Date.now();
        assert.equal(await slow.photoOf(user.id), undefined);
        assert.ok(Date.now() - started < 350, 'did not wait for Graph');
      } finally {
        t.sim.control.setFaults({ latencyMs: 0 });
      }
      let image: SignatureImage | undefined;
      for (let i = 0; i < 40 && !image; i++) {
        await new Promise((r) => setTimeout(r, 50));
        image = await slow.photoOf(user.id);
      }
      assert.ok(image, 'the background fetch stored the photo');
    });
  });
}
