/**
 * What an uploaded branding file is, read from its bytes, never from its name: PNG or JPEG images
 * (they must decode, within the pixel limits), MP4 or WebM videos for screensavers (MP4: the top-level
 * boxes must cover the file exactly and hold `moov` and `mdat`; WebM: an EBML header whose DocType is
 * webm). Video dimensions and codecs are not read: that would need a demuxer, and the agent's player is
 * what decides whether it plays (docs/BRANDING.md).
 */
import { open } from 'node:fs/promises';
import sharp from 'sharp';
import { OnrampError } from '../errors.js';
import { sniffImageType } from '../signatures/assets.js';
import type { StagedFile } from './file-store.js';

export type BrandingContentType = 'image/png' | 'image/jpeg' | 'video/mp4' | 'video/webm';

export const EXTENSIONS: Record<BrandingContentType, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'video/mp4': 'mp4', 'video/webm': 'webm' };

export interface InspectedFile {
  media: 'image' | 'video';
  contentType: BrandingContentType;
  width: number;
  height: number;
}

export interface InspectLimits {
  maxImageBytes: number;
  maxVideoBytes: number;
  minImagePixels: number;
  maxImagePixels: number;
}

const refuse = (reason: string) => new OnrampError('ONRAMP_ERR_BRANDING_FILE_REJECTED', [reason]);

/** ISO base media brands that are still images (HEIF, AVIF), not videos. */
const IMAGE_BRANDS = new Set(['mif1', 'msf1', 'heic', 'heix', 'avif', 'avis']);

function sniffVideo(head: Buffer): 'video/mp4' | 'video/webm' | undefined {
  if (head.length >= 12 && head.toString('latin1', 4, 8) === 'ftyp' && !IMAGE_BRANDS.has(head.toString('latin1', 8, 12))) return 'video/mp4';
  // EBML magic; the DocType element (0x42 0x82) follows within the header's first bytes.
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) {
    const docType = head.indexOf(Buffer.from([0x42, 0x82]));
    if (docType > 0 && head.toString('latin1', docType + 3, docType + 7) === 'webm') return 'video/webm';
  }
  return undefined;
}

/** Walks the MP4's top-level boxes (8 or 16 header bytes each): they must end exactly at the file's end. */
async function mp4Problem(path: string, size: number): Promise<string | undefined> {
  const handle = await open(path, 'r');
  try {
    const header = Buffer.alloc(16);
    const seen = new Set<string>();
    let offset = 0;
    for (let boxes = 0; offset < size; boxes++) {
      if (boxes > 10_000) return 'the MP4 has too many top-level boxes';
      const { bytesRead } = await handle.read(header, 0, 16, offset);
      if (bytesRead < 8) return 'the MP4 ends inside a box header';
      let boxSize = header.readUInt32BE(0);
      const type = header.toString('latin1', 4, 8);
      if (boxSize === 1) {
        if (bytesRead < 16) return 'the MP4 ends inside a box header';
        boxSize = Number(header.readBigUInt64BE(8));
      } else if (boxSize === 0) boxSize = size - offset;
      if (boxSize < 8) return `the MP4 box ${JSON.stringify(type)} has an impossible size`;
      seen.add(type);
      offset += boxSize;
    }
    if (offset !== size) return 'the MP4 is truncated (its last box runs past the end of the file)';
    if (!seen.has('moov') || !seen.has('mdat')) return 'the MP4 has no movie (moov) or no media data (mdat)';
    return undefined;
  } finally {
    await handle.close();
  }
}

/** File name extensions that claim a type; a name claiming another type than the content is refused (a PNG named .mp4). */
const CLAIMED: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jfif: 'image/jpeg',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
};

export async function inspectBrandingFile(staged: StagedFile, limits: InspectLimits, fileName = ''): Promise<InspectedFile> {
  const found = await inspectContent(staged, limits);
  const extension = /\.([A-Za-z0-9]+)$/.exec(fileName)?.[1]?.toLowerCase();
  const claimed = extension ? CLAIMED[extension] : undefined;
  if (claimed && claimed !== found.contentType) throw refuse(`the file is named .${extension} but its content is ${found.contentType}`);
  return found;
}

async function inspectContent(staged: StagedFile, limits: InspectLimits): Promise<InspectedFile> {
  if (staged.size === 0) throw refuse('the file is empty');
  const image = sniffImageType(staged.head);
  if (image === 'image/png' || image === 'image/jpeg') {
    if (staged.size > limits.maxImageBytes) throw refuse(`${staged.size} bytes is over the image limit of ${limits.maxImageBytes} (branding.maxImageBytes)`);
    const meta = await sharp(staged.path, { failOn: 'error' })
      .metadata()
      .catch(() => undefined);
    if (!meta?.width || !meta.height || meta.format !== (image === 'image/png' ? 'png' : 'jpeg')) throw refuse(`the ${image} image does not decode`);
    const { width, height } = meta;
    if (width > limits.maxImagePixels || height > limits.maxImagePixels)
      throw refuse(`${width}×${height} pixels is over the limit of ${limits.maxImagePixels} (branding.maxImagePixels)`);
    if (width < limits.minImagePixels || height < limits.minImagePixels)
      throw refuse(`${width}×${height} pixels is under the minimum of ${limits.minImagePixels} (branding.minImagePixels)`);
    // Decoding the whole image catches a truncated body that the header alone does not show.
    const decodes = await sharp(staged.path, { failOn: 'error' })
      .stats()
      .then(
        () => true,
        () => false,
      );
    if (!decodes) throw refuse(`the ${image} image is damaged or truncated`);
    return { media: 'image', contentType: image, width, height };
  }
  const video = sniffVideo(staged.head);
  if (video) {
    if (staged.size > limits.maxVideoBytes) throw refuse(`${staged.size} bytes is over the video limit of ${limits.maxVideoBytes} (branding.maxVideoBytes)`);
    if (video === 'video/mp4') {
      const problem = await mp4Problem(staged.path, staged.size);
      if (problem) throw refuse(problem);
    }
    return { media: 'video', contentType: video, width: 0, height: 0 };
  }
  throw refuse('the content is not a PNG or JPEG image, nor an MP4 or WebM video (the type is read from the bytes, not the file name)');
}

/** Teams wants a 280×158 thumbnail beside each background (`<guid>_thumb.png`). */
export function teamsThumbnail(path: string): Promise<Buffer> {
  return sharp(path).resize(280, 158, { fit: 'cover' }).png().toBuffer();
}
