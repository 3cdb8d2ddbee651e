/**
 * The branding admin API on the public listener: files (upload checked by content, list, delete, the
 * bytes for the portal's previews), assignments (ordered), "which assignment and why" for one user's
 * device, and the manifest that device would be served now. Viewers read, admins change; every change
 * is audited. Shapes: branding.schemas.ts.
 */
import type { FastifyError, FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { OnrampError } from '../errors.js';
import { errorBody, toOnrampError } from '../http/common.js';
import type { Clock } from '../lib/clock.js';
import { Assignment, AssignmentInput, AssignmentList, AssignmentOrderBody, BrandingAsset, BrandingAssetList, BrandingExplanation } from './branding.schemas.js';
import type { ServableFiles } from './file-store.js';
import type { ManifestPlanner } from './manifest.js';
import { DeviceManifest } from './manifest.schemas.js';
import type { BrandingStore } from './store.js';

export interface BrandingAdminOptions {
  store: BrandingStore;
  manifests: ManifestPlanner;
  files: ServableFiles;
  /** The larger of the image and video limits: the multipart limit (the type's own limit is checked after sniffing). */
  maxUploadBytes: number;
  clock: Clock;
  viewerGuard: preHandlerAsyncHookHandler;
  adminGuard: preHandlerAsyncHookHandler;
  actorOf: (req: FastifyRequest) => string;
  audit: (req: FastifyRequest, action: string, target: string | null, details?: unknown) => Promise<void>;
}

const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) }, { additionalProperties: false });
const HashParams = Type.Object({ sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }, { additionalProperties: false });
const DeviceQuery = Type.Object(
  {
    user: Type.String({ minLength: 3, maxLength: 256, description: 'UPN or mail address' }),
    hostname: Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
    at: Type.Optional(Type.String({ format: 'date-time', description: 'The moment to judge time windows at (default now)' })),
  },
  { additionalProperties: false },
);
const NoContent = { type: 'null', description: 'Removed; no content' };
const tags = ['branding'];

