/**
 * One sync: fetch the manifest (If-None-Match its version) → diff each element's version against what
 * was applied → download what changed (checked against its SHA-256) → apply each element on its own
 * (one failing is reported, the others still applied) → record → beacon.
 *
 * Offline (the server unreachable, or refusing), the last good manifest and signature set from the
 * cache are applied instead, and the beacon is queued; queued beacons go first at the next sync that
 * reaches the server. Every input is checked: the manifest and the signature set against the server's
 * own TypeBox schemas (a cached one too), downloads against their hash.
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { DeviceManifest, type BrandingFile } from '../../src/branding/manifest.schemas.js';
import type { BeaconBody } from '../../src/devices/beacon.js';
import { DeviceSignatureSet } from '../../src/signatures/deployment.schemas.js';
import { buildBeacon, enqueue } from './beacon.js';
import type { AgentConfig } from './config.js';
import type { ApplyContext, ElementOutcome } from './elements/element.js';
import { applyImage } from './elements/images.js';
import { applyScreensaver } from './elements/screensaver.js';
import { applySignatures } from './elements/signatures.js';
import { applyTeamsBackgrounds } from './elements/teams.js';
import { ServerRefusedError, ServerUnreachableError, type DeviceClient } from './http-client.js';
import type { Platform } from './platform.js';
import { withSyncLock } from './sync-lock.js';
import { userOf } from './user.js';
import { ELEMENT_NAMES, type AgentState, type ElementName, type ElementReport, type StateStore, type SyncStatus } from './state.js';

export interface SyncDependencies {
  config: AgentConfig;
  platform: Platform;
  client: DeviceClient;
  store: StateStore;
  now?: () => Date;
}

export interface SyncResult extends SyncStatus {
  /** The manifest applied (for the scheduler's interval), null when there was none. */
  manifest: DeviceManifest | null;
}

/** Whether a problem is the server being away (go on offline) rather than a bug to surface. */
function isServerProblem(err: unknown): err is ServerUnreachableError | ServerRefusedError {
  return err instanceof ServerUnreachableError || err instanceof ServerRefusedError;
}

async function cached<T>(load: () => Promise<unknown>, schema: typeof DeviceManifest | typeof DeviceSignatureSet): Promise<T | null> {
  const value = await load();
  return value !== undefined && Value.Check(schema, value) ? (value as T) : null;
}

type ManifestFetch = { manifest: DeviceManifest | null; source: SyncStatus['manifestSource']; problem: string | null; online: boolean };

async function fetchManifest(deps: SyncDependencies, state: AgentState, upn: string, hostname: string): Promise<ManifestFetch> {
  const cachedManifest = await cached<DeviceManifest>(() => deps.store.loadManifest(), DeviceManifest);
  const query = new URLSearchParams({ upn, hostname });
  try {
    const answer = await deps.client.getJson(`/api/manifest?${query}`, cachedManifest ? state.manifestEtag : undefined);
    if (answer.status === 'not-modified') return { manifest: cachedManifest, source: 'server', problem: null, online: true };
    if (!Value.Check(DeviceManifest, answer.body)) {
      const first = [...Value.Errors(DeviceManifest, answer.body)][0];
      const problem = `the server's manifest does not match the schema (${first ? `${first.path}: ${first.message}` : 'invalid'}): the cached one applies`;
      return { manifest: cachedManifest, source: cachedManifest ? 'cache' : 'none', problem, online: true };
    }
    await deps.store.saveManifest(answer.body);
    if (answer.etag) state.manifestEtag = answer.etag;
    else delete state.manifestEtag;
    return { manifest: answer.body, source: 'server', problem: null, online: true };
  } catch (err) {
    if (!isServerProblem(err)) throw err;
    return { manifest: cachedManifest, source: cachedManifest ? 'cache' : 'none', problem: err.message, online: err instanceof ServerRefusedError };
  }
}

/** The signature set the manifest names: the cached one when its hash is the version asked for. */
async function signatureSet(deps: SyncDependencies, state: AgentState, version: string, url: string, online: boolean): Promise<DeviceSignatureSet> {
  const cachedSet = await cached<DeviceSignatureSet>(() => deps.store.loadSignatures(), DeviceSignatureSet);
  if (cachedSet?.setHash === version) return cachedSet;
  if (!online) {
    if (cachedSet) return cachedSet;
    throw new Error('the signature set is not cached and the server is unreachable');
  }
  const answer = await deps.client.getJson(url, cachedSet ? state.signaturesEtag : undefined);
  if (answer.status === 'not-modified') {
    if (!cachedSet) throw new Error('the server answered 304 for a signature set that is not cached');
    return cachedSet;
  }
  if (!Value.Check(DeviceSignatureSet, answer.body)) throw new Error('the signature set does not match the schema');
  await deps.store.saveSignatures(answer.body);
  if (answer.etag) state.signaturesEtag = answer.etag;
  return answer.body;
}

/** One sync, never two at once for the same agent folder (sync-lock.ts). */
export function syncOnce(deps: SyncDependencies): Promise<SyncResult> {
  return withSyncLock(deps.store.dir, () => syncLocked(deps));
}

