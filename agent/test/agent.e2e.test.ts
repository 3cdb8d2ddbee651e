/**
 * The agent end to end on loopback: the real device listener (gateway over real mTLS, beacons, the
 * signature route, branding's manifest and asset routes over files and assignments in its store) and the agent's own command line (`sync --now --config …`) against a fake root in a
 * temp folder. Assertions read the files and the recorded registry the agent wrote, and the beacons
 * the server stored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import type { Beacon } from '../../src/devices/beacon.js';
import { getDeviceState, listBeaconHistory } from '../../src/devices/devices.queries.js';
import { mp4, png } from '../../test/support/branding.js';
import { sqliteBackend, type TestStorage } from '../../test/support/storage.js';
import { runCli } from '../src/cli.js';
import type { RecordedRegistry } from '../src/fake-root.js';
import type { AgentState, SyncStatus } from '../src/state.js';
import { profile, startDeviceServer, writeTestPki, type DeviceServer } from './device-server.js';

const UPN = 'alice@contoso.com';
const HOSTNAME = 'PC-042';
const dir = mkdtempSync(join(tmpdir(), 'onramp-agent-e2e-'));
const root = join(dir, 'root');
const user = join(root, 'Users', 'user', 'AppData');
const agentData = join(user, 'Local', 'onramp-agent');
const signatureFolder = join(user, 'Roaming', 'Microsoft', 'Handtekeningen');
const ACCOUNT_KEY = 'HKCU\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook\\9375CFF0413111d3B88A00104B2A6676\\00000002';
const CSP = 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\PersonalizationCSP';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** Uploads `bytes` as the admin API would (checked by content, stored by hash); its manifest entry follows. */
async function upload(server: DeviceServer, name: string, bytes: Buffer): Promise<string> {
  return (await server.branding.store.upload(Readable.from([bytes]), name, 'test', () => false)).sha256;
}
const everyone = { enabled: true, conditions: {}, exclusions: {}, window: null };

/** Every file under the fake root but the agent's own folder: path → content hash and mtime. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (path === agentData) continue;
      const info = statSync(path);
      if (info.isDirectory()) walk(path);
      else out[relative(root, path)] = `${sha256(readFileSync(path))} ${info.mtimeMs}`;
    }
  };
  walk(root);
  return out;
}

const registry = () => JSON.parse(readFileSync(join(root, 'registry.json'), 'utf8')) as RecordedRegistry;
const status = () => JSON.parse(readFileSync(join(agentData, 'status.json'), 'utf8')) as SyncStatus;
const state = () => JSON.parse(readFileSync(join(agentData, 'state.json'), 'utf8')) as AgentState;

async function sync(configFile: string): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await runCli(['sync', '--now', '--config', configFile], { out: (l) => out.push(l), err: (l) => out.push(l) });
  return { code, out: out.join('\n') };
}

/** The beacon writer batches (~100 ms): wait until `count` beacons are stored. */
async function beaconsStored(storage: TestStorage, count: number) {
  for (let i = 0; i < 100; i++) {
    const history = await listBeaconHistory(storage.db, HOSTNAME.toLowerCase(), UPN);
    if (history.length >= count) return history;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`fewer than ${count} beacons stored`);
}

