/**
 * Template images (logos, banners): the type is read from the bytes, never from the file name, and the
 * image must decode (sharp) so a renamed executable or a truncated file never becomes an asset.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { OnrampError } from '../errors.js';
import type { SignatureImage } from './model.js';

export type ImageType = SignatureImage['contentType'];

const SIGNATURES: ReadonlyArray<{ type: ImageType; magic: readonly number[] }> = [
  { type: 'image/png', magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'image/jpeg', magic: [0xff, 0xd8, 0xff] },
  { type: 'image/gif', magic: [0x47, 0x49, 0x46, 0x38, 0x37, 0x61] },
  { type: 'image/gif', magic: [0x47, 0x49, 0x46, 0x38, 0x39, 0x61] },
];

const SHARP_FORMATS: Record<ImageType, string> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/gif': 'gif' };

/** PNG, JPEG or GIF by magic bytes; undefined for anything else. */
export function sniffImageType(bytes: Buffer): ImageType | undefined {
  return SIGNATURES.find((s) => s.magic.every((b, i) => bytes[i] === b))?.type;
}

export interface InspectedImage extends SignatureImage {
  width: number;
  height: number;
}

/** Checks an upload and describes it, or throws 400 ONRAMP_ERR_ASSET_REJECTED saying why. */
export async function inspectImage(bytes: Buffer, maxBytes: number): Promise<InspectedImage> {
  if (bytes.length === 0) throw new OnrampError('ONRAMP_ERR_ASSET_REJECTED', ['the file is empty']);
  if (bytes.length > maxBytes)
    throw new OnrampError('ONRAMP_ERR_ASSET_REJECTED', [`${bytes.length} bytes is over the limit of ${maxBytes} (signatures.maxAssetBytes)`]);
  const contentType = sniffImageType(bytes);
  if (!contentType)
    throw new OnrampError('ONRAMP_ERR_ASSET_REJECTED', ['the content is not a PNG, JPEG or GIF image (the type is read from the bytes, not the file name)']);
  const meta = await sharp(bytes, { failOn: 'error' })
    .metadata()
    .catch(() => undefined);
  if (!meta?.width || !meta.height || meta.format !== SHARP_FORMATS[contentType]) {
    throw new OnrampError('ONRAMP_ERR_ASSET_REJECTED', [`the ${contentType} image does not decode`]);
  }
  return { hash: createHash('sha256').update(bytes).digest('hex'), contentType, bytes, width: meta.width, height: meta.height };
}
