/**
 * The built Windows agent under Wine: `npm run build:agent` (cached), the real device listener on
 * loopback (mTLS with a test PKI), then `wine onramp-agent.exe sync --now` in a Wine prefix of its
 * own. The assertions read what a Windows support engineer would look at: the signature files in
 * %APPDATA%\Microsoft\<localised folder>, `reg query` of the values the agent set, its status file, and
 * the beacon the server stored with the facts the Windows platform read.
 *
 * Wine is the one part not always there: without it the test says SKIPPED with the reason, unless
 * ONRAMP_TEST_REQUIRE_WINE=1 (set by .ci/run where it installs Wine), where that is a failure.
 * Under Wine, node.exe's stdout to a pipe fails (EBADF), so its output goes to files.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { DeviceManifest } from '../../src/branding/manifest.schemas.js';
import type { Beacon } from '../../src/devices/beacon.js';
import { listBeaconHistory } from '../../src/devices/devices.queries.js';
import { mp4, png } from '../../test/support/branding.js';
import { sqliteBackend, type TestStorage } from '../../test/support/storage.js';
import type { SyncStatus } from '../src/state.js';
import { parseQuery } from '../src/windows/reg-output.js';
import { profile, startDeviceServer, writeTestPki, type DeviceServer } from './device-server.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const UPN = 'alice@contoso.com';
const HOSTNAME = 'PC-WINE';
/** A Russian Outlook's signature folder: not in any OEM code page reg.exe prints, so the agent must read it exactly. */
const SIGNATURE_FOLDER = 'Подписи';
const ACCOUNT_KEY = 'HKCU\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook\\9375CFF0413111d3B88A00104B2A6676\\00000002';
const DESKTOP_KEY = 'HKCU\\Control Panel\\Desktop';
const CSP_KEY = 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\PersonalizationCSP';
const OFFICE_IDENTITY_KEY = 'HKCU\\Software\\Microsoft\\Office\\16.0\\Common\\Identity\\Identities\\8f1d2c3b4a59_ADAL';

const wine = spawnSync('wine', ['--version'], { encoding: 'utf8' });
const wineVersion = wine.status === 0 ? wine.stdout.trim() : null;
const REQUIRED = process.env.ONRAMP_TEST_REQUIRE_WINE === '1';
const skip = wineVersion ? false : `SKIPPED: wine is not installed here (${wine.error?.message ?? `exit ${wine.status}`}); CI installs it (.ci/run)`;
if (skip && !REQUIRED) process.stderr.write(`\n!!! ${skip}\n\n`);

const WINE_ENV = { WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', NODE_SKIP_PLATFORM_CHECK: '1' };
/** Bounded: a hung Wine must not hold the suite. */
const WINE_TIMEOUT_MS = 120_000;

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
/** Wine maps the Linux root to drive Z:. */
const windowsPath = (path: string) => `Z:${path.replaceAll('/', '\\')}`;

function runWine(prefix: string, args: string[], output?: string): Promise<number> {
  return new Promise((done, fail) => {
    const out = output ? openSync(output, 'w') : 'ignore';
    const child = spawn('wine', args, { env: { ...process.env, ...WINE_ENV, WINEPREFIX: prefix }, stdio: ['ignore', out, out] });
    const timer = setTimeout(() => child.kill('SIGKILL'), WINE_TIMEOUT_MS);
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (typeof out === 'number') closeSync(out);
      if (signal) fail(new Error(`wine ${args.join(' ')} ended by ${signal}`));
      else done(code ?? 1);
    });
  });
}

/** reg.exe inside the prefix, its listing as text (ASCII keys only: the test reads Unicode through files). */
function wineReg(prefix: string, args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => {
    execFile('wine', ['reg', ...args], { env: { ...process.env, ...WINE_ENV, WINEPREFIX: prefix }, timeout: 60_000, encoding: 'latin1' }, (err, stdout) => {
      done({ code: err ? Number((err as NodeJS.ErrnoException).code) || 1 : 0, stdout });
    });
  });
}

