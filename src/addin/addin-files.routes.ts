/**
 * The add-in's public files: GET /addin/manifest.xml (generated from configuration, to upload in the
 * Microsoft 365 admin center) and its icons, drawn once from an SVG with sharp. No sign-in: a manifest
 * and icons are what every user's Outlook downloads.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import sharp from 'sharp';
import { escapeHtml } from '../lib/html.js';
import { ADDIN_PATHS, addinManifest, ICON_SIZES, LAUNCH_HANDLERS, type ManifestOptions } from './manifest.js';

/** The bundled event runtime and taskpane (addin/build.mjs, run by `npm run build`); the same path from src/addin and dist/addin. */
const ADDIN_DIST = new URL('../../addin/dist/', import.meta.url);
const bundle = (name: string): string | undefined => {
  const file = new URL(name, ADDIN_DIST);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
};
const OFFICE_JS = 'https://appsforoffice.microsoft.com/lib/1/hosted/office.js';
const TASKPANE_JS_PATH = '/addin/taskpane.js';

export interface AddinFilesOptions {
  /** Everything but baseUrl; baseUrl is server.publicUrl, or the origin the request came to. */
  manifest: Omit<ManifestOptions, 'baseUrl'>;
  publicUrl: string | undefined;
  /** Colour of the icon (the brand's primary colour). */
  color: string;
  /** How long the runtime waits for onramp before it inserts the cached signature (default 3 s of Outlook's few). */
  fetchBudgetMs?: number;
  /** Nested app authentication: the app the add-in signs in as, its authority and the scopes it asks for. */
  auth: AddinAuthSettings;
}

export interface AddinAuthSettings {
  clientId: string;
  /** `<authorityHost>/<tenant id>`. */
  authority: string;
  /** e.g. `api://<client id>/Signatures.Read`. */
  scopes: string[];
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

  const baseUrlOf = (req: { protocol: string; host: string }) => (opts.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/+$/, '');

  const script = (source: string | undefined) => async (req: { protocol: string; host: string }, reply: FastifyReply) => {
    // As the portal does when portal/dist is missing: a checkout that was never built says so.
    if (source === undefined) return reply.type('text/plain; charset=utf-8').code(503).send('The add-in is not built. Run `npm run build` (npm ci does it).');
    const settings = { baseUrl: baseUrlOf(req), handlers: LAUNCH_HANDLERS, fetchBudgetMs: opts.fetchBudgetMs ?? 3000, auth: opts.auth };
    return reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(`var ONRAMP_ADDIN = ${JSON.stringify(settings).replace(/</g, '\\u003c')};\n${source}`);
  };
  app.get(ADDIN_PATHS.runtimeJs, script(bundle('runtime.js')));
  app.get(TASKPANE_JS_PATH, script(bundle('taskpane.js')));

  app.get(ADDIN_PATHS.taskpane, async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Signatures</title>
<style>body{font-family:system-ui,sans-serif;margin:1rem}ul{list-style:none;padding:0}li{margin:.4rem 0}button{font:inherit;padding:.4rem .8rem;min-width:12rem;text-align:left}button[aria-current]{font-weight:600}</style>
<script src="${OFFICE_JS}"></script><script src="${TASKPANE_JS_PATH}"></script></head>
<body><main><h1>Signatures</h1><p id="status" role="status">Loading your signatures…</p><ul id="signatures"></ul></main></body></html>`,
      ),
  );

  app.get(ADDIN_PATHS.runtimeHtml, async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>onramp signatures</title><script src="${OFFICE_JS}"></script><script src="${ADDIN_PATHS.runtimeJs}"></script></head><body></body></html>`,
      ),
  );

  app.get(ADDIN_PATHS.manifest, async (req, reply) => {
    const baseUrl = baseUrlOf(req);
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
