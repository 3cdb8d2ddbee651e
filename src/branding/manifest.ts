/**
 * Plans a device's manifest (manifest.schemas.ts): the user's directory facts and the device's host
 * name against the assignments, each chosen element with its files and version, plus the user's
 * signature set from the signatures' planner. Domain code: no HTTP, no SQL of its own.
 *
 * Versions are content hashes (the first 32 hex digits of a SHA-256): an image element's is its file's
 * hash, the Teams set's covers its images in order, the screensaver's its file, timeout and secure
 * flag. The manifest's version covers every element's version and the sync settings, never the
 * assignments' names or generatedAt, so it changes exactly when something the agent applies changes.
 *
 * Planned manifests are kept per (user, host name) for `cacheMs`: an idle fleet's syncs are a map
 * lookup and a 304. Any change made through this instance (files, assignments, signature templates and
 * rules, directory delta rounds) drops them at once; other instances plan again within `cacheMs`.
 */
import { createHash } from 'node:crypto';
import type { DirectoryFacts } from '../directory/directory-facts.js';
import { OnrampError } from '../errors.js';
import type { Clock } from '../lib/clock.js';
import type { SignaturePlanner } from '../signatures/model.js';
import { evaluateAssignments, type AssignmentsOutcome } from './assignments.js';
import type { Assignment, BrandingExplanation } from './branding.schemas.js';
import type { AssetRow } from './branding.queries.js';
import { EXTENSIONS, type BrandingContentType } from './inspect.js';
import type { BrandingFile, DeviceManifest, ManifestSignatures } from './manifest.schemas.js';
import type { BrandingStore } from './store.js';

export const ASSET_PATH = '/api/branding/assets';
/** Most planned manifests kept; past it the cache starts over (100,000 devices fit). */
const MAX_CACHED = 200_000;

const version = (...parts: ReadonlyArray<string | number | boolean>) => createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);

export interface PlannedManifest {
  manifest: DeviceManifest;
  /** `"<version>"`, the route's ETag. */
  etag: string;
}

export interface ManifestPlannerOptions {
  store: BrandingStore;
  directory: DirectoryFacts;
  /** The signatures' planner (the device app's); without it the manifest manages no signatures. */
  signatures?: SignaturePlanner | undefined;
  clock: Clock;
  sync: { intervalMinutes: number; jitterMinutes: number };
  cacheMs: number;
}

interface Snapshot {
  at: number;
  assignments: Assignment[];
  files: Map<string, AssetRow>;
}

export class ManifestPlanner {
  #snapshot: Snapshot | undefined;
  #cache = new Map<string, { at: number; planned: PlannedManifest }>();
  readonly #planning = new Map<string, Promise<PlannedManifest>>();

  constructor(private readonly o: ManifestPlannerOptions) {
    o.store.onChange(() => this.invalidate());
  }

  /** Forget every planned manifest (a change that may alter any device's). */
  invalidate(): void {
    this.#snapshot = undefined;
    this.#cache = new Map();
    this.#planning.clear();
  }

