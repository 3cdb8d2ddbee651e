/**
 * People's photos for signatures (PhotoSource): read from Graph (`/users/{id}/photo`, `/photo/$value`),
 * resized with sharp to a square JPEG, and kept in the database with Graph's etag, so every instance
 * and every render shares one copy. It lives with signatures, not the directory, because only
 * signatures use photos and the size and format are theirs.
 *
 * A cached photo is used until it is older than the TTL or a directory change of the user marked it
 * stale; then Graph is asked again, and when the etag has not changed only the metadata is read. A
 * render never waits long: past the timeout it goes on with the photo it had (or none), the fetch
 * finishes in the background for the next render, and the wait is logged.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import sharp from 'sharp';
import type { Database } from '../db/schema.js';
import type { DirectoryProfile, GraphPort } from '../graph/graph-port.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import * as q from './deployment.queries.js';
import type { PhotoSource, SignatureImage } from './model.js';

export interface PhotoOptions {
  /** Width and height of the resized photo, in pixels. */
  size: number;
  ttlMs: number;
  /** Longest a render waits for Graph. */
  timeoutMs: number;
}

function imageOf(row: q.PhotoRow): SignatureImage | undefined {
  if (!row.bytes || !row.hash) return undefined;
  return {
    hash: row.hash,
    contentType: row.content_type === 'image/png' ? 'image/png' : 'image/jpeg',
    bytes: Buffer.from(row.bytes, 'base64'),
    ...(row.width ? { width: row.width } : {}),
    ...(row.height ? { height: row.height } : {}),
  };
}

export class GraphPhotoSource implements PhotoSource {
  /** One fetch per user at a time; renders asking meanwhile share it. */
  readonly #inFlight = new Map<string, Promise<q.PhotoRow | undefined>>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly graph: GraphPort,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: PhotoOptions,
  ) {}

  async photoOf(userId: string): Promise<SignatureImage | undefined> {
    const cached = await q.getPhoto(this.db, userId);
    const age = cached ? this.clock.now().getTime() - Date.parse(cached.fetched_at) : Number.POSITIVE_INFINITY;
    if (cached && cached.stale === 0 && age < this.options.ttlMs) return imageOf(cached);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.timeoutMs);
    });
    const fresh = await Promise.race([this.#refresh(userId, cached), timedOut]).finally(() => clearTimeout(timer));
    if (fresh === 'timeout') {
      this.log.warn(
        { userId, timeoutMs: this.options.timeoutMs },
        'photo not read from Microsoft Graph in time; the signature is rendered with the cached photo or none',
      );
      return cached ? imageOf(cached) : undefined;
    }
    return fresh ? imageOf(fresh) : cached ? imageOf(cached) : undefined;
  }

  /** The directory-sync hook: changed or removed users' photos are asked for again at next use. */
  async directoryChanged(changes: { upserted: readonly DirectoryProfile[]; removed: readonly string[] }): Promise<void> {
    await q.markPhotosStale(this.db, [...changes.upserted.map((p) => p.id), ...changes.removed]);
  }

  #refresh(userId: string, cached: q.PhotoRow | undefined): Promise<q.PhotoRow | undefined> {
    let running = this.#inFlight.get(userId);
    if (!running) {
      running = this.#fetch(userId, cached)
        .catch((err: unknown) => {
          // Kept as it was: a Graph outage must not erase photos; asked again at the next render.
          this.log.warn({ userId, err }, 'photo could not be read from Microsoft Graph');
          return undefined;
        })
        .finally(() => this.#inFlight.delete(userId));
      this.#inFlight.set(userId, running);
    }
    return running;
  }

  async #fetch(userId: string, cached: q.PhotoRow | undefined): Promise<q.PhotoRow> {
    const photo = await this.graph.getUserPhoto(userId, cached?.etag);
    const fetched_at = this.clock.now().toISOString();
    let row: q.PhotoRow;
    if (photo === null) {
      row = { user_id: userId, etag: null, hash: null, content_type: null, width: null, height: null, bytes: null, fetched_at, stale: 0 };
    } else if (photo.unchanged) {
      row = { ...cached!, fetched_at, stale: 0 };
    } else {
      const size = this.options.size;
      const bytes = await sharp(photo.bytes, { limitInputPixels: 64 * 1024 * 1024 })
        .rotate()
        .resize(size, size, { fit: 'cover' })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 85 })
        .toBuffer();
      row = {
        user_id: userId,
        etag: photo.etag,
        hash: createHash('sha256').update(bytes).digest('hex'),
        content_type: 'image/jpeg',
        width: size,
        height: size,
        bytes: bytes.toString('base64'),
        fetched_at,
        stale: 0,
      };
    }
    await q.savePhoto(this.db, row);
    return row;
  }
}
