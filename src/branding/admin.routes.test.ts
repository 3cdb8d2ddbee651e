/** The branding admin API (inject, both databases): uploads checked by content, assignments, explain, the manifest's versions. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKENDS } from '../../test/support/storage.js';
import { adminApp } from '../../test/support/admin-app.js';
import { addDirectoryUsers, jpeg, mp4, multipartBody, png, profile } from '../../test/support/branding.js';
import type { Assignment, AssignmentInput, BrandingAsset, BrandingExplanation } from './branding.schemas.js';
import type { DeviceManifest } from './manifest.schemas.js';

const ada = 'ada@contoso.example';
const bob = 'bob@contoso.example';

/** Every stored file's name under the branding folder (temporary files included, so a leftover shows). */
function storedFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8', withFileTypes: false })
    .filter((f) => /[0-9a-f]{64}$|\.part$/.test(f))
    .sort();
}

for (const backend of BACKENDS) {
  describe(`branding admin API [${backend.name}]`, { skip: backend.skip }, () => {
    let h: Awaited<ReturnType<typeof adminApp>>;
    let dir: string;
    const upload = async (name: string, contentType: string, bytes: Buffer) => {
      const { body, headers } = multipartBody([{ name, contentType, bytes }]);
      return h.app.inject({ method: 'POST', url: '/api/branding/assets', headers: { ...h.as(h.admin), ...headers }, payload: body });
    };
    const assign = (input: AssignmentInput) => h.app.inject({ method: 'POST', url: '/api/branding/assignments', headers: h.as(h.admin), payload: input });
    const manifestOf = async (user: string, hostname: string) =>
      (
        await h.app.inject({ method: 'GET', url: `/api/branding/manifest?user=${user}&hostname=${hostname}`, headers: h.as(h.viewer) })
      ).json() as DeviceManifest;
    const everyone = { conditions: {}, exclusions: {}, window: null, enabled: true };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'onramp-branding-'));
      const storage = await backend.open();
      h = await adminApp(
        storage,
        {},
        { ONRAMP_BRANDING_STORAGE_DIR: dir, ONRAMP_BRANDING_MAX_IMAGE_BYTES: '400000', ONRAMP_BRANDING_MAX_VIDEO_BYTES: '600000' },
      );
      await addDirectoryUsers(storage.db, [profile(ada, 'Ada Lovelace', 'Sales'), profile(bob, 'Bob Builder', 'Finance')]);
    });
    after(async () => {
      await h.app.close();
      await h.storage.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('refuses by content with a reason and stores nothing: a PNG named .mp4, an executable named .png, too large, too small, truncated', async () => {
      const picture = await png(640, 400);
      const cases: Array<[string, string, Buffer, RegExp]> = [
        ['holiday.mp4', 'video/mp4', picture, /named \.mp4 but its content is image\/png/],
        ['setup.png', 'image/png', Buffer.from('MZ\x90\0\x03\0\0\0 this is not a picture'), /not a PNG or JPEG image, nor an MP4 or WebM video/],
        ['huge.png', 'image/png', Buffer.concat([picture, Buffer.alloc(450_000)]), /over the image limit of 400000 \(branding\.maxImageBytes\)/],
        ['icon.png', 'image/png', await png(64, 64), /64×64 pixels is under the minimum of 320/],
        ['cut.png', 'image/png', picture.subarray(0, Math.floor(picture.length / 2)), /does not decode|damaged or truncated/],
        ['cut.mp4', 'video/mp4', mp4().subarray(0, 2000), /truncated/],
        ['over-multipart.mp4', 'video/mp4', mp4(700_000), /over the largest allowed size \(branding\.maxImageBytes 400000, branding\.maxVideoBytes 600000\)/],
      ];
      for (const [name, type, bytes, reason] of cases) {
        const res = await upload(name, type, bytes);
        assert.equal(res.statusCode, 400, `${name}: ${res.body}`);
        assert.equal(res.json().code, 'ONRAMP_ERR_BRANDING_FILE_REJECTED', name);
        assert.match(res.json().message, reason, name);
      }
      assert.deepEqual(storedFiles(dir), [], 'no file, temporary or kept');
      const list = await h.app.inject({ method: 'GET', url: '/api/branding/assets', headers: h.as(h.viewer) });
      assert.deepEqual(list.json().assets, []);
    });

    test('keeps images and videos under their SHA-256, with a Teams thumbnail for images; the same bytes again are the same file', async () => {
      const wallpaper = await png(1280, 720);
      const res = await upload('wallpaper.png', 'image/png', wallpaper);
      assert.equal(res.statusCode, 201, res.body);
      const asset = res.json() as BrandingAsset;
      assert.equal(asset.media, 'image');
      assert.equal(asset.contentType, 'image/png');
      assert.deepEqual([asset.width, asset.height, asset.size], [1280, 720, wallpaper.length]);
      assert.match(asset.thumbnailSha256 ?? '', /^[0-9a-f]{64}$/);
      const again = (await upload('copy.png', 'image/png', wallpaper)).json() as BrandingAsset;
      assert.equal(again.sha256, asset.sha256);
      assert.equal(again.name, 'wallpaper.png', 'the first upload names it');

      const video = (await upload('loop.mp4', 'video/mp4', mp4())).json() as BrandingAsset;
      assert.equal(video.media, 'video');
      assert.equal(video.thumbnailSha256, null);
      const photo = (await upload('lock.jpg', 'image/jpeg', await jpeg(1920, 1080))).json() as BrandingAsset;
      assert.equal(photo.contentType, 'image/jpeg');
      assert.deepEqual(
        storedFiles(dir).map((f) => f.slice(-64)),
        [asset.sha256, asset.thumbnailSha256, video.sha256, photo.sha256, photo.thumbnailSha256].sort(),
      );
      const thumb = await h.app.inject({ method: 'GET', url: `/api/branding/files/${asset.thumbnailSha256}`, headers: h.as(h.viewer) });
      assert.equal(thumb.headers['content-type'], 'image/png');
      assert.equal(thumb.headers.etag, `"${asset.thumbnailSha256}"`);

      const audit = await h.app.inject({ method: 'GET', url: '/api/admin/audit?limit=20', headers: h.as(h.admin) });
      assert.ok(JSON.stringify(audit.json()).includes('branding.asset.upload'));
    });

    test('assignments choose per element by priority; explain says why; the manifest version moves only when an element does', async () => {
      const assets = (await h.app.inject({ method: 'GET', url: '/api/branding/assets', headers: h.as(h.viewer) })).json().assets as BrandingAsset[];
      const wallpaper = assets.find((a) => a.name === 'wallpaper.png')!;
      const video = assets.find((a) => a.media === 'video')!;
      const lock = assets.find((a) => a.contentType === 'image/jpeg')!;

      const wrong = await assign({ ...everyone, name: 'Video wallpaper', element: 'wallpaper', assets: [video.sha256] });
      assert.equal(wrong.statusCode, 400);
      assert.equal(wrong.json().code, 'ONRAMP_ERR_ASSIGNMENT_INVALID');
      assert.match(wrong.json().message, /loop\.mp4 is a video; wallpaper takes images/);
      const noSettings = await assign({ ...everyone, name: 'Saver', element: 'screensaver', assets: [video.sha256] });
      assert.match(noSettings.json().message, /needs its settings/);

      const sales = (
        await assign({ ...everyone, name: 'Sales wallpaper', element: 'wallpaper', assets: [wallpaper.sha256], conditions: { departments: ['sales'] } })
      ).json() as Assignment;
      const all = (await assign({ ...everyone, name: 'Company lock screen', element: 'lockScreen', assets: [lock.sha256] })).json() as Assignment;
      const labs = (
        await assign({
          ...everyone,
          name: 'Lab screensaver',
          element: 'screensaver',
          assets: [video.sha256],
          screensaver: { timeoutSeconds: 300, secure: true },
          conditions: { hostnames: ['LAB-*'] },
        })
      ).json() as Assignment;
      const fallback = (await assign({ ...everyone, name: 'Everyone wallpaper', element: 'wallpaper', assets: [lock.sha256] })).json() as Assignment;
      assert.deepEqual([sales.priority, all.priority, labs.priority, fallback.priority], [1, 2, 3, 4]);

      const adaLab = await manifestOf(ada, 'LAB-07');
      assert.equal(adaLab.elements.wallpaper?.file.sha256, wallpaper.sha256);
      assert.equal(adaLab.elements.wallpaper?.assignment.name, 'Sales wallpaper');
      assert.equal(adaLab.elements.wallpaper?.file.url, `/api/branding/assets/${wallpaper.sha256}`);
      assert.equal(adaLab.elements.lockScreen?.file.fileName, `${lock.sha256.slice(0, 16)}.jpg`);
      assert.equal(adaLab.elements.screensaver?.timeoutSeconds, 300);
      assert.equal(adaLab.elements.teamsBackgrounds, null);
      assert.equal(adaLab.hostname, 'lab-07');
      const bobDesk = await manifestOf(bob, 'DESK-1');
      assert.equal(bobDesk.elements.wallpaper?.assignment.name, 'Everyone wallpaper');
      assert.equal(bobDesk.elements.screensaver, null);

      const why = (
        await h.app.inject({ method: 'GET', url: `/api/branding/explain?user=${bob}&hostname=DESK-1`, headers: h.as(h.viewer) })
      ).json() as BrandingExplanation;
      assert.deepEqual(why.chosen.wallpaper, { id: fallback.id, name: 'Everyone wallpaper' });
      assert.equal(why.manifestVersion, bobDesk.version);
      const verdict = (name: string) => why.verdicts.find((v) => v.name === name)!;
      assert.deepEqual(verdict('Sales wallpaper').reasons, ["not matched: department is Finance, rule wants 'sales'"]);
      assert.deepEqual(verdict('Lab screensaver').reasons, ["not matched: host name desk-1 matches none of 'LAB-*'"]);
      assert.ok(verdict('Everyone wallpaper').reasons.includes('sets the wallpaper'));
      const adaWhy = (
        await h.app.inject({ method: 'GET', url: `/api/branding/explain?user=${ada}&hostname=lab-07`, headers: h.as(h.viewer) })
      ).json() as BrandingExplanation;
      assert.ok(
        adaWhy.verdicts.find((v) => v.name === 'Everyone wallpaper')!.reasons.includes('the wallpaper was already chosen by Sales wallpaper (higher priority)'),
      );

      // Renaming an assignment changes no element: same version. Changing the screensaver's timeout does.
      const renamed = await h.app.inject({
        method: 'PUT',
        url: `/api/branding/assignments/${all.id}`,
        headers: h.as(h.admin),
        payload: { ...everyone, name: 'Lock screen (all)', element: 'lockScreen', assets: [lock.sha256] },
      });
      assert.equal(renamed.statusCode, 200, renamed.body);
      const afterRename = await manifestOf(ada, 'LAB-07');
      assert.equal(afterRename.version, adaLab.version);
      assert.equal(afterRename.elements.lockScreen?.assignment.name, 'Lock screen (all)');
      await h.app.inject({
        method: 'PUT',
        url: `/api/branding/assignments/${labs.id}`,
        headers: h.as(h.admin),
        payload: {
          ...everyone,
          name: 'Lab screensaver',
          element: 'screensaver',
          assets: [video.sha256],
          screensaver: { timeoutSeconds: 600, secure: true },
          conditions: { hostnames: ['LAB-*'] },
        },
      });
      const afterTimeout = await manifestOf(ada, 'LAB-07');
      assert.notEqual(afterTimeout.version, adaLab.version);
      assert.notEqual(afterTimeout.elements.screensaver?.version, adaLab.elements.screensaver?.version);
      assert.equal(afterTimeout.elements.wallpaper?.version, adaLab.elements.wallpaper?.version);
      assert.equal((await manifestOf(bob, 'DESK-1')).version, bobDesk.version, "Bob's device has no screensaver: unchanged");

      // Reordering puts the fallback first: Ada's wallpaper changes.
      const ids = [fallback.id, sales.id, all.id, labs.id];
      const reordered = await h.app.inject({ method: 'PUT', url: '/api/branding/assignments/order', headers: h.as(h.admin), payload: { ids } });
      assert.deepEqual(
        (reordered.json().assignments as Assignment[]).map((a) => a.id),
        ids,
      );
      assert.equal((await manifestOf(ada, 'LAB-07')).elements.wallpaper?.file.sha256, lock.sha256);

      const inUse = await h.app.inject({ method: 'DELETE', url: `/api/branding/assets/${video.sha256}`, headers: h.as(h.admin) });
      assert.equal(inUse.statusCode, 409);
      assert.match(inUse.json().message, /Lab screensaver/);
      assert.equal((await h.app.inject({ method: 'DELETE', url: `/api/branding/assignments/${labs.id}`, headers: h.as(h.admin) })).statusCode, 204);
      assert.equal((await h.app.inject({ method: 'DELETE', url: `/api/branding/assets/${video.sha256}`, headers: h.as(h.admin) })).statusCode, 204);
      assert.ok(!storedFiles(dir).some((f) => f.endsWith(video.sha256)), 'the file went with it');

      const unknown = await h.app.inject({ method: 'GET', url: '/api/branding/manifest?user=carol@contoso.example&hostname=X', headers: h.as(h.viewer) });
      assert.equal(unknown.statusCode, 404);
      assert.equal(unknown.json().code, 'ONRAMP_ERR_NO_SIGNATURES');
    });

    test("groups assignments name join the signature rules' tracked groups; explain says when their members are unread", async () => {
      const [file] = (await h.app.inject({ method: 'GET', url: '/api/branding/assets', headers: h.as(h.viewer) })).json().assets as BrandingAsset[];
      const group = { id: 'group-emea', displayName: 'Sales EMEA' };
      const created = await assign({ ...everyone, name: 'EMEA lock screen', element: 'lockScreen', assets: [file!.sha256], conditions: { groups: [group] } });
      assert.equal(created.statusCode, 201, created.body);
      assert.ok((await h.app.signatures.store.namedGroups()).some((g) => g.id === group.id));
      const why = (
        await h.app.inject({ method: 'GET', url: `/api/branding/explain?user=${ada}&hostname=PC-1`, headers: h.as(h.viewer) })
      ).json() as BrandingExplanation;
      assert.deepEqual(why.verdicts.find((v) => v.name === 'EMEA lock screen')?.reasons, [
        'not matched: not a member of group Sales EMEA (the members of Sales EMEA have not been read from Microsoft Graph yet)',
      ]);
    });

    test('viewers read, only admins change', async () => {
      const denied = await h.app.inject({
        method: 'POST',
        url: '/api/branding/assignments',
        headers: h.as(h.viewer),
        payload: { ...everyone, name: 'Mine', element: 'wallpaper', assets: ['0'.repeat(64)] },
      });
      assert.equal(denied.statusCode, 403);
      const { body, headers } = multipartBody([{ name: 'x.png', contentType: 'image/png', bytes: await png(400, 400) }]);
      const anonymous = await h.app.inject({ method: 'POST', url: '/api/branding/assets', headers, payload: body });
      assert.equal(anonymous.statusCode, 401);
    });
  });
}