export async function brandingAdminRoutes(parent: FastifyInstance, options: BrandingAdminOptions): Promise<void> {
  const { store, manifests, files, viewerGuard, adminGuard, actorOf, audit } = options;
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const id = (params: { id: string }) => Number(params.id);
  const moment = (at: string | undefined) => (at ? new Date(at) : options.clock.now());

  // ------------------------------------------------------------------------------------------- assets
  app.get(
    '/api/branding/assets',
    { preHandler: viewerGuard, schema: { tags, summary: 'Uploaded branding files, newest first', response: { 200: BrandingAssetList } } },
    async () => ({ assets: await store.listAssets() }),
  );
  app.get(
    '/api/branding/files/:sha256',
    {
      preHandler: viewerGuard,
      schema: {
        tags,
        summary: "A file's bytes or a thumbnail's, for the portal's previews (devices download from the device listener)",
        params: HashParams,
        response: { 200: { description: 'The file', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } },
      },
    },
    async (req, reply) => {
      const info = await files.describe(req.params.sha256);
      if (!info) throw new OnrampError('ONRAMP_ERR_BRANDING_NOT_FOUND', ['file', req.params.sha256]);
      reply
        .header('etag', `"${req.params.sha256}"`)
        .header('cache-control', 'private, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff')
        .header('content-length', info.size)
        .type(info.contentType);
      return reply.send(files.read(req.params.sha256));
    },
  );
  app.delete(
    '/api/branding/assets/:sha256',
    {
      preHandler: adminGuard,
      schema: {
        tags,
        summary: 'Delete a file; 409 ONRAMP_ERR_BRANDING_ASSET_IN_USE while an assignment uses it',
        params: HashParams,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await store.deleteAsset(req.params.sha256);
      await audit(req, 'branding.asset.delete', req.params.sha256);
      return reply.code(204).send();
    },
  );
  await app.register(async (child) => {
    const upload = child.withTypeProvider<TypeBoxTypeProvider>();
    const limit = options.maxUploadBytes;
    // The file part is streamed to disk, so the limit bounds the disk used, not memory.
    await upload.register(multipart, { limits: { fileSize: limit, files: 1, fields: 2, fieldSize: 1024 } });
    upload.setErrorHandler((error, req, reply) => {
      // The multipart limit is the larger type limit: the answer names both settings, as for any refused file.
      const err =
        (error as FastifyError).code === 'FST_REQ_FILE_TOO_LARGE'
          ? new OnrampError('ONRAMP_ERR_BRANDING_FILE_REJECTED', [
              `the file is over the limit of ${limit} bytes (branding.maxImageBytes, branding.maxVideoBytes)`,
            ])
          : toOnrampError(error as FastifyError, limit);
      if (err.statusCode >= 500) req.log.error({ err: error }, 'request failed');
      return reply.code(err.statusCode).send(errorBody(reply, err));
    });
    upload.post(
      '/api/branding/assets',
      {
        // Before the body is read: an anonymous caller gets nothing parsed.
        onRequest: adminGuard,
        bodyLimit: limit + 64 * 1024,
        schema: {
          tags,
          summary:
            'Upload a file (multipart, one file part): PNG or JPEG images, MP4 or WebM videos, by content; 400 ONRAMP_ERR_BRANDING_FILE_REJECTED says why not',
          consumes: ['multipart/form-data'],
          response: { 201: BrandingAsset },
        },
      },
      async (req, reply) => {
        if (!req.isMultipart()) throw new OnrampError('ONRAMP_ERR_UNSUPPORTED_MEDIA_TYPE', ['send the file as multipart/form-data']);
        let asset: BrandingAsset | undefined;
        for await (const part of req.parts()) {
          if (part.type !== 'file') continue;
          if (asset) {
            part.file.resume();
            continue;
          }
          asset = await store.upload(part.file, part.filename, actorOf(req), () => part.file.truncated);
        }
        if (!asset) throw new OnrampError('ONRAMP_ERR_VALIDATION', ['multipart upload has no file part']);
        await audit(req, 'branding.asset.upload', asset.sha256, { name: asset.name, contentType: asset.contentType, size: asset.size });
        return reply.code(201).send(asset);
      },
    );
  });

  // -------------------------------------------------------------------------------------- assignments
  app.get(
    '/api/branding/assignments',
    { preHandler: viewerGuard, schema: { tags, summary: 'Assignments, highest priority first', response: { 200: AssignmentList } } },
    async () => ({ assignments: await store.listAssignments() }),
  );
  app.post(
    '/api/branding/assignments',
    { preHandler: adminGuard, schema: { tags, summary: 'Add an assignment (lowest priority)', body: AssignmentInput, response: { 201: Assignment } } },
    async (req, reply) => {
      const created = await store.createAssignment(req.body, actorOf(req));
      await audit(req, 'branding.assignment.create', String(created.id), req.body);
      return reply.code(201).send(created);
    },
  );
  app.put(
    '/api/branding/assignments/order',
    {
      preHandler: adminGuard,
      schema: { tags, summary: 'Reorder: every assignment id, highest priority first', body: AssignmentOrderBody, response: { 200: AssignmentList } },
    },
    async (req) => {
      const assignments = await store.reorderAssignments(req.body.ids);
      await audit(req, 'branding.assignment.reorder', null, { ids: req.body.ids });
      return { assignments };
    },
  );
  app.get(
    '/api/branding/assignments/:id',
    { preHandler: viewerGuard, schema: { tags, summary: 'One assignment', params: IdParams, response: { 200: Assignment } } },
    async (req) => store.getAssignment(id(req.params)),
  );
  app.put(
    '/api/branding/assignments/:id',
    {
      preHandler: adminGuard,
      schema: { tags, summary: 'Replace an assignment (its priority stays)', params: IdParams, body: AssignmentInput, response: { 200: Assignment } },
    },
    async (req) => {
      const saved = await store.updateAssignment(id(req.params), req.body, actorOf(req));
      await audit(req, 'branding.assignment.update', String(saved.id), req.body);
      return saved;
    },
  );
  app.delete(
    '/api/branding/assignments/:id',
    { preHandler: adminGuard, schema: { tags, summary: 'Delete an assignment', params: IdParams, response: { 204: NoContent } } },
    async (req, reply) => {
      await store.deleteAssignment(id(req.params));
      await audit(req, 'branding.assignment.delete', req.params.id);
      return reply.code(204).send();
    },
  );

  // --------------------------------------------------------------------------------- explain, manifest
  app.get(
    '/api/branding/explain',
    {
      preHandler: viewerGuard,
      schema: {
        tags,
        summary: "Which assignment sets each element of a user's device, and every assignment's verdict",
        querystring: DeviceQuery,
        response: { 200: BrandingExplanation },
      },
    },
    async (req) => manifests.explain(req.query.user, req.query.hostname, moment(req.query.at)),
  );
  app.get(
    '/api/branding/manifest',
    {
      preHandler: viewerGuard,
      schema: { tags, summary: 'The manifest a device would be served now (planned afresh)', querystring: DeviceQuery, response: { 200: DeviceManifest } },
    },
    async (req) => (await manifests.plan(req.query.user, req.query.hostname, moment(req.query.at))).manifest,
  );
}
