/**
 * The element appliers against the fake-root platform: what each writes where, what it never touches,
 * and what it reports instead of writing.
 */
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrandingFile, ManifestSignatures } from '../../../src/branding/manifest.schemas.js';
import type { DeviceSignatureSet } from '../../../src/signatures/deployment.schemas.js';
import { parseAgentConfig } from '../config.js';
import { FakeRootPlatform } from '../fake-root.js';
import type { KnownFolders } from '../platform.js';
import type { ElementRecord } from '../state.js';
import type { ApplyContext } from './element.js';
import { PERSONALIZATION_CSP_KEY, applyImage, applyMachineRequest } from './images.js';
import {
  ACCOUNTS_SUBKEY,
  OUTLOOK_MAIL_OPTIONS_KEY,
  OUTLOOK_PREFERENCES_KEY,
  SEND_PICTURES_VALUE,
  OUTLOOK_PROFILES_KEY,
  OUTLOOK_SETUP_KEY,
  applySignatures,
} from './signatures.js';
import { applyTeamsBackgrounds } from './teams.js';

const base = mkdtempSync(join(tmpdir(), 'onramp-agent-elements-'));
after(() => rmSync(base, { recursive: true, force: true }));

const config = parseAgentConfig({ serverUrl: 'https://onramp.example', upn: 'alice@contoso.com', credentials: { certFile: 'c.pem', keyFile: 'c.key' } }, base);
const blobs = new Map<string, Buffer>();
function file(fileName: string, text: string): BrandingFile {
  const bytes = Buffer.from(text);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  blobs.set(sha256, bytes);
  return { sha256, url: `/api/branding/assets/${sha256}`, contentType: 'image/png', size: bytes.length, fileName };
}

let platform: FakeRootPlatform;
let folders: KnownFolders;
let n = 0;
beforeEach(async () => {
  platform = new FakeRootPlatform({ root: join(base, `root-${++n}`) });
  folders = await platform.folders();
});
const context = (previous?: ElementRecord, over: Partial<ApplyContext> = {}): ApplyContext => ({
  platform,
  folders,
  config,
  previous,
  asset: async (f) => blobs.get(f.sha256)!,
  ...over,
});
const record = (owned: string[]): ElementRecord => ({ version: 'old', appliedAt: null, owned, packages: {} });

