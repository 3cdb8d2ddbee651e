/**
 * The Exchange port (organisation config, Get/Set-MailboxMessageConfiguration, InvokeCommand throttling)
 * and user photos, through onramp's production clients against the tenant simulator.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import { UpstreamError, type WebSignature } from './graph-port.js';

const signature = (html: string): WebSignature => ({ html, text: html.replace(/<[^>]+>/g, ''), autoAddSignature: true, autoAddSignatureOnReply: false });

describe('Exchange port and photos against the simulator', () => {
  let t: TestTenant;
  const users = () => [...t.sim.control.tenant.users.values()].filter((u) => u.mail && u.accountEnabled);

  before(async () => {
    t = await startTestTenant({ users: 40, seed: 5 });
  });
  after(() => t.stop());

  it('reads the roaming flag; while roaming is on a set succeeds and changes nothing, after the flip it sets', async () => {
    const upn = users()[1]!.userPrincipalName;
    assert.equal(await t.exchange.roamingSignaturesEnabled(), true, 'new tenants have roaming signatures on');
    await t.exchange.setWebSignature(upn, signature('<p>Roaming</p>'));
    assert.equal((await t.exchange.getWebSignature(upn)).html, '', 'Exchange ignored SignatureHtml');
    assert.equal(t.sim.control.stats().ignoredSignatureUpdates, 1);

    t.sim.control.setRoamingSignatures(false);
    assert.equal(await t.exchange.roamingSignaturesEnabled(), false);
    await t.exchange.setWebSignature(upn, signature('<p>Grüße</p>'));
    assert.deepEqual(await t.exchange.getWebSignature(upn), { html: '<p>Grüße</p>', text: 'Grüße', autoAddSignature: true, autoAddSignatureOnReply: false });
    const counts = t.exchange.exchangeCounters().cmdlets;
    assert.equal(counts['Set-MailboxMessageConfiguration'], 2);
    assert.equal(counts['Get-OrganizationConfig'], 2);
  });

  it('answers 429 past the InvokeCommand concurrency limit; the client waits out Retry-After and every call lands', async () => {
    t.sim.control.setRoamingSignatures(false);
    t.sim.control.setFaults({ exchangeMaxConcurrency: 2, exchangeLatencyMs: 40 });
    // More in flight than the tenant allows: a client with its own limit above the simulator's.
    const eager = t.clients({ exchangeMaxConcurrency: 8, maxRetryMs: 20_000 });
    try {
      const targets = users().slice(0, 10);
      await Promise.all(targets.map((u) => eager.exchange.setWebSignature(u.userPrincipalName, signature(`<p>${u.displayName}</p>`))));
      for (const u of targets) assert.equal(t.sim.control.signature(u.userPrincipalName)?.html, `<p>${u.displayName}</p>`);
      assert.ok(t.sim.control.stats().exchangeThrottled > 0, 'the simulator throttled');
      assert.ok(eager.exchange.exchangeCounters().throttled > 0, 'the client saw 429s and retried');
    } finally {
      t.sim.control.setFaults({ exchangeMaxConcurrency: 0, exchangeLatencyMs: 0 });
    }
  });

  it('fails a mailbox named in failingNames with the upstream error', async () => {
    const upn = users()[2]!.userPrincipalName;
    t.sim.control.setFaults({ failingNames: [upn] });
    try {
      await assert.rejects(t.exchange.setWebSignature(upn, signature('<p>x</p>')), (err: unknown) => err instanceof UpstreamError && err.status === 500);
    } finally {
      t.sim.control.setFaults({ failingNames: [] });
    }
  });

  it('serves photos as real images with an etag, 404 ImageNotFound as null, and skips the download for a known etag', async () => {
    const withPhoto = users().find((u) => t.sim.control.tenant.photoOf(u.id));
    const without = users().find((u) => !t.sim.control.tenant.photoOf(u.id));
    assert.ok(withPhoto && without, 'the generated tenant has users with and without photos');
    const photo = await t.graph.getUserPhoto(withPhoto.id);
    assert.ok(photo && !photo.unchanged);
    assert.equal(photo.contentType, 'image/png');
    const meta = await sharp(photo.bytes).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 240, 240]);
    assert.match(photo.etag ?? '', /^"[0-9A-F]{8}"$/);
    assert.deepEqual(await t.graph.getUserPhoto(withPhoto.id, photo.etag), { unchanged: true, etag: photo.etag });
    assert.equal(await t.graph.getUserPhoto(without.id), null);

    const replacement = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c00' } })
      .jpeg()
      .toBuffer();
    t.sim.control.setPhoto(withPhoto.id, { bytes: replacement, contentType: 'image/jpeg', width: 64, height: 64 });
    const changed = await t.graph.getUserPhoto(withPhoto.id, photo.etag);
    assert.ok(changed && !changed.unchanged);
    assert.equal(changed.contentType, 'image/jpeg');
    assert.ok(changed.bytes.equals(replacement));
  });
});
