/**
 * Every file the agent writes goes through here: written to a temp file beside the target, then renamed
 * over it. A crash or a full disk leaves the old file or the new one, never half of one (rename within
 * a folder is atomic on NTFS and ext4; Node's rename replaces an existing target on Windows too).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative } from 'node:path';

function tempPathFor(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  try {
    await writeFile(temp, data, { flush: true });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** The parsed file, or `undefined` when it does not exist. A file that is not JSON is an error. */
export async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The file's bytes, or `undefined` when it does not exist. */
export async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Writes only when the content differs: a sync with nothing new must leave every file as it was. */
export async function writeIfChanged(path: string, data: Uint8Array): Promise<boolean> {
  const current = await readIfExists(path);
  if (current?.equals(data)) return false;
  await writeFileAtomic(path, data);
  return true;
}

/**
 * Whether `path` lies inside `folder`. Removals check it: the paths onramp owns come from its state
 * file, and a damaged one must not make the agent delete anything outside the folders it writes.
 */
export function isInside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