describe('signatures', () => {
  const manifestEntry: ManifestSignatures = {
    version: 'set-1',
    url: '/api/signatures?upn=alice%40contoso.com',
    defaultNew: 'Contoso',
    defaultReply: 'Reply',
    newSignatureVersion: 'n1',
    replySignatureVersion: 'r1',
    webSignatureVersion: 'w1',
  };
  const signature = (name: string, files: Array<{ path: string; text: string }> = []): DeviceSignatureSet['signatures'][number] => ({
    name,
    templateId: 1,
    templateVersion: 1,
    defaultForNew: name === 'Contoso',
    defaultForReply: name === 'Reply',
    version: `v-${name.length}`,
    htm: `<html><head><meta charset="utf-8"></head><body>${name}<img src="${name}_files/image001.png"></body></html>`,
    rtf: '{\\rtf1 x}',
    txt: name,
    webHtml: `<p>${name}</p>`,
    files: files.map((f) => ({ path: f.path, contentType: 'image/png', base64: Buffer.from(f.text).toString('base64') })),
  });
  const set = (...signatures: DeviceSignatureSet['signatures']): DeviceSignatureSet => ({
    upn: 'alice@contoso.com',
    mailbox: 'alice@contoso.com',
    setHash: 'set-1',
    signatures,
  });
  const folder = () => join(folders.appData, 'Microsoft', 'Signatures');
  const accountKey = `${OUTLOOK_PROFILES_KEY}\\Work\\${ACCOUNTS_SUBKEY}\\00000003`;
  const roamingOff = () => platform.registry.write(OUTLOOK_SETUP_KEY, 'DisableRoamingSignaturesTemporaryToggle', { type: 'REG_DWORD', data: 1 });

  test('writes the files, the _files images and the defaults on the account whose name is the mailbox (REG_SZ); other accounts untouched', async () => {
    await roamingOff();
    await platform.registry.write(accountKey, 'Account Name', { type: 'REG_SZ', data: 'Alice@Contoso.com' });
    const other = `${OUTLOOK_PROFILES_KEY}\\Work\\${ACCOUNTS_SUBKEY}\\00000004`;
    await platform.registry.write(other, 'Account Name', { type: 'REG_SZ', data: 'shared@contoso.com' });
    const outcome = await applySignatures(
      manifestEntry,
      set(signature('Contoso', [{ path: 'Contoso_files/image001.png', text: 'logo' }]), signature('Reply')),
      context(),
    );
    assert.equal(outcome.status, 'applied', JSON.stringify(outcome));
    assert.deepEqual(readdirSync(folder()).sort(), ['Contoso.htm', 'Contoso.rtf', 'Contoso.txt', 'Contoso_files', 'Reply.htm', 'Reply.rtf', 'Reply.txt']);
    assert.equal(readFileSync(join(folder(), 'Contoso_files', 'image001.png'), 'utf8'), 'logo');
    assert.match(readFileSync(join(folder(), 'Contoso.htm'), 'utf8'), /^<html><head><meta name="onramp-signature" content="v-7"><meta charset/);
    assert.deepEqual(await platform.registry.read(accountKey, 'New Signature'), { type: 'REG_SZ', data: 'Contoso' });
    assert.deepEqual(await platform.registry.read(accountKey, 'Reply-Forward Signature'), { type: 'REG_SZ', data: 'Reply' });
    assert.equal(await platform.registry.read(other, 'New Signature'), null);
    assert.deepEqual(outcome.status === 'applied' && outcome.packages, { newSignatureVersion: 'n1', replySignatureVersion: 'r1', webSignatureVersion: 'w1' });
  });

  test('a signature with images sets Send Pictures With Document, so Outlook embeds them; none with images leaves it alone', async () => {
    await roamingOff();
    await applySignatures({ ...manifestEntry, defaultNew: null, defaultReply: null }, set(signature('Reply')), context());
    assert.equal(await platform.registry.read(OUTLOOK_MAIL_OPTIONS_KEY, SEND_PICTURES_VALUE), null);
    await platform.registry.write(OUTLOOK_MAIL_OPTIONS_KEY, SEND_PICTURES_VALUE, { type: 'REG_DWORD', data: 0 });
    const outcome = await applySignatures(
      { ...manifestEntry, defaultNew: null, defaultReply: null },
      set(signature('Contoso', [{ path: 'Contoso_files/image001.png', text: 'logo' }])),
      context(),
    );
    assert.equal(outcome.status, 'applied', JSON.stringify(outcome));
    assert.deepEqual(await platform.registry.read(OUTLOOK_MAIL_OPTIONS_KEY, SEND_PICTURES_VALUE), { type: 'REG_DWORD', data: 1 });
  });

  test('never touches a signature the user made; removes only the ones onramp wrote that left the set, keeps one the user edited', async () => {
    await roamingOff();
    mkdirSync(folder(), { recursive: true });
    writeFileSync(join(folder(), 'Contoso.htm'), '<html><body>my own Contoso</body></html>');
    writeFileSync(join(folder(), 'Old.htm'), '<html><head><meta name="onramp-signature" content="x"></head></html>');
    writeFileSync(join(folder(), 'Old.txt'), 'old');
    mkdirSync(join(folder(), 'Old_files'));
    writeFileSync(join(folder(), 'Edited.htm'), '<html><body>rewritten by Outlook, marker gone</body></html>');
    const outcome = await applySignatures(
      { ...manifestEntry, defaultNew: null, defaultReply: null },
      set(signature('Contoso'), signature('Reply')),
      context(record(['Old', 'Edited'])),
    );
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.status === 'failed' ? outcome.detail : '', /a signature named "Contoso" exists that onramp did not write/);
    assert.equal(readFileSync(join(folder(), 'Contoso.htm'), 'utf8'), '<html><body>my own Contoso</body></html>');
    assert.deepEqual(readdirSync(folder()).sort(), ['Contoso.htm', 'Edited.htm', 'Reply.htm', 'Reply.rtf', 'Reply.txt']);
    assert.deepEqual(outcome.owned, ['Reply']);
  });

  test('a stale image in an onramp signature’s _files folder goes', async () => {
    await roamingOff();
    const first = [
      { path: 'Contoso_files/image001.png', text: 'a' },
      { path: 'Contoso_files/image002.png', text: 'b' },
    ];
    await applySignatures({ ...manifestEntry, defaultNew: null, defaultReply: null }, set(signature('Contoso', first)), context());
    await applySignatures(
      { ...manifestEntry, defaultNew: null, defaultReply: null },
      set(signature('Contoso', first.slice(0, 1))),
      context(record(['Contoso'])),
    );
    assert.deepEqual(readdirSync(join(folder(), 'Contoso_files')), ['image001.png']);
  });

  test('new Outlook in use, or roaming signatures on: nothing is written, the reason is reported', async () => {
    await platform.registry.write(OUTLOOK_PREFERENCES_KEY, 'UseNewOutlook', { type: 'REG_DWORD', data: 1 });
    const newOutlook = await applySignatures(manifestEntry, set(signature('Contoso')), context());
    assert.equal(newOutlook.status, 'skipped');
    assert.match(newOutlook.status === 'skipped' ? newOutlook.detail : '', /new Outlook is in use/);
    await platform.registry.write(OUTLOOK_PREFERENCES_KEY, 'UseNewOutlook', { type: 'REG_DWORD', data: 0 });
    await platform.registry.write(OUTLOOK_SETUP_KEY, 'DisableRoamingSignaturesTemporaryToggle', { type: 'REG_DWORD', data: 0 });
    const roaming = await applySignatures(manifestEntry, set(signature('Contoso')), context());
    assert.equal(roaming.status, 'skipped');
    assert.match(roaming.status === 'skipped' ? roaming.detail : '', /roaming signatures on/);
    assert.equal(existsSync(folder()), false);
  });

  test('a name or file path that would leave the signature folder refuses the set, writing nothing', async () => {
    for (const bad of [set(signature('..\\evil')), set(signature('Contoso', [{ path: 'Contoso_files/../../x.png', text: 'x' }])), set(signature('CON'))]) {
      const outcome = await applySignatures(manifestEntry, bad, context());
      assert.equal(outcome.status, 'failed');
      assert.match(outcome.status === 'failed' ? outcome.detail : '', /signature set refused/);
    }
    assert.equal(existsSync(folder()), false);
  });
});