  /** The device's manifest as served now (from the cache when fresh); unknown user: 404 ONRAMP_ERR_NO_SIGNATURES, as the signature route. */
  async manifestFor(upn: string, hostname: string): Promise<PlannedManifest> {
    const key = `${upn.trim().toLowerCase()}\n${hostname.trim().toLowerCase()}`;
    const now = Date.now();
    const cached = this.#cache.get(key);
    if (cached && now - cached.at < this.o.cacheMs) return cached.planned;
    // Devices asking together (a fleet waking up, an agent retrying) share one plan.
    const pending = this.#planning.get(key);
    if (pending) return pending;
    const cache = this.#cache;
    const planning = this.plan(upn, hostname, this.o.clock.now())
      .then((planned) => {
        // Not kept when an invalidation came meanwhile: the plan may have read what it replaced.
        if (this.o.cacheMs > 0 && cache === this.#cache) {
          if (cache.size >= MAX_CACHED) this.#cache = new Map();
          this.#cache.set(key, { at: now, planned });
        }
        return planned;
      })
      .finally(() => {
        if (this.#planning.get(key) === planning) this.#planning.delete(key);
      });
    this.#planning.set(key, planning);
    return planning;
  }

  /** Plans the manifest afresh (no cache): what the device would get at `at`. */
  async plan(upn: string, hostname: string, at: Date): Promise<PlannedManifest> {
    const { outcome, snapshot, upn: canonicalUpn, hostname: host } = await this.#evaluate(upn, hostname, at);
    const signatures = await this.#signatures(canonicalUpn, at);
    const elements: DeviceManifest['elements'] = {
      wallpaper: this.#image(outcome.chosen.wallpaper, snapshot),
      lockScreen: this.#image(outcome.chosen.lockScreen, snapshot),
      teamsBackgrounds: this.#teams(outcome.chosen.teamsBackgrounds, snapshot),
      screensaver: this.#screensaver(outcome.chosen.screensaver, snapshot),
      signatures,
    };
    const sync = { intervalMinutes: this.o.sync.intervalMinutes, jitterMinutes: this.o.sync.jitterMinutes };
    const manifestVersion = version(
      JSON.stringify(Object.entries(elements).map(([name, element]) => [name, element ? { ...element, assignment: undefined } : null])),
      JSON.stringify(sync),
    );
    const manifest: DeviceManifest = {
      schemaVersion: 1,
      upn: canonicalUpn,
      hostname: host,
      version: manifestVersion,
      generatedAt: at.toISOString(),
      elements,
      sync,
    };
    return { manifest, etag: `"${manifestVersion}"` };
  }

  /** Which assignment won each element for this device at `at`, and every assignment's verdict. */
  async explain(upn: string, hostname: string, at: Date): Promise<BrandingExplanation> {
    const { outcome, upn: canonicalUpn, hostname: host } = await this.#evaluate(upn, hostname, at);
    const ref = (a: Assignment | undefined) => (a ? { id: a.id, name: a.name } : null);
    return {
      upn: canonicalUpn,
      hostname: host,
      at: at.toISOString(),
      chosen: {
        wallpaper: ref(outcome.chosen.wallpaper),
        lockScreen: ref(outcome.chosen.lockScreen),
        teamsBackgrounds: ref(outcome.chosen.teamsBackgrounds),
        screensaver: ref(outcome.chosen.screensaver),
      },
      verdicts: outcome.verdicts,
      manifestVersion: (await this.plan(upn, hostname, at)).manifest.version,
    };
  }

  async #snapshotNow(): Promise<Snapshot> {
    const now = Date.now();
    if (this.#snapshot && now - this.#snapshot.at < Math.max(this.o.cacheMs, 1000)) return this.#snapshot;
    const assignments = await this.o.store.listAssignments();
    const files = await this.o.store.filesByHash([...new Set(assignments.flatMap((a) => a.assets))]);
    this.#snapshot = { at: now, assignments, files };
    return this.#snapshot;
  }

  /** Host names compare lower-cased, as the beacons store them. */
  async #evaluate(upn: string, hostname: string, at: Date): Promise<{ outcome: AssignmentsOutcome; snapshot: Snapshot; upn: string; hostname: string }> {
    const host = hostname.trim().toLowerCase();
    const person = await this.o.directory.person(upn);
    if (!person) throw new OnrampError('ONRAMP_ERR_NO_SIGNATURES', [upn.trim().toLowerCase()]);
    const snapshot = await this.#snapshotNow();
    const needsGroups = snapshot.assignments.some((a) => a.conditions.groups?.length || a.exclusions.groups?.length);
    const [groupIds, knownGroups] = needsGroups
      ? await Promise.all([this.o.directory.groupIdsOf(person.id), this.o.directory.knownGroups()])
      : [new Set<string>(), undefined];
    const outcome = evaluateAssignments(
      snapshot.assignments,
      {
        userPrincipalName: person.userPrincipalName,
        mailbox: person.mail ?? person.userPrincipalName,
        attributes: person.attributes,
        groupIds,
        ...(knownGroups ? { knownGroups } : {}),
        hostname: host,
      },
      at,
    );
    return { outcome, snapshot, upn: person.userPrincipalName.toLowerCase(), hostname: host };
  }

