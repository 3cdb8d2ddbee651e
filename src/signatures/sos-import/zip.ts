/**
 * A zipped SOS folder → its files, refusing what could hurt: too big an upload, too many entries, too
 * much unpacked data or too high a compression ratio (zip bombs), and names that climb out of the
 * folder or are absolute. A single top-level folder (zipping the folder itself) is stripped.
 */
import { unzipSync } from 'fflate';
import { SosImportError } from './importer.js';

export const SOS_ZIP_LIMITS = {
  maxZipBytes: 20 * 1024 * 1024,
  maxEntries: 500,
  maxUnpackedBytes: 100 * 1024 * 1024,
  /** Unpacked over packed, per entry: Word and image files stay far below it, bombs far above. */
  maxRatio: 200,
} as const;

export type ZipLimits = { [K in keyof typeof SOS_ZIP_LIMITS]: number };

function safeName(name: string): string {
  const path = name.replace(/\\/g, '/');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.split('/').some((part) => part === '..')) {
    throw new SosImportError(`the zip entry "${name}" points outside the folder`);
  }
  return path.replace(/^(\.\/)+/, '');
}

export function readFolderZip(bytes: Uint8Array, limits: ZipLimits = SOS_ZIP_LIMITS): Map<string, Buffer> {
  if (bytes.length > limits.maxZipBytes) throw new SosImportError(`the zip is over ${limits.maxZipBytes} bytes`);
  let entries = 0;
  let declared = 0;
  let problem: string | undefined;
  let unpacked: Record<string, Uint8Array>;
  try {
    unpacked = unzipSync(bytes, {
      // Checked before anything is inflated, on the sizes the zip declares; the real sizes are checked after.
      filter: (file) => {
        if (file.name.endsWith('/') || file.name.startsWith('__MACOSX/')) return false;
        entries++;
        declared += file.originalSize;
        if (entries > limits.maxEntries) problem ??= `the zip has more than ${limits.maxEntries} files`;
        else if (declared > limits.maxUnpackedBytes) problem ??= `the zip unpacks to more than ${limits.maxUnpackedBytes} bytes`;
        else if (file.originalSize > Math.max(file.size, 1024) * limits.maxRatio)
          problem ??= `the zip entry "${file.name}" is compressed suspiciously well (a zip bomb?)`;
        return problem === undefined;
      },
    });
  } catch (error) {
    throw new SosImportError(`the upload is not a readable zip (${(error as Error).message})`);
  }
  if (problem) throw new SosImportError(problem);
  const files = new Map<string, Buffer>();
  let total = 0;
  for (const [name, content] of Object.entries(unpacked)) {
    total += content.length;
    if (total > limits.maxUnpackedBytes) throw new SosImportError(`the zip unpacks to more than ${limits.maxUnpackedBytes} bytes`);
    files.set(safeName(name), Buffer.from(content));
  }
  const tops = new Set([...files.keys()].map((path) => (path.includes('/') ? path.slice(0, path.indexOf('/')) : '')));
  if (tops.size === 1 && !tops.has('')) {
    const prefix = `${[...tops][0]}/`;
    return new Map([...files].map(([path, content]) => [path.slice(prefix.length), content]));
  }
  return files;
}