describe('wallpaper and lock screen', () => {
  const image = (text: string) => ({ version: `v-${text}`, file: file('brand.png', text), assignment: { id: 1, name: 'All' } });

  test('not elevated: the file is placed and the SYSTEM part asked; the machine run writes PersonalizationCSP; the next user run counts it applied', async () => {
    const desired = image('one');
    const first = await applyImage('wallpaper', desired, context());
    assert.equal(first.status, 'waiting');
    assert.match(first.status === 'waiting' ? first.detail : '', /needs the SYSTEM task/);
    assert.equal(await platform.registry.read(PERSONALIZATION_CSP_KEY, 'DesktopImagePath'), null);

    const system = new FakeRootPlatform({ root: join(base, `root-${n}`), elevated: true });
    assert.deepEqual(await applyMachineRequest(system), [{ kind: 'wallpaper', status: 'applied' }]);
    const path = join(folders.programData, 'wallpaper', `${desired.file.sha256.slice(0, 12)}-brand.png`);
    assert.deepEqual(await platform.registry.read(PERSONALIZATION_CSP_KEY, 'DesktopImagePath'), { type: 'REG_SZ', data: path });
    assert.deepEqual(await platform.registry.read(PERSONALIZATION_CSP_KEY, 'DesktopImageUrl'), { type: 'REG_SZ', data: path });
    assert.deepEqual(await platform.registry.read(PERSONALIZATION_CSP_KEY, 'DesktopImageStatus'), { type: 'REG_DWORD', data: 1 });
    assert.deepEqual(await applyMachineRequest(system), [{ kind: 'wallpaper', status: 'unchanged' }]);

    const second = await applyImage('wallpaper', desired, context(first.owned && record(first.owned)));
    assert.equal(second.status, 'applied');
  });

  test('the SYSTEM part refuses a request for a file outside its folder or with another hash', async () => {
    const system = new FakeRootPlatform({ root: join(base, `root-${n}`), elevated: true });
    const outside = join(base, 'elsewhere.png');
    writeFileSync(outside, 'x');
    mkdirSync(folders.programData, { recursive: true });
    const inside = join(folders.programData, 'lockScreen', 'swapped.png');
    mkdirSync(join(folders.programData, 'lockScreen'));
    writeFileSync(inside, 'swapped by the user');
    writeFileSync(
      join(folders.programData, 'machine-request.json'),
      JSON.stringify({ wallpaper: { path: outside, sha256: 'a'.repeat(64) }, lockScreen: { path: inside, sha256: 'b'.repeat(64) } }),
    );
    const outcomes = await applyMachineRequest(system);
    assert.deepEqual(
      outcomes.map((o) => [o.kind, o.status]),
      [
        ['wallpaper', 'refused'],
        ['lockScreen', 'refused'],
      ],
    );
    assert.equal(await platform.registry.read(PERSONALIZATION_CSP_KEY, 'LockScreenImagePath'), null);
    await assert.rejects(applyMachineRequest(platform), /must run elevated/);
  });
});

