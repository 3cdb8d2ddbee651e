/**
 * The manifest each device (user + host name) was last served, i.e. what it is expected to have
 * applied: written in batches from the device route (lib/batched-writer.ts: one upsert per ~100 ms,
 * not one per request) and read by other features (the fleet view) beside what the beacons report.
 * Versions are keyed by the beacon's package-version field names, so expected and applied compare
 * field by field.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { BatchedWriter } from '../lib/batched-writer.js';
import type { Logger } from '../lib/logger.js';
import * as q from './branding.queries.js';
import { ELEMENT_PACKAGE_FIELDS, type DeviceManifest } from './manifest.schemas.js';

/** The seven beacon package-version fields. */
export type PackageVersions = Record<
  | 'backgroundVersion'
  | 'lockScreenVersion'
  | 'teamsBackgroundVersion'
  | 'screensaverVersion'
  | 'newSignatureVersion'
  | 'replySignatureVersion'
  | 'webSignatureVersion',
  string
>;

/** What an agent reports in its beacon once it applied `manifest` (an element that is null: empty). */
export function packageVersionsOf(manifest: DeviceManifest): PackageVersions {
  const { elements } = manifest;
  return {
    [ELEMENT_PACKAGE_FIELDS.wallpaper]: elements.wallpaper?.version ?? '',
    [ELEMENT_PACKAGE_FIELDS.lockScreen]: elements.lockScreen?.version ?? '',
    [ELEMENT_PACKAGE_FIELDS.teamsBackgrounds]: elements.teamsBackgrounds?.version ?? '',
    [ELEMENT_PACKAGE_FIELDS.screensaver]: elements.screensaver?.version ?? '',
    newSignatureVersion: elements.signatures?.newSignatureVersion ?? '',
    replySignatureVersion: elements.signatures?.replySignatureVersion ?? '',
    webSignatureVersion: elements.signatures?.webSignatureVersion ?? '',
  } as PackageVersions;
}

export interface ServedManifest {
  upn: string;
  hostname: string;
  manifestVersion: string;
  /** Expected beacon package versions, by field name. */
  expected: PackageVersions;
  servedAt: string;
}

function toServed(row: q.ServedManifestRow): ServedManifest {
  return {
    upn: row.upn_lower,
    hostname: row.hostname_lower,
    manifestVersion: row.manifest_version,
    expected: {
      backgroundVersion: row.background_version,
      lockScreenVersion: row.lock_screen_version,
      teamsBackgroundVersion: row.teams_background_version,
      screensaverVersion: row.screensaver_version,
      newSignatureVersion: row.new_signature_version,
      replySignatureVersion: row.reply_signature_version,
      webSignatureVersion: row.web_signature_version,
    },
    servedAt: row.served_at,
  };
}

/** Every device's last served manifest in (upn, hostname) order, a keyset page after `after`. */
export async function servedManifestPage(db: Kysely<Database>, after: { upn: string; hostname: string } | null, limit: number): Promise<ServedManifest[]> {
  const key = after ? { upn: after.upn.toLowerCase(), hostname: after.hostname.toLowerCase() } : null;
  return (await q.servedManifestPage(db, key, limit)).map(toServed);
}

/** The devices of these users (one query; pass a page of users at a time). */
export async function servedManifestsOf(db: Kysely<Database>, upns: readonly string[]): Promise<ServedManifest[]> {
  return (await q.servedManifestsOf(db, [...new Set(upns.map((u) => u.toLowerCase()))])).map(toServed);
}

/** Past this many unwritten records (database down for long) new ones are dropped and counted. */
const MAX_BUFFERED = 100_000;

export class ServedManifestRecorder {
  readonly #writer: BatchedWriter<q.ServedManifestRow>;

  constructor(db: Kysely<Database>, log: Logger) {
    this.#writer = new BatchedWriter({
      what: 'served device manifests',
      log,
      maxBuffered: MAX_BUFFERED,
      write: (batch) => {
        // One row per device per statement (PostgreSQL's upsert refuses to touch a row twice); the latest wins.
        const latest = new Map<string, q.ServedManifestRow>();
        for (const row of batch) latest.set(`${row.upn_lower}\n${row.hostname_lower}`, row);
        return q.recordServedManifests(db, [...latest.values()]);
      },
    });
  }

  record(manifest: DeviceManifest, servedAt: string): void {
    const v = packageVersionsOf(manifest);
    this.#writer.add({
      upn_lower: manifest.upn.toLowerCase(),
      hostname_lower: manifest.hostname.toLowerCase(),
      manifest_version: manifest.version,
      background_version: v.backgroundVersion,
      lock_screen_version: v.lockScreenVersion,
      teams_background_version: v.teamsBackgroundVersion,
      screensaver_version: v.screensaverVersion,
      new_signature_version: v.newSignatureVersion,
      reply_signature_version: v.replySignatureVersion,
      web_signature_version: v.webSignatureVersion,
      served_at: servedAt,
    });
  }

  flush(): Promise<void> {
    return this.#writer.flush();
  }

  close(): Promise<void> {
    return this.#writer.close();
  }
}
