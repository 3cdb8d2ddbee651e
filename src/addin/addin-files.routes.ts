/**
 * The add-in's public files: GET /addin/manifest.xml (generated from configuration, to upload in the
 * Microsoft 365 admin center) and its icons, drawn once from an SVG with sharp. No sign-in: a manifest
 * and icons are what every user's Outlook downloads.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import sharp from 'sharp';
import { escapeHtml } from '../lib/html.js';
import { addinManifest, ICON_SIZES, type ManifestOptions } from './manifest.js';

export interface AddinFilesOptions {
  /** Everything but baseUrl; baseUrl is server.publicUrl, or the origin the request came to. */
  manifest: Omit<ManifestOptions, 'baseUrl'>;
  publicUrl: string | undefined;
  /** Colour of the icon (the brand's primary colour). */
  color: string;
}

/** A GUID derived from a seed (RFC 4122 layout, version 5-like): the same configuration, the same add-in id. */
export function derivedGuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function iconSvg(color: string): string {
  // A signature stroke on a rounded square: legible from 16 px up.
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="${escapeHtml(color)}"/><path d="M12 42c6-14 10-20 13-18s-4 16 0 16 7-12 10-12-1 10 3 10 6-6 14-6" fill="none" stroke="#fff" stroke-width="5" stroke-linecap="round" stroke-linejoin="round"/><path d="M12 50h40" stroke="#fff" stroke-width="3" stroke-linecap="round" opacity=".7"/></svg>`;
}

export async function addinFileRoutes(parent: FastifyInstance, opts: AddinFilesOptions): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const svg = Buffer.from(iconSvg(opts.color));
  const icons = new Map<number, Promise<Buffer>>();
  const iconOf = (size: number) => {
    let png = icons.get(size);
    if (!png) {
      png = sharp(svg, { density: Math.max(72, (72 * size) / 64) })
        .resize(size, size)
        .png()
        .toBuffer();
      icons.set(size, png);
    }
    return png;
  };

  app.get('/addin/manifest.xml', async (req, reply) => {
    const baseUrl = (opts.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/+$/, '');
    return reply
      .type('application/xml; charset=utf-8')
      .header('content-disposition', 'inline; filename="onramp-addin-manifest.xml"')
      .header('cache-control', 'no-cache')
      .send(addinManifest({ ...opts.manifest, baseUrl }));
  });

  app.get(
    '/addin/icon-:size.png',
    { schema: { params: Type.Object({ size: Type.Union(ICON_SIZES.map((s) => Type.Literal(String(s)))) }) } },
    async (req, reply) => {
      const png = await iconOf(Number(req.params.size));
      return reply.type('image/png').header('cache-control', 'public, max-age=86400').send(png);
    },
  );
}
