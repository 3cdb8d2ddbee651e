/**
 * Branding on the device listener (behind the gateway): GET /api/manifest (the device's manifest, the
 * query's `upn` bound to the certificate, ETag = manifest version, 304 when unchanged; each answer is
 * recorded as the device's expected state) and GET /api/branding/assets/:sha256 (a file by its hash,
 * strong ETag, ranges; any verified device may fetch any branding file: they are the organisation's
 * pictures, and a hash cannot be guessed).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { OnrampError } from '../errors.js';
import { HOT_ROUTE_LOG_LEVEL } from '../http/common.js';
import { ASSET_PATH } from './manifest.js';
import { DeviceManifest } from './manifest.schemas.js';
import type { BrandingFeature } from './branding.plugin.js';
import { ifNoneMatchHolds, NOT_MODIFIED } from '../http/conditional.js';

const ManifestQuery = Type.Object(
  {
    upn: Type.String({ minLength: 3, maxLength: 256 }),
    hostname: Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'As the beacon sends it' }),
  },
  { additionalProperties: false },
);
const AssetParams = Type.Object({ sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }, { additionalProperties: false });

type RangeAnswer = { kind: 'whole' } | { kind: 'part'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * One `bytes=` range (RFC 9110 §14): `a-b`, `a-`, `-n`. Several ranges, another unit or a malformed
 * header are ignored (the whole file, which the RFC allows); a range starting past the end is 416.
 */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'whole' };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return { kind: 'unsatisfiable' };
    return size === 0 ? { kind: 'unsatisfiable' } : { kind: 'part', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'part', start, end };
}

export async function deviceBrandingRoutes(parent: FastifyInstance, opts: { branding: BrandingFeature }): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { manifests, served, files } = opts.branding;

  app.get(
    '/api/manifest',
    {
      logLevel: HOT_ROUTE_LOG_LEVEL,
      schema: {
        querystring: ManifestQuery,
        response: { 200: DeviceManifest, 304: NOT_MODIFIED },
      },
    },
    async (req, reply) => {
      const { manifest, etag } = await manifests.manifestFor(req.query.upn, req.query.hostname);
      served.record(manifest, new Date().toISOString());
      reply.header('etag', etag).header('cache-control', 'private, no-cache');
      if (ifNoneMatchHolds(req.headers['if-none-match'], etag)) return reply.code(304).send();
      return manifest;
    },
  );

  app.get(
    `${ASSET_PATH}/:sha256`,
    {
      logLevel: HOT_ROUTE_LOG_LEVEL,
      config: { actsForUser: false },
      schema: {
        params: AssetParams,
        response: {
          200: {
            description: 'The file (immutable: the URL names the content)',
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
          206: { description: 'The requested byte range', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
          304: NOT_MODIFIED,
        },
      },
    },
    async (req, reply) => {
      const sha256 = req.params.sha256;
      const info = await files.describe(sha256);
      if (!info) throw new OnrampError('ONRAMP_ERR_BRANDING_NOT_FOUND', ['file', sha256]);
      const etag = `"${sha256}"`;
      reply
        .header('etag', etag)
        .header('cache-control', 'private, max-age=31536000, immutable')
        .header('accept-ranges', 'bytes')
        .header('x-content-type-options', 'nosniff');
      if (ifNoneMatchHolds(req.headers['if-none-match'], etag)) return reply.code(304).send();
      // If-Range with another validator: the client's part is of other bytes, so it gets the whole file.
      const ifRange = req.headers['if-range'];
      const range = ifRange !== undefined && ifRange !== etag ? ({ kind: 'whole' } as const) : parseRange(req.headers.range, info.size);
      if (range.kind === 'unsatisfiable') {
        reply.header('content-range', `bytes */${info.size}`);
        throw new OnrampError('ONRAMP_ERR_RANGE_NOT_SATISFIABLE', [String(req.headers.range), info.size]);
      }
      reply.type(info.contentType);
      if (range.kind === 'part') {
        reply
          .code(206)
          .header('content-range', `bytes ${range.start}-${range.end}/${info.size}`)
          .header('content-length', range.end - range.start + 1);
        return reply.send(files.read(sha256, { start: range.start, end: range.end }));
      }
      reply.header('content-length', info.size);
      return reply.send(files.read(sha256));
    },
  );
}