async function syncLocked(deps: SyncDependencies): Promise<SyncResult> {
  const now = deps.now ?? (() => new Date());
  const { store, platform, config } = deps;
  const user = await userOf(config, platform);
  if (user.upn === null) return withoutUser(deps, user.reason, now());
  const upn = user.upn;
  const state = await store.loadState();
  const facts = await platform.facts();
  const hostname = config.hostname ?? facts.hostname;
  const folders = await platform.folders();
  const fetched = await fetchManifest(deps, state, upn, hostname);
  let online = fetched.online;

  const asset = async (file: BrandingFile): Promise<Buffer> => {
    const path = store.assetPath(file.sha256);
    const have = await readFile(path).catch(() => undefined);
    // The cache is checked on every use: a file changed on disk is fetched again, never applied.
    if (have && createHash('sha256').update(have).digest('hex') === file.sha256) return have;
    if (!online) throw new Error(`${file.fileName} is not cached and the server is unreachable`);
    await deps.client.download(file, path);
    return readFile(path);
  };

  const reports: Partial<Record<ElementName, ElementReport>> = {};
  let refresh = false;
  const manifest = fetched.manifest;
  for (const name of ELEMENT_NAMES) {
    const previous = state.elements[name];
    const desired = manifest ? manifest.elements[name] : undefined;
    if (!desired) {
      // Not managed (or no manifest at all): the device's own setting stays, the version reported is empty.
      if (manifest && previous) state.elements[name] = { ...previous, version: '', packages: {} };
      reports[name] = {
        status: manifest ? 'unmanaged' : 'skipped',
        wanted: '',
        applied: state.elements[name]?.version ?? '',
        detail: manifest ? undefined : 'no manifest yet',
      };
      continue;
    }
    if (previous?.version === desired.version) {
      reports[name] = { status: 'unchanged', wanted: desired.version, applied: previous.version };
      continue;
    }
    const ctx: ApplyContext = { platform, folders, config, asset, previous };
    let outcome: ElementOutcome;
    try {
      switch (name) {
        case 'wallpaper':
        case 'lockScreen':
          outcome = await applyImage(name, manifest!.elements[name]!, ctx);
          break;
        case 'teamsBackgrounds':
          outcome = await applyTeamsBackgrounds(manifest!.elements.teamsBackgrounds!, ctx);
          break;
        case 'screensaver':
          outcome = await applyScreensaver(manifest!.elements.screensaver!, ctx);
          break;
        case 'signatures': {
          const entry = manifest!.elements.signatures!;
          outcome = await applySignatures(entry, await signatureSet(deps, state, entry.version, entry.url, online), ctx);
          break;
        }
      }
    } catch (err) {
      if (err instanceof ServerUnreachableError) online = false;
      outcome = { status: 'failed', detail: (err as Error).message };
    }
    if (outcome.status === 'applied') {
      state.elements[name] = { version: desired.version, appliedAt: now().toISOString(), owned: outcome.owned, packages: outcome.packages };
      refresh ||= outcome.changedUserSettings === true;
    } else if (outcome.owned) {
      state.elements[name] = {
        version: previous?.version ?? '',
        appliedAt: previous?.appliedAt ?? null,
        owned: outcome.owned,
        packages: previous?.packages ?? {},
      };
    }
    reports[name] = {
      status: outcome.status,
      wanted: desired.version,
      applied: state.elements[name]?.version ?? '',
      ...(outcome.detail ? { detail: outcome.detail } : {}),
    };
  }
  await store.saveState(state);
  if (refresh) await platform.refreshUserSettings().catch(() => {});

  const beacons = await sendBeacons(deps, buildBeacon({ upn, hostname, facts, state, now: now() }), online);
  const status: SyncStatus = {
    finishedAt: now().toISOString(),
    user,
    manifestSource: fetched.source,
    manifestVersion: manifest?.version ?? null,
    serverProblem: fetched.problem,
    elements: reports,
    beacons,
  };
  await store.saveStatus(status);
  return { ...status, manifest };
}

/**
 * No UPN (a local account): nothing can be asked of the server, which serves a user, and nothing of a
 * user's is touched; each element says why, and queued beacons wait for a session that has a user.
 */
async function withoutUser(deps: SyncDependencies, reason: string, at: Date): Promise<SyncResult> {
  const elements = Object.fromEntries(
    ELEMENT_NAMES.map((name) => [name, { status: 'skipped', wanted: '', applied: '', detail: reason } satisfies ElementReport]),
  );
  const status: SyncStatus = {
    finishedAt: at.toISOString(),
    user: { upn: null, reason },
    manifestSource: 'none',
    manifestVersion: null,
    serverProblem: null,
    elements,
    beacons: { delivered: 0, queued: (await deps.store.loadBeacons()).length, dropped: 0 },
  };
  await deps.store.saveStatus(status);
  return { ...status, manifest: null };
}

/** Queued beacons first, oldest first, then this one; whatever is not delivered waits (bounded). */
async function sendBeacons(deps: SyncDependencies, beacon: BeaconBody, online: boolean): Promise<SyncStatus['beacons']> {
  const { queue, dropped } = enqueue(await deps.store.loadBeacons(), beacon, deps.config.beaconQueueLimit);
  let delivered = 0;
  let refused = 0;
  if (online) {
    for (const queued of queue) {
      try {
        await deps.client.postJson('/api/beacon', queued);
        delivered += 1;
      } catch (err) {
        // A beacon the server will never take (it fails the schema) is dropped, not retried forever;
        // 401/403 are about the certificate, which may be fixed: those wait.
        if (err instanceof ServerRefusedError && err.status >= 400 && err.status < 500 && err.status !== 401 && err.status !== 403) {
          refused += 1;
          continue;
        }
        if (!isServerProblem(err)) throw err;
        break;
      }
    }
  }
  const waiting = queue.slice(delivered + refused);
  await deps.store.saveBeacons(waiting);
  return { delivered, queued: waiting.length, dropped: dropped + refused };
}
