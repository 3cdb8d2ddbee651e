/**
 * What the agent remembers between runs, all in its own folder (KnownFolders.agentData), every file
 * written atomically (files.ts):
 * - `state.json`: per element, the version last applied, what onramp wrote (so it can remove exactly
 *   that later, and nothing a user made) and the beacon versions it earned; the ETags it holds.
 * - `manifest.json`, `signatures.json`: the last good manifest and signature set, applied when offline.
 * - `assets/<sha256>`: downloaded files, checked against their hash before being stored.
 * - `beacons.json`: beacons waiting for the server, oldest first, bounded.
 * - `status.json`: the last sync's outcome per element, for support staff and the Windows smoke test.
 */
import { join } from 'node:path';
import type { BeaconBody } from '../../src/devices/beacon.js';
import type { PackageField } from '../../src/devices/packages.js';
import type { DeviceManifest } from '../../src/branding/manifest.schemas.js';
import type { DeviceSignatureSet } from '../../src/signatures/deployment.schemas.js';
import { readJson, writeJsonAtomic } from './files.js';
import type { SignedInUser } from './platform.js';

export const ELEMENT_NAMES = ['wallpaper', 'lockScreen', 'teamsBackgrounds', 'screensaver', 'signatures'] as const;
export type ElementName = (typeof ELEMENT_NAMES)[number];

export interface ElementRecord {
  /** The manifest version last applied in full; '' when none (never applied, or no longer managed). */
  version: string;
  appliedAt: string | null;
  /** What onramp wrote (paths, or signature names): the only things it ever removes. */
  owned: string[];
  /** The beacon fields this element fills, as of its last full apply. */
  packages: Partial<Record<PackageField, string>>;
}

export interface AgentState {
  manifestEtag?: string;
  signaturesEtag?: string;
  elements: Partial<Record<ElementName, ElementRecord>>;
}

export type ElementStatus = 'applied' | 'unchanged' | 'failed' | 'skipped' | 'waiting' | 'unmanaged';

export interface ElementReport {
  status: ElementStatus;
  /** The version the manifest asks for ('' when not managed). */
  wanted: string;
  /** The version in place after this sync (what the beacon reports). */
  applied: string;
  detail?: string;
}

export interface SyncStatus {
  finishedAt: string;
  /** Whom the sync acted for and where that UPN came from, or why there was nobody (per-user elements skipped). */
  user: SignedInUser;
  /** Where the manifest came from: the server (200 or 304), the cache (offline or refused), or nowhere. */
  manifestSource: 'server' | 'cache' | 'none';
  manifestVersion: string | null;
  serverProblem: string | null;
  elements: Partial<Record<ElementName, ElementReport>>;
  beacons: { delivered: number; queued: number; dropped: number };
}

/**
 * One of the agent's own files. Written atomically, so it is whole; if it is not JSON all the same
 * (edited by hand, a disk fault), the agent starts that file afresh rather than stopping for good.
 */
async function readOwn<T>(path: string): Promise<T | undefined> {
  try {
    return (await readJson(path)) as T | undefined;
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

export class StateStore {
  constructor(readonly dir: string) {}

  get statePath(): string {
    return join(this.dir, 'state.json');
  }
  get statusPath(): string {
    return join(this.dir, 'status.json');
  }
  assetPath(sha256: string): string {
    return join(this.dir, 'assets', sha256);
  }

  async loadState(): Promise<AgentState> {
    return (await readOwn<AgentState>(this.statePath)) ?? { elements: {} };
  }
  saveState(state: AgentState): Promise<void> {
    return writeJsonAtomic(this.statePath, state);
  }

  /** The cached manifest as stored; the caller checks it again, a cache is input like any other. */
  async loadManifest(): Promise<unknown> {
    return readOwn<unknown>(join(this.dir, 'manifest.json'));
  }
  saveManifest(manifest: DeviceManifest): Promise<void> {
    return writeJsonAtomic(join(this.dir, 'manifest.json'), manifest);
  }
  async loadSignatures(): Promise<unknown> {
    return readOwn<unknown>(join(this.dir, 'signatures.json'));
  }
  saveSignatures(set: DeviceSignatureSet): Promise<void> {
    return writeJsonAtomic(join(this.dir, 'signatures.json'), set);
  }

  async loadBeacons(): Promise<BeaconBody[]> {
    return (await readOwn<BeaconBody[]>(join(this.dir, 'beacons.json'))) ?? [];
  }
  saveBeacons(beacons: BeaconBody[]): Promise<void> {
    return writeJsonAtomic(join(this.dir, 'beacons.json'), beacons);
  }

  /** The last sync's outcome (`onramp-agent status`); unchecked, so the caller reads it defensively. */
  async loadStatus(): Promise<unknown> {
    return readOwn<unknown>(this.statusPath);
  }
  saveStatus(status: SyncStatus): Promise<void> {
    return writeJsonAtomic(this.statusPath, status);
  }
}
