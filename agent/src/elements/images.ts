/**
 * Desktop wallpaper and lock screen through PersonalizationCSP's registry values (HKLM, so elevated).
 * The agent runs as the user for everything else, so the work is split:
 * - user part (every sync): the image goes to `%ProgramData%\onramp\<kind>\<hash>-<name>` (a new name per
 *   content, so Windows sees a new path and copies it again), then
 *   - elevated: the CSP values are written at once;
 *   - not elevated: `machine-request.json` beside it names the file and its hash, and the element waits
 *     until the CSP values point at it ("needs the SYSTEM task");
 * - SYSTEM part (`onramp-agent machine`, a scheduled task as SYSTEM at boot and logon): reads the request,
 *   checks that each file is inside %ProgramData%\onramp and has the named hash, writes the values.
 *   It needs no network and no certificate.
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageElement } from '../../../src/branding/manifest.schemas.js';
import { isInside, readJson, writeIfChanged, writeJsonAtomic } from '../files.js';
import type { KnownFolders, Platform, Registry, RegistryValue } from '../platform.js';
import type { ApplyContext, ElementOutcome } from './element.js';

export const PERSONALIZATION_CSP_KEY = 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\PersonalizationCSP';

export type ImageKind = 'wallpaper' | 'lockScreen';

const VALUE_PREFIX: Record<ImageKind, string> = { wallpaper: 'DesktopImage', lockScreen: 'LockScreenImage' };
const PACKAGE_FIELD = { wallpaper: 'backgroundVersion', lockScreen: 'lockScreenVersion' } as const;

interface MachineRequest {
  wallpaper?: { path: string; sha256: string };
  lockScreen?: { path: string; sha256: string };
}

const requestPath = (folders: KnownFolders) => join(folders.programData, 'machine-request.json');

function cspValues(kind: ImageKind, path: string): Array<[string, RegistryValue]> {
  const prefix = VALUE_PREFIX[kind];
  return [
    [`${prefix}Path`, { type: 'REG_SZ', data: path }],
    [`${prefix}Url`, { type: 'REG_SZ', data: path }],
    [`${prefix}Status`, { type: 'REG_DWORD', data: 1 }],
  ];
}

async function pointsAt(registry: Registry, kind: ImageKind, path: string): Promise<boolean> {
  const current = await registry.read(PERSONALIZATION_CSP_KEY, `${VALUE_PREFIX[kind]}Path`);
  return current?.type === 'REG_SZ' && current.data.toLowerCase() === path.toLowerCase();
}

/** Writes the values that differ; true when any did. */
async function writeCsp(registry: Registry, kind: ImageKind, path: string): Promise<boolean> {
  let wrote = false;
  for (const [name, value] of cspValues(kind, path)) {
    const current = await registry.read(PERSONALIZATION_CSP_KEY, name);
    if (current?.type === value.type && current.data === value.data) continue;
    await registry.write(PERSONALIZATION_CSP_KEY, name, value);
    wrote = true;
  }
  return wrote;
}

async function removeOldImages(kind: ImageKind, folders: KnownFolders, owned: string[] | undefined, keep: string): Promise<void> {
  for (const path of owned ?? []) if (path !== keep && isInside(join(folders.programData, kind), path)) await rm(path, { force: true });
}

export async function applyImage(kind: ImageKind, desired: ImageElement, ctx: ApplyContext): Promise<ElementOutcome> {
  const bytes = await ctx.asset(desired.file);
  const path = join(ctx.folders.programData, kind, `${desired.file.sha256.slice(0, 12)}-${desired.file.fileName}`);
  await writeIfChanged(path, bytes);
  const owned = [...new Set([path, ...(ctx.previous?.owned ?? [])])];
  const registry = ctx.platform.registry;
  if (await ctx.platform.isElevated()) {
    const changed = await writeCsp(registry, kind, path);
    await removeOldImages(kind, ctx.folders, ctx.previous?.owned, path);
    return { status: 'applied', owned: [path], packages: { [PACKAGE_FIELD[kind]]: desired.version }, changedUserSettings: changed };
  }
  if (await pointsAt(registry, kind, path)) {
    await removeOldImages(kind, ctx.folders, ctx.previous?.owned, path);
    return { status: 'applied', owned: [path], packages: { [PACKAGE_FIELD[kind]]: desired.version } };
  }
  const request = ((await readJson(requestPath(ctx.folders))) as MachineRequest | undefined) ?? {};
  if (request[kind]?.path !== path || request[kind]?.sha256 !== desired.file.sha256) {
    request[kind] = { path, sha256: desired.file.sha256 };
    await writeJsonAtomic(requestPath(ctx.folders), request);
  }
  return {
    status: 'waiting',
    detail: `${path} is in place; PersonalizationCSP (HKLM) needs the SYSTEM task (onramp-agent machine) to point at it`,
    owned,
  };
}

export interface MachineOutcome {
  kind: ImageKind;
  status: 'applied' | 'unchanged' | 'refused';
  detail?: string;
}

/** The SYSTEM part: applies what the user part asked for, after checking it is a file onramp placed. */
export async function applyMachineRequest(platform: Platform): Promise<MachineOutcome[]> {
  if (!(await platform.isElevated())) throw new Error('onramp-agent machine must run elevated (the SYSTEM scheduled task): it writes HKLM');
  const folders = await platform.folders();
  const request = ((await readJson(requestPath(folders))) as MachineRequest | undefined) ?? {};
  const outcomes: MachineOutcome[] = [];
  for (const kind of ['wallpaper', 'lockScreen'] as const) {
    const wanted = request[kind];
    if (!wanted) continue;
    // The request file is writable by users: only a file under our folder with the named hash is used.
    if (typeof wanted.path !== 'string' || !isInside(folders.programData, wanted.path)) {
      outcomes.push({ kind, status: 'refused', detail: `${wanted.path} is not inside ${folders.programData}` });
      continue;
    }
    const bytes = await readFile(wanted.path).catch(() => undefined);
    if (!bytes || createHash('sha256').update(bytes).digest('hex') !== wanted.sha256) {
      outcomes.push({ kind, status: 'refused', detail: `${wanted.path} is missing or not the file named (SHA-256 differs)` });
      continue;
    }
    outcomes.push({ kind, status: (await writeCsp(platform.registry, kind, wanted.path)) ? 'applied' : 'unchanged' });
  }
  return outcomes;
}
