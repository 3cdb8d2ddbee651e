/**
 * Teams meeting backgrounds: each image and its thumbnail as `<guid><ext>` and `<guid>_thumb<ext>` in the
 * Uploads folder of every Teams the user has (community knowledge, not Microsoft-documented):
 * classic Teams `%APPDATA%\Microsoft\Teams\Backgrounds\Uploads`, new Teams
 * `%LOCALAPPDATA%\Packages\MSTeams_8wekyb3d8bbwe\LocalCache\Microsoft\MSTeams\Backgrounds\Uploads`.
 * A Teams that is not installed gets no folder made for it. Files onramp wrote that left the set are
 * removed; files the user uploaded are never touched (their names are not in `owned`).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TeamsBackgrounds } from '../../../src/branding/manifest.schemas.js';
import { exists, isInside, writeIfChanged } from '../files.js';
import type { KnownFolders } from '../platform.js';
import { extensionOf, type ApplyContext, type ElementOutcome } from './element.js';

/** [the app's own folder, which says it is installed; its Uploads folder]. */
export function teamsUploadFolders(folders: KnownFolders): Array<{ teams: 'classic' | 'new'; installedAt: string; uploads: string }> {
  const classic = join(folders.appData, 'Microsoft', 'Teams');
  const newTeams = join(folders.localAppData, 'Packages', 'MSTeams_8wekyb3d8bbwe');
  return [
    { teams: 'classic', installedAt: classic, uploads: join(classic, 'Backgrounds', 'Uploads') },
    { teams: 'new', installedAt: newTeams, uploads: join(newTeams, 'LocalCache', 'Microsoft', 'MSTeams', 'Backgrounds', 'Uploads') },
  ];
}

export async function applyTeamsBackgrounds(desired: TeamsBackgrounds, ctx: ApplyContext): Promise<ElementOutcome> {
  const targets = [];
  for (const target of teamsUploadFolders(ctx.folders)) if (await exists(target.installedAt)) targets.push(target);
  if (targets.length === 0) return { status: 'skipped', detail: 'neither classic nor new Teams has a folder for this user (retried at the next sync)' };
  const owned: string[] = [];
  for (const { uploads } of targets) {
    for (const { id, image, thumbnail } of desired.images) {
      const files: Array<[string, typeof image]> = [
        [join(uploads, `${id}${extensionOf(image.fileName)}`), image],
        [join(uploads, `${id}_thumb${extensionOf(thumbnail.fileName)}`), thumbnail],
      ];
      for (const [path, file] of files) {
        await writeIfChanged(path, await ctx.asset(file));
        owned.push(path);
      }
    }
  }
  const keep = new Set(owned);
  const uploadFolders = teamsUploadFolders(ctx.folders).map((t) => t.uploads);
  for (const path of ctx.previous?.owned ?? []) {
    if (!keep.has(path) && uploadFolders.some((folder) => isInside(folder, path))) await rm(path, { force: true });
  }
  return {
    status: 'applied',
    owned,
    packages: { teamsBackgroundVersion: desired.version },
    detail: `${desired.images.length} background(s) in ${targets.map((t) => `${t.teams} Teams`).join(' and ')}`,
  };
}
