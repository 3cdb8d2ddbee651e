/**
 * Users' profile photos in the simulated tenant: real PNG bytes made deterministically from the user's
 * id (a coloured square with a lighter head-and-shoulders shape), about one user in five without a
 * photo, as in real tenants. Written synchronously (zlib + CRC-32) because the Graph surface is a pure
 * function of the request, which `$batch` items share.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

export interface SimPhoto {
  bytes: Buffer;
  contentType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  /** Graph's `@odata.mediaEtag`, quoted: changes whenever the photo does. */
  etag: string;
}

/** Graph's photo sizes are square; 240 is what `/photo` reports for a typical upload. */
const SIZE = 240;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** An RGB PNG of `size`×`size`: background colour with a lighter circle (head) over a half disc (shoulders). */
export function portraitPng(rgb: readonly [number, number, number], size = SIZE): Buffer {
  const light = rgb.map((v) => Math.min(255, v + 90)) as [number, number, number];
  const rows: Buffer[] = [];
  const head = { x: size / 2, y: size * 0.38, r: size * 0.2 };
  const body = { x: size / 2, y: size * 1.05, r: size * 0.42 };
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) {
      const inHead = (x - head.x) ** 2 + (y - head.y) ** 2 <= head.r ** 2;
      const inBody = (x - body.x) ** 2 + (y - body.y) ** 2 <= body.r ** 2;
      const [r, g, b] = inHead || inBody ? light : rgb;
      row[1 + x * 3] = r;
      row[2 + x * 3] = g;
      row[3 + x * 3] = b;
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

export function etagOf(bytes: Buffer): string {
  return `"${createHash('sha256').update(bytes).digest('hex').slice(0, 8).toUpperCase()}"`;
}

/** The photo a generated user starts with, or null for the one in five without one. */
export function generatedPhoto(userId: string): SimPhoto | null {
  const h = createHash('sha256').update(`photo:${userId}`).digest();
  if (h[0]! < 51) return null;
  const bytes = portraitPng([40 + (h[1]! % 120), 40 + (h[2]! % 120), 40 + (h[3]! % 120)]);
  return { bytes, contentType: 'image/png', width: SIZE, height: SIZE, etag: etagOf(bytes) };
}
