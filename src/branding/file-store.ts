/**
 * Branding files by content: each is stored once under its SHA-256 (`<dir>/<first two hex>/<sha256>`)
 * and never changed, so a name always means the same bytes. That is what makes a shared folder safe
 * for several instances without locks: two instances storing the same upload write the same name with
 * the same bytes, each through a temporary file renamed into place (rename is atomic on one file
 * system), so a reader never sees half a file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Files a device may download: described once (they never change), read from the file store. */
export interface ServableFiles {
  describe(sha256: string): Promise<{ contentType: string; size: number } | undefined>;
  read(sha256: string, range?: { start: number; end: number }): NodeJS.ReadableStream;
}

/** An upload written to a temporary file while it was hashed; `keep()` moves it to its name, `discard()` removes it. */
export interface StagedFile {
  path: string;
  sha256: string;
  size: number;
  /** The first bytes, for sniffing the type. */
  head: Buffer;
}

const HEAD_BYTES = 64;

export class BrandingFileStore {
  constructor(readonly dir: string) {}

  pathOf(sha256: string): string {
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  /** Streams `source` to a temporary file in the store's folder (same file system as the final name), hashing it. */
  async stage(source: Readable): Promise<StagedFile> {
    const tmpDir = join(this.dir, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const path = join(tmpDir, `${randomBytes(12).toString('hex')}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const head: Buffer[] = [];
    let headBytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        if (headBytes < HEAD_BYTES) {
          head.push(chunk.subarray(0, HEAD_BYTES - headBytes));
          headBytes += Math.min(chunk.length, HEAD_BYTES - headBytes);
        }
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, tap, createWriteStream(path, { flags: 'wx' }));
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
    return { path, sha256: hash.digest('hex'), size, head: Buffer.concat(head) };
  }

  /** Stores bytes made here (thumbnails) under their hash; returns it. */
  async putBytes(bytes: Buffer): Promise<string> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (await this.has(sha256)) return sha256;
    const tmpDir = join(this.dir, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const path = join(tmpDir, `${randomBytes(12).toString('hex')}.part`);
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.#moveIntoPlace(path, sha256);
    return sha256;
  }

  async keep(staged: StagedFile): Promise<void> {
    if (await this.has(staged.sha256)) {
      await this.discard(staged);
      return;
    }
    await this.#moveIntoPlace(staged.path, staged.sha256);
  }

  async discard(staged: StagedFile): Promise<void> {
    await rm(staged.path, { force: true });
  }

  async has(sha256: string): Promise<boolean> {
    return stat(this.pathOf(sha256)).then(
      () => true,
      () => false,
    );
  }

  /** Bytes `start`..`end` (inclusive) of a stored file. */
  read(sha256: string, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.pathOf(sha256), range);
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  async #moveIntoPlace(tmpPath: string, sha256: string): Promise<void> {
    await mkdir(join(this.dir, sha256.slice(0, 2)), { recursive: true });
    await rename(tmpPath, this.pathOf(sha256));
  }
}