describe('agent end to end over real mTLS against the device listener', () => {
  let storage: TestStorage;
  let server: DeviceServer;
  let configFile: string;
  let pfxConfigFile: string;
  const ids: Record<string, number> = {};
  /** What the server serves this device now (the branding planner, as the manifest route asks it). */
  const served = async () => (await server.branding.manifests.plan(UPN, HOSTNAME, new Date())).manifest;
  const imagePath = (kind: string, sha256: string) => join(root, 'ProgramData', 'onramp', kind, `${sha256.slice(0, 12)}-${sha256.slice(0, 16)}.png`);

  before(async () => {
    const pki = await writeTestPki(dir, UPN);
    storage = await sqliteBackend.open();
    server = await startDeviceServer({
      storage,
      env: { ...pki.env, ONRAMP_BRANDING_STORAGE_DIR: join(dir, 'branding'), ONRAMP_BRANDING_MANIFEST_CACHE_MS: '0' },
      users: [profile(UPN)],
    });
    const store = server.branding.store;
    const assign = async (name: string, input: Omit<Parameters<typeof store.createAssignment>[0], 'name' | keyof typeof everyone>) =>
      (ids[name] = (await store.createAssignment({ name, ...everyone, ...input }, 'test')).id);
    await assign('Wallpaper', { element: 'wallpaper', assets: [await upload(server, 'wallpaper.png', await png(640, 400, { r: 10, g: 20, b: 30 }))] });
    await assign('Lock screen', { element: 'lockScreen', assets: [await upload(server, 'lock.png', await png(640, 400, { r: 40, g: 50, b: 60 }))] });
    await assign('Teams', { element: 'teamsBackgrounds', assets: [await upload(server, 'office.png', await png(1280, 720, { r: 70, g: 80, b: 90 }))] });
    await assign('Screensaver', {
      element: 'screensaver',
      assets: [await upload(server, 'screensaver.mp4', mp4())],
      screensaver: { timeoutSeconds: 600, secure: true },
    });
    // The user's machine: classic and new Teams installed, a Dutch Outlook with roaming turned off,
    // the fake process elevated (an admin run), and a signature the user made themselves.
    mkdirSync(join(user, 'Roaming', 'Microsoft', 'Teams'), { recursive: true });
    mkdirSync(join(user, 'Local', 'Packages', 'MSTeams_8wekyb3d8bbwe'), { recursive: true });
    mkdirSync(signatureFolder, { recursive: true });
    writeFileSync(join(signatureFolder, 'Mine.htm'), '<html><body>my own</body></html>');
    const recorded: RecordedRegistry = {
      'HKCU\\Software\\Microsoft\\Office\\16.0\\Common\\General': { Signatures: { type: 'REG_SZ', data: 'Handtekeningen' } },
      'HKCU\\Software\\Microsoft\\Office\\16.0\\Outlook\\Setup': { DisableRoamingSignaturesTemporaryToggle: { type: 'REG_DWORD', data: 1 } },
    };
    writeFileSync(join(root, 'registry.json'), JSON.stringify(recorded));
    configFile = join(dir, 'agent.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        serverUrl: `https://127.0.0.1:${server.port}`,
        upn: UPN,
        hostname: HOSTNAME,
        credentials: { certFile: pki.agent.certFile, keyFile: pki.agent.keyFile },
        caFile: pki.agent.caFile,
        retries: 1,
        retryBaseDelayMs: 10,
        requestTimeoutMs: 5000,
        fakeRoot: { root: 'root', elevated: true },
      }),
    );
    pfxConfigFile = join(dir, 'agent-pfx.json');
    const pfxConfig = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(pfxConfigFile, JSON.stringify({ ...pfxConfig, credentials: { pfxFile: pki.agent.pfxFile, passphraseFile: pki.agent.passphraseFile } }));
  });

  after(async () => {
    await server.stop();
    await server.branding.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('first sync writes everything; signature defaults wait for the Outlook profile', async () => {
    const manifest = await served();
    const { code, out } = await sync(configFile);
    assert.equal(code, 2, out);
    const report = status();
    assert.equal(report.manifestSource, 'server');
    assert.equal(report.manifestVersion, manifest.version);
    for (const name of ['wallpaper', 'lockScreen', 'teamsBackgrounds', 'screensaver'] as const) assert.equal(report.elements[name]?.status, 'applied', out);
    assert.equal(report.elements.signatures?.status, 'failed');
    assert.match(report.elements.signatures?.detail ?? '', /no Outlook profile has an account named alice@contoso.com/);

    const htm = readFileSync(join(signatureFolder, 'Contoso.htm'), 'utf8');
    assert.match(htm, /<meta name="onramp-signature" content="[0-9a-f]+">/);
    assert.match(htm, /Alice Jansen/);
    assert.match(readFileSync(join(signatureFolder, 'Contoso.txt'), 'utf8'), /^\ufeffAlice Jansen/);
    assert.match(readFileSync(join(signatureFolder, 'Contoso.rtf'), 'utf8'), /^\{\\rtf1/);
    assert.equal(readFileSync(join(signatureFolder, 'Mine.htm'), 'utf8'), '<html><body>my own</body></html>');

    const reg = registry();
    const { wallpaper, lockScreen, teamsBackgrounds, screensaver } = manifest.elements;
    const wallpaperPath = imagePath('wallpaper', wallpaper!.file.sha256);
    assert.deepEqual(reg[CSP]?.DesktopImagePath, { type: 'REG_SZ', data: wallpaperPath });
    assert.deepEqual(reg[CSP]?.DesktopImageUrl, { type: 'REG_SZ', data: wallpaperPath });
    assert.deepEqual(reg[CSP]?.DesktopImageStatus, { type: 'REG_DWORD', data: 1 });
    assert.equal(sha256(readFileSync(wallpaperPath)), wallpaper!.file.sha256);
    assert.deepEqual(reg[CSP]?.LockScreenImagePath, { type: 'REG_SZ', data: imagePath('lockScreen', lockScreen!.file.sha256) });
    assert.deepEqual(reg['HKCU\\Control Panel\\Desktop'], {
      ScreenSaveActive: { type: 'REG_SZ', data: '1' },
      ScreenSaveTimeOut: { type: 'REG_SZ', data: '600' },
      ScreenSaverIsSecure: { type: 'REG_SZ', data: '1' },
    });
    assert.equal(sha256(readFileSync(join(agentData, 'screensaver', 'current.mp4'))), screensaver!.file.sha256);
    const [background] = teamsBackgrounds!.images;
    for (const uploads of [
      join(user, 'Roaming', 'Microsoft', 'Teams', 'Backgrounds', 'Uploads'),
      join(user, 'Local', 'Packages', 'MSTeams_8wekyb3d8bbwe', 'LocalCache', 'Microsoft', 'MSTeams', 'Backgrounds', 'Uploads'),
    ]) {
      assert.deepEqual(readdirSync(uploads).sort(), [`${background!.id}.png`, `${background!.id}_thumb.png`]);
      assert.equal(sha256(readFileSync(join(uploads, `${background!.id}_thumb.png`))), background!.thumbnail.sha256);
    }

    await beaconsStored(storage, 1);
    const device = await getDeviceState(storage.db, HOSTNAME.toLowerCase(), UPN);
    assert.equal(device?.background_version, wallpaper!.version);
    assert.equal(device?.lock_screen_version, lockScreen!.version);
    assert.equal(device?.teams_background_version, teamsBackgrounds!.version);
    assert.equal(device?.screensaver_version, screensaver!.version);
    assert.equal(device?.new_signature_version, '', 'signatures did not apply in full: no version reported');
  });

  test('second sync writes nothing (the manifest answers 304, versions are equal)', async () => {
    const before = snapshot();
    const etag = state().manifestEtag;
    assert.ok(etag);
    // A 200 would store the manifest again; a 304 leaves the cached file as it was.
    const cachedManifest = statSync(join(agentData, 'manifest.json')).mtimeMs;
    await sync(configFile);
    assert.deepEqual(snapshot(), before);
    assert.equal(statSync(join(agentData, 'manifest.json')).mtimeMs, cachedManifest);
    assert.equal(status().elements.wallpaper?.status, 'unchanged');
    assert.equal(state().manifestEtag, etag);
    await beaconsStored(storage, 2);
  });

  test('an asset change rewrites only that asset (and removes the old file)', async () => {
    const oldWallpaper = imagePath('wallpaper', (await served()).elements.wallpaper!.file.sha256);
    const store = server.branding.store;
    const current = await store.getAssignment(ids.Wallpaper!);
    const next = await upload(server, 'wallpaper-2.png', await png(640, 400, { r: 200, g: 20, b: 30 }));
    await store.updateAssignment(current.id, { ...everyone, name: current.name, element: 'wallpaper', assets: [next] }, 'test');
    const before = snapshot();
    await sync(configFile);
    const afterwards = snapshot();
    const changed = Object.keys({ ...before, ...afterwards }).filter((k) => before[k] !== afterwards[k]);
    assert.deepEqual(changed.sort(), [relative(root, oldWallpaper), relative(root, imagePath('wallpaper', next)), 'registry.json'].sort());
    assert.deepEqual(registry()[CSP]?.DesktopImagePath, { type: 'REG_SZ', data: imagePath('wallpaper', next) });
    assert.equal(status().elements.wallpaper?.applied, (await served()).elements.wallpaper!.version);
    assert.equal(status().elements.lockScreen?.status, 'unchanged');
  });

  test('server down: the cached manifest applies (Outlook made its profile meanwhile) and the beacon waits; back up: queued first, then the new one', async () => {
    await server.stop();
    // Outlook's first start: the account key, with its name as Outlook stores it (UTF-16LE, REG_BINARY).
    const reg = registry();
    reg[ACCOUNT_KEY] = { 'Account Name': { type: 'REG_BINARY', base64: Buffer.from(`${UPN}\0`, 'utf16le').toString('base64') } };
    writeFileSync(join(root, 'registry.json'), JSON.stringify(reg));

    const offline = await sync(configFile);
    assert.equal(offline.code, 3, offline.out);
    const report = status();
    assert.equal(report.manifestSource, 'cache');
    assert.match(report.serverProblem ?? '', /ECONNREFUSED/);
    assert.equal(report.elements.signatures?.status, 'applied', offline.out);
    assert.deepEqual(registry()[ACCOUNT_KEY]?.['New Signature'], { type: 'REG_SZ', data: 'Contoso' });
    assert.deepEqual(registry()[ACCOUNT_KEY]?.['Reply-Forward Signature'], { type: 'REG_SZ', data: 'Contoso' });
    assert.equal(report.beacons.queued, 1);
    const stored = (await listBeaconHistory(storage.db, HOSTNAME.toLowerCase(), UPN)).length;

    await server.start();
    const online = await sync(configFile);
    assert.equal(online.code, 0, online.out);
    assert.deepEqual(status().beacons, { delivered: 2, queued: 0, dropped: 0 });
    const history = await beaconsStored(storage, stored + 2);
    // As the server stores them (src/devices/beacon.ts: normaliseBeacon).
    const [queued, current] = history.slice(-2).map((row) => JSON.parse(row.payload) as Beacon);
    assert.ok(queued!.dates.beaconLaunchTime! < current!.dates.beaconLaunchTime!, 'the queued beacon is delivered first');
    const signatures = (await served()).elements.signatures!;
    assert.equal(queued!.packages.newSignatureVersion, signatures.newSignatureVersion, 'the offline apply is reported');
    assert.equal(queued!.packages.webSignatureVersion, signatures.webSignatureVersion);
    const device = await getDeviceState(storage.db, HOSTNAME.toLowerCase(), UPN);
    assert.equal(device?.new_signature_version, signatures.newSignatureVersion);
  });

  test('a corrupted download is refused: that element fails and keeps its version, the others apply', async () => {
    const before = await served();
    const store = server.branding.store;
    const lock = await upload(server, 'lock-2.png', await png(640, 400, { r: 1, g: 2, b: 3 }));
    // The server's stored copy is damaged (disk, a bad sync between instances): same size, other bytes.
    const onServer = join(dir, 'branding', lock.slice(0, 2), lock);
    writeFileSync(onServer, readFileSync(onServer).fill(0x41, 100, 108));
    const lockAssignment = await store.getAssignment(ids['Lock screen']!);
    await store.updateAssignment(lockAssignment.id, { ...everyone, name: lockAssignment.name, element: 'lockScreen', assets: [lock] }, 'test');
    const saver = await store.getAssignment(ids.Screensaver!);
    await store.updateAssignment(
      saver.id,
      { ...everyone, name: saver.name, element: 'screensaver', assets: saver.assets, screensaver: { timeoutSeconds: 900, secure: true } },
      'test',
    );
    const stored = (await listBeaconHistory(storage.db, HOSTNAME.toLowerCase(), UPN)).length;
    const { code, out } = await sync(configFile);
    assert.equal(code, 2, out);
    await beaconsStored(storage, stored + 1);
    const report = status();
    assert.equal(report.elements.lockScreen?.status, 'failed');
    assert.match(report.elements.lockScreen?.detail ?? '', /SHA-256/);
    assert.equal(report.elements.lockScreen?.applied, before.elements.lockScreen!.version);
    assert.equal(report.elements.screensaver?.status, 'applied');
    assert.deepEqual(registry()['HKCU\\Control Panel\\Desktop']?.ScreenSaveTimeOut, { type: 'REG_SZ', data: '900' });
    assert.deepEqual(registry()[CSP]?.LockScreenImagePath, { type: 'REG_SZ', data: imagePath('lockScreen', before.elements.lockScreen!.file.sha256) });
    assert.deepEqual(
      readdirSync(join(agentData, 'assets')).filter((f) => f.includes(lock) || f.endsWith('.download')),
      [],
    );
    assert.equal(readdirSync(join(root, 'ProgramData', 'onramp', 'lockScreen')).length, 1);
    const device = await getDeviceState(storage.db, HOSTNAME.toLowerCase(), UPN);
    assert.equal(device?.lock_screen_version, before.elements.lockScreen!.version);
  });

  test('PFX credentials (with the password in its own file) reach the server the same way', async () => {
    const { code, out } = await sync(pfxConfigFile);
    assert.equal(status().manifestSource, 'server', out);
    assert.equal(status().serverProblem, null);
    // The damaged file is still on the server: asked for again, refused again.
    assert.equal(code, 2);
    assert.match(status().elements.lockScreen?.detail ?? '', /SHA-256/);
  });

  describe('upn "auto": the platform finds the signed-in user', () => {
    const autoConfig = (fakeRootUpn?: string) => {
      const file = join(dir, `agent-auto-${fakeRootUpn ?? 'local'}.json`);
      const base = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify({ ...base, upn: 'auto', fakeRoot: { root: 'root', elevated: true, ...(fakeRootUpn ? { upn: fakeRootUpn } : {}) } }));
      return file;
    };

    test("the signed-in user's UPN (any case) is the certificate's: the server serves it", async () => {
      const stored = (await listBeaconHistory(storage.db, HOSTNAME.toLowerCase(), UPN)).length;
      const { out } = await sync(autoConfig('Alice@Contoso.com'));
      assert.deepEqual(status().user, { upn: 'Alice@Contoso.com', source: 'the fake root (fakeRoot.upn)' });
      assert.equal(status().manifestSource, 'server', out);
      assert.equal(status().serverProblem, null);
      assert.match(out, /^user Alice@Contoso\.com \(from the fake root/);
      await beaconsStored(storage, stored + 1);
    });

    test('a local account (no UPN): nothing is asked or written, every element says why, exit 0', async () => {
      const before = snapshot();
      // The beacon writer batches (~100 ms): let the earlier syncs' beacons land before counting.
      await new Promise((r) => setTimeout(r, 300));
      const stored = (await listBeaconHistory(storage.db, HOSTNAME.toLowerCase(), UPN)).length;
      const { code, out } = await sync(autoConfig());
      assert.equal(code, 0, out);
      const report = status();
      assert.equal(report.user.upn, null);
      assert.equal(report.manifestSource, 'none');
      for (const name of ['wallpaper', 'lockScreen', 'teamsBackgrounds', 'screensaver', 'signatures'] as const) {
        assert.equal(report.elements[name]?.status, 'skipped');
        assert.match(report.elements[name]?.detail ?? '', /local account with no UPN/);
      }
      assert.deepEqual(snapshot(), before);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await listBeaconHistory(storage.db, HOSTNAME.toLowerCase(), UPN)).length, stored, 'no beacon without a user');
    });

    test("another user than the certificate's is refused by the gateway's binding", async () => {
      await sync(autoConfig('bob@contoso.com'));
      assert.equal(status().user.upn, 'bob@contoso.com');
      assert.equal(status().manifestSource, 'cache');
      assert.match(status().serverProblem ?? '', /ONRAMP_ERR_IDENTITY_MISMATCH/);
    });

    test('`onramp-agent status` prints the last sync in words, as the sync printed it; nothing yet says so', async () => {
      const file = autoConfig('alice@contoso.com');
      const synced = await sync(file);
      const out: string[] = [];
      const code = await runCli(['status', '--config', file], { out: (l) => out.push(l), err: (l) => out.push(l) });
      assert.equal(code, 0);
      const [when, ...rest] = out.join('\n').split('\n');
      assert.match(when!, /^last sync finished \d{4}-\d\d-\d\dT[\d:.]+Z \(0 minutes ago\)$/);
      assert.equal(rest.join('\n'), synced.out);
      assert.match(synced.out, /\n {2}wallpaper: unchanged/);

      const fresh = join(dir, 'agent-fresh.json');
      writeFileSync(fresh, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), fakeRoot: { root: 'fresh-root' } }));
      const none: string[] = [];
      assert.equal(await runCli(['status', '--config', fresh], { out: (l) => none.push(l), err: (l) => none.push(l) }), 1);
      assert.match(none.join('\n'), /^no sync has finished yet for this user/);
    });
  });
});