  #file(row: AssetRow): BrandingFile {
    return {
      sha256: row.sha256,
      url: `${ASSET_PATH}/${row.sha256}`,
      contentType: row.content_type,
      size: Number(row.size),
      fileName: `${row.sha256.slice(0, 16)}.${EXTENSIONS[row.content_type as BrandingContentType]}`,
    };
  }

  /** The assignment's files that still exist (a file deleted meanwhile leaves the element out, not broken). */
  #files(assignment: Assignment, snapshot: Snapshot): AssetRow[] {
    return assignment.assets.flatMap((sha) => snapshot.files.get(sha) ?? []);
  }

  #image(assignment: Assignment | undefined, snapshot: Snapshot): DeviceManifest['elements']['wallpaper'] {
    const [row] = assignment ? this.#files(assignment, snapshot) : [];
    if (!assignment || !row) return null;
    return { version: row.sha256.slice(0, 32), file: this.#file(row), assignment: { id: assignment.id, name: assignment.name } };
  }

  #teams(assignment: Assignment | undefined, snapshot: Snapshot): DeviceManifest['elements']['teamsBackgrounds'] {
    const rows = assignment ? this.#files(assignment, snapshot).filter((r) => r.thumbnail_sha256 && r.thumbnail_size !== null) : [];
    if (!assignment || rows.length === 0) return null;
    const images = rows.map((row) => {
      const thumb = row.thumbnail_sha256!;
      const id = row.sha256.slice(0, 32);
      return {
        id: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
        image: this.#file(row),
        thumbnail: {
          sha256: thumb,
          url: `${ASSET_PATH}/${thumb}`,
          contentType: 'image/png',
          size: Number(row.thumbnail_size),
          fileName: `${thumb.slice(0, 16)}.png`,
        },
      };
    });
    return { version: version('teams', ...rows.map((r) => r.sha256)), images, assignment: { id: assignment.id, name: assignment.name } };
  }

  #screensaver(assignment: Assignment | undefined, snapshot: Snapshot): DeviceManifest['elements']['screensaver'] {
    const [row] = assignment ? this.#files(assignment, snapshot) : [];
    if (!assignment?.screensaver || !row) return null;
    const { timeoutSeconds, secure } = assignment.screensaver;
    return {
      version: version('screensaver', row.sha256, timeoutSeconds, secure),
      file: this.#file(row),
      timeoutSeconds,
      secure,
      assignment: { id: assignment.id, name: assignment.name },
    };
  }

  /**
   * The set the device route serves (GET /api/signatures, ETag = set hash). The beacon versions are
   * what the deployment state shows per device: the new-mail and reply defaults' render hashes (empty
   * when there is none) and the set hash for the web signature.
   */
  async #signatures(upn: string, at: Date): Promise<ManifestSignatures | null> {
    if (!this.o.signatures) return null;
    const expected = await this.o.signatures.expectedFor(upn, at);
    if (!expected || expected.signatures.length === 0) return null;
    const newDefault = expected.signatures.find((s) => s.defaultFor.includes('new'));
    const replyDefault = expected.signatures.find((s) => s.defaultFor.includes('reply'));
    return {
      version: expected.setHash,
      url: `/api/signatures?upn=${encodeURIComponent(upn)}`,
      defaultNew: newDefault?.name ?? null,
      defaultReply: replyDefault?.name ?? null,
      newSignatureVersion: newDefault?.rendered.hash ?? '',
      replySignatureVersion: replyDefault?.rendered.hash ?? '',
      webSignatureVersion: expected.setHash,
    };
  }
}
