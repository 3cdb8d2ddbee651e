/**
 * What every element applier gets and gives back. An applier writes one element (signatures, wallpaper,
 * …) from its manifest entry, touches only what it owns, and answers with an outcome instead of
 * throwing for conditions it understands (new Outlook, no Teams, not elevated); the sync loop catches
 * the rest, so one element's failure never stops another's.
 */
import type { BrandingFile } from '../../../src/branding/manifest.schemas.js';
import type { PackageField } from '../../../src/devices/packages.js';
import type { AgentConfig } from '../config.js';
import type { KnownFolders, Platform } from '../platform.js';
import type { ElementRecord } from '../state.js';

export interface ApplyContext {
  platform: Platform;
  folders: KnownFolders;
  config: AgentConfig;
  /** The file's bytes, downloaded (or from the cache) and checked against its SHA-256. */
  asset(file: BrandingFile): Promise<Buffer>;
  /** The record of the last apply, or undefined on the first. */
  previous: ElementRecord | undefined;
}

export type ElementOutcome =
  | { status: 'applied'; owned: string[]; packages: Partial<Record<PackageField, string>>; detail?: string; changedUserSettings?: boolean }
  /** Not applied: `failed` is an error, `skipped` does not apply here (and why), `waiting` needs the SYSTEM task. */
  | { status: 'failed' | 'skipped' | 'waiting'; detail: string; owned?: string[] };

/** File extension of a manifest file name (`.png`), lower-case; '' when it has none. */
export function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(dot).toLowerCase() : '';
}