describe('Teams backgrounds', () => {
  const backgrounds = (ids: string[]) => ({
    version: ids.join('+'),
    images: ids.map((id) => ({ id, image: file('bg.png', `image ${id}`), thumbnail: file('bg_thumb.jpg', `thumb ${id}`) })),
    assignment: { id: 1, name: 'All' },
  });
  const A = '11111111-1111-4111-8111-111111111111';
  const B = '22222222-2222-4222-8222-222222222222';

  test('no Teams installed: skipped, no folder made', async () => {
    const outcome = await applyTeamsBackgrounds(backgrounds([A]), context());
    assert.equal(outcome.status, 'skipped');
    assert.equal(existsSync(join(folders.appData, 'Microsoft')), false);
  });

  test('new Teams only: written there as <guid>.<ext> and <guid>_thumb.<ext>; a background that left the set goes, the user’s own stays', async () => {
    const uploads = join(folders.localAppData, 'Packages', 'MSTeams_8wekyb3d8bbwe', 'LocalCache', 'Microsoft', 'MSTeams', 'Backgrounds', 'Uploads');
    mkdirSync(uploads, { recursive: true });
    writeFileSync(join(uploads, 'mine.png'), 'my cat');
    const first = await applyTeamsBackgrounds(backgrounds([A, B]), context());
    assert.equal(first.status, 'applied');
    assert.deepEqual(readdirSync(uploads).sort(), [`${A}.png`, `${A}_thumb.jpg`, `${B}.png`, `${B}_thumb.jpg`, 'mine.png']);
    const second = await applyTeamsBackgrounds(backgrounds([B]), context(record(first.owned!)));
    assert.equal(second.status, 'applied');
    assert.deepEqual(readdirSync(uploads).sort(), [`${B}.png`, `${B}_thumb.jpg`, 'mine.png']);
    assert.equal(existsSync(join(folders.appData, 'Microsoft', 'Teams')), false, 'classic Teams is not installed: no folder made');
  });
});

describe('removals stay inside the folders the agent writes', () => {
  test('owned paths from a damaged state file outside those folders are left alone', async () => {
    const outside = join(base, `keep-${n}.png`);
    writeFileSync(outside, 'not ours');
    mkdirSync(join(folders.appData, 'Microsoft', 'Teams'), { recursive: true });
    const bg = { version: 'x', images: [], assignment: { id: 1, name: 'All' } };
    assert.equal((await applyTeamsBackgrounds(bg, context(record([outside])))).status, 'applied');
    await applyImage('wallpaper', { version: 'v', file: file('w.png', 'w'), assignment: { id: 1, name: 'All' } }, context(record([outside])));
    await platform.registry.write(OUTLOOK_SETUP_KEY, 'DisableRoamingSignaturesTemporaryToggle', { type: 'REG_DWORD', data: 1 });
    const signatures = { upn: 'a@b.c', mailbox: 'a@b.c', setHash: 's', signatures: [] };
    const entry = {
      version: 's',
      url: '/x',
      defaultNew: null,
      defaultReply: null,
      newSignatureVersion: '',
      replySignatureVersion: '',
      webSignatureVersion: '',
    };
    await applySignatures(entry, signatures, context(record([`..${join('/', outside)}`, '../../keep'])));
    assert.equal(readFileSync(outside, 'utf8'), 'not ours');
  });
});
