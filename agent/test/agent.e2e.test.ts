/**
 * The agent end to end on loopback: the real device listener (gateway over real mTLS, beacons, the
 * signature route) and the agent's own command line (`sync --now --config …`) against a fake root in a
 * temp folder. Assertions read the files and the recorded registry the agent wrote, and the beacons
 * the server stored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrandingFile, DeviceManifest } from '../../src/branding/manifest.schemas.js';
import type { Beacon } from '../../src/devices/beacon.js';
import { getDeviceState, listBeaconHistory } from '../../src/devices/devices.queries.js';
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

// ---- stand-in for the branding routes (GET /api/manifest, GET /api/branding/assets/<sha256>) ----
// TODO(brand): replaced by the real routes once the branding branch is merged.
const assets = new Map<string, Buffer>();
/** Bytes served instead of an asset's own (a corrupted store or transfer). */
const corrupted = new Set<string>();
function brandingFile(fileName: string, bytes: Buffer): BrandingFile {
  const hash = sha256(bytes);
  assets.set(hash, bytes);
  return { sha256: hash, url: `/api/branding/assets/${hash}`, contentType: 'image/png', size: bytes.length, fileName };
}
let elements: DeviceManifest['elements'];
async function brandingStandIn(app: FastifyInstance, server: () => DeviceServer): Promise<void> {
  app.get('/api/manifest', async (req, reply) => {
    const { upn, hostname } = req.query as { upn: string; hostname: string };
    const expected = await server().planner.expectedFor(upn);
    const withSignatures = {
      ...elements,
      signatures: expected && {
        version: expected.setHash,
        url: `/api/signatures?upn=${encodeURIComponent(upn)}`,
        defaultNew: 'Contoso',
        defaultReply: 'Contoso',
        newSignatureVersion: expected.signatures[0]!.rendered.hash.slice(0, 64),
        replySignatureVersion: expected.signatures[0]!.rendered.hash.slice(0, 64),
        webSignatureVersion: expected.setHash.slice(0, 64),
      },
    };
    const version = sha256(JSON.stringify(withSignatures)).slice(0, 16);
    reply.header('etag', `"${version}"`);
    if (req.headers['if-none-match'] === `"${version}"`) return reply.code(304).send();
    const manifest: DeviceManifest = {
      schemaVersion: 1,
      upn,
      hostname,
      version,
      generatedAt: new Date().toISOString(),
      elements: withSignatures,
      sync: { intervalMinutes: 60, jitterMinutes: 10 },
    };
    return manifest;
  });
  app.get('/api/branding/assets/:sha', { config: { actsForUser: false } }, async (req, reply) => {
    const { sha } = req.params as { sha: string };
    const bytes = assets.get(sha);
    if (!bytes) return reply.code(404).send({ code: 'ONRAMP_ERR_NOT_FOUND', message: 'no such asset' });
    return reply.type('application/octet-stream').send(corrupted.has(sha) ? Buffer.from(bytes).fill(0x41, 0, 8) : bytes);
  });
}
// ---- end of the stand-in ----

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

  before(async () => {
    const pki = await writeTestPki(dir, UPN);
    storage = await sqliteBackend.open();
    server = await startDeviceServer({ storage, env: pki.env, users: [profile(UPN)], beforeListen: (app) => brandingStandIn(app, () => server) });
    elements = {
      wallpaper: { version: 'wp-1', file: brandingFile('wallpaper.png', Buffer.from('wallpaper one')), assignment: { id: 1, name: 'All staff' } },
      lockScreen: { version: 'ls-1', file: brandingFile('lock.png', Buffer.from('lock screen one')), assignment: { id: 1, name: 'All staff' } },
      teamsBackgrounds: {
        version: 'tb-1',
        images: [
          {
            id: '0f8fad5b-d9cb-469f-a165-70867728950e',
            image: brandingFile('office.png', Buffer.from('office background')),
            thumbnail: brandingFile('office_thumb.png', Buffer.from('office thumb')),
          },
        ],
        assignment: { id: 2, name: 'Teams' },
      },
      screensaver: {
        version: 'ss-1',
        file: brandingFile('screensaver.mp4', Buffer.from('video')),
        timeoutSeconds: 600,
        secure: true,
        assignment: { id: 3, name: 'Screens' },
      },
      signatures: null,
    };
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
  });

  after(async () => {
    await server.stop();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('first sync writes everything; signature defaults wait for the Outlook profile', async () => {
    const { code, out } = await sync(configFile);
    assert.equal(code, 2, out);
    const report = status();
    assert.equal(report.manifestSource, 'server');
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
    const wallpaper = join(root, 'ProgramData', 'onramp', 'wallpaper', `${elements.wallpaper!.file.sha256.slice(0, 12)}-wallpaper.png`);
    assert.deepEqual(reg[CSP]?.DesktopImagePath, { type: 'REG_SZ', data: wallpaper });
    assert.deepEqual(reg[CSP]?.DesktopImageStatus, { type: 'REG_DWORD', data: 1 });
    assert.equal(readFileSync(wallpaper, 'utf8'), 'wallpaper one');
    assert.match(String(reg[CSP]?.LockScreenImagePath && 'data' in reg[CSP].LockScreenImagePath ? reg[CSP].LockScreenImagePath.data : ''), /lock\.png$/);
    assert.deepEqual(reg['HKCU\\Control Panel\\Desktop'], {
      ScreenSaveActive: { type: 'REG_SZ', data: '1' },
      ScreenSaveTimeOut: { type: 'REG_SZ', data: '600' },
      ScreenSaverIsSecure: { type: 'REG_SZ', data: '1' },
    });
    for (const uploads of [
      join(user, 'Roaming', 'Microsoft', 'Teams', 'Backgrounds', 'Uploads'),
      join(user, 'Local', 'Packages', 'MSTeams_8wekyb3d8bbwe', 'LocalCache', 'Microsoft', 'MSTeams', 'Backgrounds', 'Uploads'),
    ]) {
      assert.deepEqual(readdirSync(uploads).sort(), ['0f8fad5b-d9cb-469f-a165-70867728950e.png', '0f8fad5b-d9cb-469f-a165-70867728950e_thumb.png']);
    }

    await beaconsStored(storage, 1);
    const device = await getDeviceState(storage.db, HOSTNAME.toLowerCase(), UPN);
    assert.equal(device?.background_version, 'wp-1');
    assert.equal(device?.lock_screen_version, 'ls-1');
    assert.equal(device?.teams_background_version, 'tb-1');
    assert.equal(device?.screensaver_version, 'ss-1');
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
    const oldWallpaper = join(root, 'ProgramData', 'onramp', 'wallpaper', `${elements.wallpaper!.file.sha256.slice(0, 12)}-wallpaper.png`);
    elements = { ...elements, wallpaper: { ...elements.wallpaper!, version: 'wp-2', file: brandingFile('wallpaper.png', Buffer.from('wallpaper two')) } };
    const before = snapshot();
    await sync(configFile);
    const afterwards = snapshot();
    const changed = Object.keys({ ...before, ...afterwards }).filter((k) => before[k] !== afterwards[k]);
    assert.deepEqual(changed.sort(), [
      relative(root, oldWallpaper),
      join('ProgramData', 'onramp', 'wallpaper', `${elements.wallpaper!.file.sha256.slice(0, 12)}-wallpaper.png`),
      'registry.json',
    ]);
    const csp = registry()[CSP]!;
    assert.match(csp.DesktopImagePath && 'data' in csp.DesktopImagePath ? String(csp.DesktopImagePath.data) : '', /wallpaper\.png$/);
    assert.equal(status().elements.wallpaper?.applied, 'wp-2');
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
    assert.notEqual(queued!.packages.newSignatureVersion, '', 'the offline apply is reported');
    const device = await getDeviceState(storage.db, HOSTNAME.toLowerCase(), UPN);
    assert.equal(device?.new_signature_version, queued!.packages.newSignatureVersion);
  });

  test('a corrupted download is refused: that element fails and keeps its version, the others apply', async () => {
    const lock = brandingFile('lock.png', Buffer.from('lock screen two'));
    corrupted.add(lock.sha256);
    elements = {
      ...elements,
      lockScreen: { ...elements.lockScreen!, version: 'ls-2', file: lock },
      screensaver: { ...elements.screensaver!, version: 'ss-2', timeoutSeconds: 900 },
    };
    const stored = (await listBeaconHistory(storage.db, HOSTNAME.toLowerCase(), UPN)).length;
    const { code, out } = await sync(configFile);
    assert.equal(code, 2, out);
    await beaconsStored(storage, stored + 1);
    const report = status();
    assert.equal(report.elements.lockScreen?.status, 'failed');
    assert.match(report.elements.lockScreen?.detail ?? '', /SHA-256/);
    assert.equal(report.elements.lockScreen?.applied, 'ls-1');
    assert.equal(report.elements.screensaver?.status, 'applied');
    assert.deepEqual(registry()['HKCU\\Control Panel\\Desktop']?.ScreenSaveTimeOut, { type: 'REG_SZ', data: '900' });
    assert.deepEqual(
      readdirSync(join(agentData, 'assets')).filter((f) => f.includes(lock.sha256) || f.endsWith('.download')),
      [],
    );
    assert.deepEqual(readdirSync(join(root, 'ProgramData', 'onramp', 'lockScreen')).length, 1);
    const device = await getDeviceState(storage.db, HOSTNAME.toLowerCase(), UPN);
    assert.equal(device?.lock_screen_version, 'ls-1');
  });
});