async function regValue(prefix: string, key: string, name: string) {
  const { code, stdout } = await wineReg(prefix, ['query', key, '/v', name]);
  return code === 0 ? (parseQuery(stdout, key).values[0] ?? null) : null;
}

/**
 * A Wine prefix made once per Wine version and user (its first start takes 10–60 s), through a staging
 * folder renamed into place; each run works on a copy of it, so no run sees another's registry or files.
 */
async function templatePrefix(): Promise<string> {
  const template = join(tmpdir(), `onramp-wine-prefix-${wineVersion!.replace(/[^\w.-]/g, '_')}-${userInfo().uid}`);
  if (existsSync(join(template, 'system.reg'))) return template;
  const staging = mkdtempSync(join(tmpdir(), 'onramp-wine-staging-'));
  rmSync(staging, { recursive: true });
  assert.equal(await runWine(staging, ['wineboot', '--init']), 0, 'wineboot --init');
  // Windows 10 to the programs in the prefix (node.exe 22 refuses older ones without NODE_SKIP_PLATFORM_CHECK).
  assert.equal(await runWine(staging, ['winecfg', '-v', 'win10']), 0, 'winecfg -v win10');
  spawnSync('wineserver', ['-w'], { env: { ...process.env, WINEPREFIX: staging }, timeout: 60_000 });
  try {
    renameSync(staging, template);
  } catch {
    // A parallel run got there first: theirs is as good.
    rmSync(staging, { recursive: true, force: true });
  }
  return template;
}

/** A .reg file in UTF-16LE, so the Cyrillic folder name reaches the registry whatever the machine's locale. */
function regFile(path: string, text: string) {
  writeFileSync(path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replaceAll('\n', '\r\n'), 'utf16le')]));
}
const regHex = (bytes: Buffer) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(',');

const everyone = { enabled: true, conditions: {}, exclusions: {}, window: null };

describe('the Windows agent under Wine', { skip: REQUIRED ? false : skip, timeout: 5 * 60_000 }, () => {
  let dir: string;
  let prefix: string;
  let storage: TestStorage;
  let server: DeviceServer;
  let appData: string;
  let localAppData: string;
  let exitCode: number;
  let output: string;
  let wallpaperBytes: Buffer;
  /** What the server serves this device (branding's planner, as the manifest route asks it). */
  let manifest: DeviceManifest;
  const started = performance.now();

  // A first run fetches two Node builds, builds the executable and makes the prefix: minutes on a loaded machine, bounded.
  before(
    async () => {
      assert.ok(wineVersion, `ONRAMP_TEST_REQUIRE_WINE=1 but ${skip}`);
      dir = mkdtempSync(join(tmpdir(), 'onramp-wine-'));
      // The executable, built once per bundle (the Node builds are cached across runs).
      const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build-agent.mjs'), '--quiet'], { encoding: 'utf8', timeout: 240_000 });
      assert.equal(build.status, 0, `build:agent failed: ${build.stderr}`);
      const exe = join(ROOT, 'dist/agent/onramp-agent.exe');

      const template = await templatePrefix();
      prefix = join(dir, 'prefix');
      assert.equal(spawnSync('cp', ['-a', template, prefix]).status, 0, 'copying the Wine prefix');
      // The prefix's one user profile (Wine names it after the Unix user that made the prefix).
      const users = readdirSync(join(prefix, 'drive_c', 'users')).filter((name) => name !== 'Public');
      assert.equal(users.length, 1, `one user profile in the prefix: ${users.join(', ')}`);
      const profileDir = join(prefix, 'drive_c', 'users', users[0]!);
      appData = join(profileDir, 'AppData', 'Roaming');
      localAppData = join(profileDir, 'AppData', 'Local');

      const pki = await writeTestPki(dir, UPN);
      storage = await sqliteBackend.open();
      server = await startDeviceServer({
        storage,
        env: { ...pki.env, ONRAMP_BRANDING_STORAGE_DIR: join(dir, 'branding'), ONRAMP_BRANDING_MANIFEST_CACHE_MS: '0' },
        users: [profile(UPN)],
      });
      // A wallpaper and a screensaver video uploaded and assigned through branding's store, as the admin API does.
      const store = server.branding.store;
      const upload = async (name: string, bytes: Buffer) => (await store.upload(Readable.from([bytes]), name, 'test', () => false)).sha256;
      wallpaperBytes = await png(640, 400, { r: 10, g: 20, b: 30 });
      await store.createAssignment({ name: 'Wallpaper', ...everyone, element: 'wallpaper', assets: [await upload('wallpaper.png', wallpaperBytes)] }, 'test');
      await store.createAssignment(
        {
          name: 'Screensaver',
          ...everyone,
          element: 'screensaver',
          assets: [await upload('screensaver.mp4', mp4())],
          screensaver: { timeoutSeconds: 600, secure: true },
        },
        'test',
      );
      manifest = (await server.branding.manifests.plan(UPN, HOSTNAME, new Date())).manifest;

      // The user's Windows: a Russian Outlook that has made its profile (the account key names the
      // mailbox as Outlook does, UTF-16LE in REG_BINARY), a screensaver timeout of its own.
      const setup = join(dir, 'setup.reg');
      regFile(
        setup,
        [
          'Windows Registry Editor Version 5.00',
          '',
          '[HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Common\\General]',
          `"Signatures"="${SIGNATURE_FOLDER}"`,
          '',
          `[${ACCOUNT_KEY.replace('HKCU', 'HKEY_CURRENT_USER')}]`,
          `"Account Name"=hex:${regHex(Buffer.from(`${UPN}\0`, 'utf16le'))}`,
          '',
          '[HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Outlook\\Setup]',
          '"DisableRoamingSignaturesTemporaryToggle"=dword:00000001',
          '',
          // Office signed in to the tenant: what `upn: "auto"` falls back to, since Wine's whoami has no /upn.
          `[${OFFICE_IDENTITY_KEY.replace('HKCU', 'HKEY_CURRENT_USER')}]`,
          `"EmailAddress"="${UPN}"`,
          '',
          '[HKEY_CURRENT_USER\\Control Panel\\Desktop]',
          '"ScreenSaveTimeOut"="60"',
          '',
        ].join('\n'),
      );
      assert.equal((await wineReg(prefix, ['import', windowsPath(setup)])).code, 0, 'reg import of the setup');

      const config = join(dir, 'agent.json');
      writeFileSync(
        config,
        JSON.stringify({
          serverUrl: `https://127.0.0.1:${server.port}`,
          upn: 'auto',
          hostname: HOSTNAME,
          credentials: { certFile: windowsPath(pki.agent.certFile), keyFile: windowsPath(pki.agent.keyFile) },
          caFile: windowsPath(pki.agent.caFile),
          retries: 1,
          retryBaseDelayMs: 10,
          requestTimeoutMs: 20_000,
        }),
      );
      const log = join(dir, 'agent.log');
      exitCode = await runWine(prefix, [exe, 'sync', '--now', '--config', windowsPath(config)], log);
      output = readFileSync(log, 'utf8');
    },
    { timeout: 280_000 },
  );

  after(async () => {
    if (prefix) spawnSync('wineserver', ['-k'], { env: { ...process.env, WINEPREFIX: prefix }, timeout: 30_000 });
    await server?.stop();
    await server?.branding.close();
    await storage?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`the Windows agent under Wine: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  });

  test('the sync ran on the Windows platform and applied every element', () => {
    assert.equal(exitCode, 0, output);
    const status = JSON.parse(readFileSync(join(localAppData, 'onramp-agent', 'status.json'), 'utf8')) as SyncStatus;
    assert.deepEqual(status.user, { upn: UPN, source: `Office's work identity (${OFFICE_IDENTITY_KEY.replace(/\\[^\\]+$/, '')})` }, output);
    assert.equal(status.manifestSource, 'server');
    assert.equal(status.manifestVersion, manifest.version);
    assert.equal(status.elements.signatures?.status, 'applied', output);
    assert.equal(status.elements.screensaver?.status, 'applied', output);
    assert.equal(status.elements.wallpaper?.status, 'applied', output);
    assert.deepEqual(status.beacons, { delivered: 1, queued: 0, dropped: 0 });
  });

  test('signature files are in the folder the registry names, Cyrillic and all', () => {
    const folder = join(appData, 'Microsoft', SIGNATURE_FOLDER);
    assert.match(readFileSync(join(folder, 'Contoso.htm'), 'utf8'), /Alice Jansen/);
    assert.match(readFileSync(join(folder, 'Contoso.rtf'), 'utf8'), /^\{\\rtf1/);
    assert.match(readFileSync(join(folder, 'Contoso.txt'), 'utf8'), /^\ufeffAlice Jansen/);
  });

  test("Wine's registry holds the defaults on the account key, the screensaver and PersonalizationCSP values", async () => {
    assert.deepEqual(await regValue(prefix, ACCOUNT_KEY, 'New Signature'), { name: 'New Signature', type: 'REG_SZ', data: 'Contoso' });
    assert.deepEqual(await regValue(prefix, ACCOUNT_KEY, 'Reply-Forward Signature'), { name: 'Reply-Forward Signature', type: 'REG_SZ', data: 'Contoso' });
    assert.equal((await regValue(prefix, DESKTOP_KEY, 'ScreenSaveTimeOut'))?.data, '600');
    assert.equal((await regValue(prefix, DESKTOP_KEY, 'ScreenSaverIsSecure'))?.data, '1');
    // Wine lets every process write HKLM, so the user run counts as elevated and sets the CSP itself.
    const { sha256: wallpaperHash } = manifest.elements.wallpaper!.file;
    const expectedPath = `C:\\ProgramData\\onramp\\wallpaper\\${wallpaperHash.slice(0, 12)}-${wallpaperHash.slice(0, 16)}.png`;
    assert.deepEqual(await regValue(prefix, CSP_KEY, 'DesktopImagePath'), { name: 'DesktopImagePath', type: 'REG_SZ', data: expectedPath });
    assert.deepEqual(await regValue(prefix, CSP_KEY, 'DesktopImageUrl'), { name: 'DesktopImageUrl', type: 'REG_SZ', data: expectedPath });
    assert.deepEqual(await regValue(prefix, CSP_KEY, 'DesktopImageStatus'), { name: 'DesktopImageStatus', type: 'REG_DWORD', data: '0x1' });
    // The file the exe wrote is the uploaded image, byte for byte.
    const file = join(prefix, 'drive_c', ...expectedPath.slice(3).split('\\'));
    assert.equal(sha256(readFileSync(file)), sha256(wallpaperBytes));
  });

  test('the beacon carries the facts the Windows platform read', async () => {
    let history: Awaited<ReturnType<typeof listBeaconHistory>> = [];
    for (let i = 0; i < 100 && history.length === 0; i++) {
      history = await listBeaconHistory(storage.db, HOSTNAME.toLowerCase(), UPN);
      if (history.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    const beacon = JSON.parse(history[0]!.payload) as Beacon;
    // The prefix says Windows 10 (winecfg -v win10): the name and build come from CurrentVersion.
    assert.match(beacon.operatingSystem, /^Windows 10 .*\(build \d+\)$/);
    assert.ok(beacon.dates.systemBootTime && Date.parse(beacon.dates.systemBootTime) < Date.now());
    assert.ok(beacon.dates.lastLogonTime, 'first run in this logon session: recorded under Volatile Environment');
    assert.equal(beacon.pendingReboot, false);
    assert.equal(beacon.packages.backgroundVersion, manifest.elements.wallpaper!.version);
    assert.equal(beacon.packages.screensaverVersion, manifest.elements.screensaver!.version);
  });
});
