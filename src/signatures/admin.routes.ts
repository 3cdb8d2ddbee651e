/**
 * The signature admin API on the public listener: templates (versions, rollback, diff), rules (ordered),
 * custom variables, image assets, "why this signature?" and previews. Viewers read, admins change; every
 * change is audited. Shapes: admin.schemas.ts.
 */
import type { FastifyError, FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { OnrampError } from '../errors.js';
import { UpstreamError } from '../graph/graph-port.js';
import { errorBody, toOnrampError } from '../http/common.js';
import {
  Asset,
  AssetList,
  CreateTemplateBody,
  Explanation,
  GroupList,
  Preview,
  PreviewBody,
  RollbackTemplateBody,
  Rule,
  RuleInput,
  RuleList,
  RuleOrderBody,
  TemplateDetail,
  TemplateDiff,
  TemplateList,
  TemplateVersion,
  TemplateVersionList,
  UpdateTemplateBody,
  Variable,
  VariableInput,
  VariableList,
  VariableParams,
  SosImportReport,
} from './admin.schemas.js';
import type { StoredSignaturePlanner } from './planner.js';
import { importSos, plannerPreview, SosImportError } from './sos-import/importer.js';
import { groupLookupFrom } from './sos-import/rules.js';
import { readFolderZip, SOS_ZIP_LIMITS } from './sos-import/zip.js';
import type { SignatureStore } from './store.js';

export interface SignatureAdminOptions {
  store: SignatureStore;
  planner: StoredSignaturePlanner;
  maxAssetBytes: number;
  /** Hooks from src/auth (`requireRole`): viewers read, admins change. */
  viewerGuard: preHandlerAsyncHookHandler;
  adminGuard: preHandlerAsyncHookHandler;
  /** Names the caller in the version history and the rules' `updatedBy`. */
  actorOf: (req: FastifyRequest) => string;
  /** Writes the admin audit log (src/auth `recordAudit`). */
  audit: (req: FastifyRequest, action: string, target: string | null, details?: unknown) => Promise<void>;
  /** Where imported SOS time ranges without `Z` are read (signatures.timeZone). */
  timeZone: string;
  /** Entra groups by the start of their name (GraphPort.findGroups), for rules' group pickers. */
  findGroups: (prefix: string, limit: number) => Promise<Array<{ id: string; displayName: string }>>;
}

const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) }, { additionalProperties: false });
const VersionParams = Type.Object(
  { id: Type.String({ pattern: '^[0-9]{1,15}$' }), version: Type.String({ pattern: '^[0-9]{1,9}$' }) },
  { additionalProperties: false },
);
const DiffQuery = Type.Object(
  { from: Type.String({ pattern: '^[0-9]{1,9}$' }), to: Type.String({ pattern: '^[0-9]{1,9}$' }) },
  { additionalProperties: false },
);
const HashParams = Type.Object({ hash: Type.String({ pattern: '^[0-9a-f]{64}$' }) }, { additionalProperties: false });
/** `<sha256>` or `<sha256>.<png|jpg|gif>` (the form rendered web HTML links to). */
const AssetFileParams = Type.Object({ file: Type.String({ pattern: '^[0-9a-f]{64}(\\.(png|jpg|jpeg|gif))?$' }) }, { additionalProperties: false });
const ExplainQuery = Type.Object(
  {
    user: Type.String({ minLength: 3, maxLength: 256, description: 'UPN or mail address' }),
    at: Type.Optional(Type.String({ format: 'date-time', description: 'The moment to judge time windows at (default now)' })),
  },
  { additionalProperties: false },
);
const GroupQuery = Type.Object(
  { search: Type.String({ minLength: 1, maxLength: 120, description: 'Start of the display name' }) },
  { additionalProperties: false },
);
const NoContent = { type: 'null', description: 'Removed; no content' };
const ImageAnswer = {
  description: 'The image bytes (immutable: the URL names the content)',
  content: { 'image/png': { schema: { type: 'string', format: 'binary' } } },
};
const tags = ['signatures'];

export async function signatureAdminRoutes(parent: FastifyInstance, options: SignatureAdminOptions): Promise<void> {
  const { store, planner, viewerGuard, adminGuard, actorOf, audit } = options;
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const id = (params: { id: string }) => Number(params.id);

  // ---------------------------------------------------------------------------------------- templates
  app.get(
    '/api/signatures/templates',
    { preHandler: viewerGuard, schema: { tags, summary: 'Signature templates, by name', response: { 200: TemplateList } } },
    async () => ({ templates: await store.listTemplates() }),
  );
  app.post(
    '/api/signatures/templates',
    {
      preHandler: adminGuard,
      schema: {
        tags,
        summary: 'Create a template (version 1); 400 ONRAMP_ERR_TEMPLATE_INVALID with problems when it does not compile',
        body: CreateTemplateBody,
        response: { 201: TemplateDetail },
      },
    },
    async (req, reply) => {
      const created = await store.createTemplate(req.body, actorOf(req));
      await audit(req, 'signatures.template.create', String(created.id), { name: created.name, version: 1 });
      return reply.code(201).send(created);
    },
  );
  app.get(
    '/api/signatures/templates/:id',
    { preHandler: viewerGuard, schema: { tags, summary: 'A template with its current source', params: IdParams, response: { 200: TemplateDetail } } },
    async (req) => store.getTemplate(id(req.params)),
  );
  app.put(
    '/api/signatures/templates/:id',
    {
      preHandler: adminGuard,
      schema: {
        tags,
        summary: 'Save a new version; 409 ONRAMP_ERR_VERSION_CONFLICT when baseVersion is not the current version',
        params: IdParams,
        body: UpdateTemplateBody,
        response: { 200: TemplateDetail },
      },
    },
    async (req) => {
      const saved = await store.updateTemplate(id(req.params), req.body, actorOf(req));
      await audit(req, 'signatures.template.update', String(saved.id), { name: saved.name, version: saved.currentVersion, comment: req.body.comment ?? null });
      return saved;
    },
  );
  app.delete(
    '/api/signatures/templates/:id',
    {
      preHandler: adminGuard,
      schema: {
        tags,
        summary: 'Delete a template and its versions; 409 ONRAMP_ERR_TEMPLATE_IN_USE while a rule uses it',
        params: IdParams,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await store.deleteTemplate(id(req.params));
      await audit(req, 'signatures.template.delete', req.params.id);
      return reply.code(204).send();
    },
  );
  app.get(
    '/api/signatures/templates/:id/versions',
    { preHandler: viewerGuard, schema: { tags, summary: "A template's versions, newest first", params: IdParams, response: { 200: TemplateVersionList } } },
    async (req) => ({ templateId: id(req.params), versions: await store.listVersions(id(req.params)) }),
  );
  app.get(
    '/api/signatures/templates/:id/versions/:version',
    { preHandler: viewerGuard, schema: { tags, summary: 'One version with its source', params: VersionParams, response: { 200: TemplateVersion } } },
    async (req) => store.getVersion(Number(req.params.id), Number(req.params.version)),
  );
  app.post(
    '/api/signatures/templates/:id/rollback',
    {
      preHandler: adminGuard,
      schema: {
        tags,
        summary: 'Save a new version with the source of an older one',
        params: IdParams,
        body: RollbackTemplateBody,
        response: { 200: TemplateDetail },
      },
    },
    async (req) => {
      const saved = await store.rollbackTemplate(id(req.params), req.body.version, req.body.baseVersion, req.body.comment, actorOf(req));
      await audit(req, 'signatures.template.rollback', String(saved.id), { to: req.body.version, version: saved.currentVersion });
      return saved;
    },
  );
  app.get(
    '/api/signatures/templates/:id/diff',
    {
      preHandler: viewerGuard,
      schema: { tags, summary: 'Line diff between two versions', params: IdParams, querystring: DiffQuery, response: { 200: TemplateDiff } },
    },
    async (req) => store.diff(id(req.params), Number(req.query.from), Number(req.query.to)),
  );

  // -------------------------------------------------------------------------------------------- rules
  app.get(
    '/api/signatures/rules',
    { preHandler: viewerGuard, schema: { tags, summary: 'Assignment rules, highest priority first', response: { 200: RuleList } } },
    async () => ({ rules: await store.listRules() }),
  );
  app.post(
    '/api/signatures/rules',
    { preHandler: adminGuard, schema: { tags, summary: 'Add a rule (lowest priority)', body: RuleInput, response: { 201: Rule } } },
    async (req, reply) => {
      const rule = await store.createRule(req.body, actorOf(req));
      await audit(req, 'signatures.rule.create', String(rule.id), req.body);
      return reply.code(201).send(rule);
    },
  );
  app.put(
    '/api/signatures/rules/order',
    { preHandler: adminGuard, schema: { tags, summary: 'Reorder: every rule id, highest priority first', body: RuleOrderBody, response: { 200: RuleList } } },
    async (req) => {
      const rules = await store.reorderRules(req.body.ids);
      await audit(req, 'signatures.rule.reorder', null, { ids: req.body.ids });
      return { rules };
    },
  );
  app.get(
    '/api/signatures/rules/:id',
    { preHandler: viewerGuard, schema: { tags, summary: 'One rule', params: IdParams, response: { 200: Rule } } },
    async (req) => store.getRule(id(req.params)),
  );
  app.put(
    '/api/signatures/rules/:id',
    { preHandler: adminGuard, schema: { tags, summary: 'Replace a rule (its priority stays)', params: IdParams, body: RuleInput, response: { 200: Rule } } },
    async (req) => {
      const rule = await store.updateRule(id(req.params), req.body, actorOf(req));
      await audit(req, 'signatures.rule.update', String(rule.id), req.body);
      return rule;
    },
  );
  app.delete(
    '/api/signatures/rules/:id',
    { preHandler: adminGuard, schema: { tags, summary: 'Delete a rule', params: IdParams, response: { 204: NoContent } } },
    async (req, reply) => {
      await store.deleteRule(id(req.params));
      await audit(req, 'signatures.rule.delete', req.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/signatures/groups',
    {
      preHandler: viewerGuard,
      schema: {
        tags,
        summary: 'Entra groups whose name starts with the search text (from Microsoft Graph)',
        querystring: GroupQuery,
        response: { 200: GroupList },
      },
    },
    async (req) => {
      try {
        return { groups: await options.findGroups(req.query.search, 25) };
      } catch (err) {
        if (err instanceof UpstreamError) throw new OnrampError('ONRAMP_ERR_GRAPH_UNAVAILABLE', [err.message], { cause: err });
        throw err;
      }
    },
  );

  // ---------------------------------------------------------------------------------------- variables
  app.get(
    '/api/signatures/variables',
    { preHandler: viewerGuard, schema: { tags, summary: 'Custom variables with their per-user and per-group values', response: { 200: VariableList } } },
    async () => ({ variables: await store.listVariables() }),
  );
  app.put(
    '/api/signatures/variables/:name',
    {
      preHandler: adminGuard,
      schema: {
        tags,
        summary: 'Create or replace a custom variable (templates read it as var.<name>)',
        params: VariableParams,
        body: VariableInput,
        response: { 200: Variable },
      },
    },
    async (req) => {
      const variable = await store.putVariable(req.params.name, req.body, actorOf(req));
      await audit(req, 'signatures.variable.put', req.params.name, {
        defaultValue: req.body.defaultValue,
        userValues: req.body.userValues?.length ?? 0,
        groupValues: req.body.groupValues?.length ?? 0,
      });
      return variable;
    },
  );
  app.delete(
    '/api/signatures/variables/:name',
    { preHandler: adminGuard, schema: { tags, summary: 'Delete a custom variable', params: VariableParams, response: { 204: NoContent } } },
    async (req, reply) => {
      await store.deleteVariable(req.params.name);
      await audit(req, 'signatures.variable.delete', req.params.name);
      return reply.code(204).send();
    },
  );

  // ------------------------------------------------------------------------------------------- assets
  app.get(
    '/api/signatures/assets',
    { preHandler: viewerGuard, schema: { tags, summary: 'Template images, newest first', response: { 200: AssetList } } },
    async () => ({ assets: await store.listAssets() }),
  );
  // Public: signatures in sent mail may link here (web HTML in URL mode), and recipients' mail clients
  // carry no credentials. The URL names the content's hash, so it is cached for good.
  app.get(
    '/api/signatures/assets/:file',
    {
      schema: {
        tags,
        summary: 'An image by its SHA-256 (public; immutable, strong ETag)',
        params: AssetFileParams,
        response: { 200: ImageAnswer, 304: { type: 'null', description: 'Not modified (If-None-Match)' } },
      },
    },
    async (req, reply) => {
      const hash = req.params.file.slice(0, 64);
      const etag = `"${hash}"`;
      reply.header('cache-control', 'public, max-age=31536000, immutable').header('etag', etag).header('x-content-type-options', 'nosniff');
      const sent = req.headers['if-none-match'];
      if (sent?.split(',').some((tag) => tag.trim() === etag)) return reply.code(304).send();
      const asset = await store.assetBytes(hash);
      if (!asset) {
        reply.header('cache-control', 'no-store').removeHeader('etag');
        throw new OnrampError('ONRAMP_ERR_SIGNATURE_ITEM_NOT_FOUND', ['asset', hash]);
      }
      return reply.type(asset.contentType).send(asset.bytes);
    },
  );
  app.delete(
    '/api/signatures/assets/:hash',
    {
      preHandler: adminGuard,
      schema: { tags, summary: 'Delete an image (templates that show it render without it)', params: HashParams, response: { 204: NoContent } },
    },
    async (req, reply) => {
      await store.deleteAsset(req.params.hash);
      await audit(req, 'signatures.asset.delete', req.params.hash);
      return reply.code(204).send();
    },
  );
  await app.register(async (child) => {
    const upload = child.withTypeProvider<TypeBoxTypeProvider>();
    const limit = options.maxAssetBytes;
    await upload.register(multipart, { limits: { fileSize: limit, files: 1, fields: 2, fieldSize: 1024 } });
    upload.setErrorHandler((error, req, reply) => {
      // The file limit is the asset limit: the answer names the setting, as for any refused image.
      const err =
        (error as FastifyError).code === 'FST_REQ_FILE_TOO_LARGE'
          ? new OnrampError('ONRAMP_ERR_ASSET_REJECTED', [`the file is over the limit of ${limit} bytes (signatures.maxAssetBytes)`])
          : toOnrampError(error as FastifyError, limit);
      if (err.statusCode >= 500) req.log.error({ err: error }, 'request failed');
      return reply.code(err.statusCode).send(errorBody(reply, err));
    });
    upload.post(
      '/api/signatures/assets',
      {
        // Before the body is read: an anonymous caller gets nothing parsed.
        onRequest: adminGuard,
        bodyLimit: limit + 64 * 1024,
        schema: {
          tags,
          summary: 'Upload an image (multipart, one file part): PNG, JPEG or GIF by content, up to signatures.maxAssetBytes',
          consumes: ['multipart/form-data'],
          response: { 201: Asset },
        },
      },
      async (req, reply) => {
        if (!req.isMultipart()) throw new OnrampError('ONRAMP_ERR_UNSUPPORTED_MEDIA_TYPE', ['send the image as multipart/form-data']);
        let file: { bytes: Buffer; name: string } | undefined;
        for await (const part of req.parts()) {
          if (part.type !== 'file') continue;
          const bytes = await part.toBuffer();
          file ??= { bytes, name: part.filename };
        }
        if (!file) throw new OnrampError('ONRAMP_ERR_VALIDATION', ['multipart upload has no file part']);
        const asset = await store.uploadAsset(file.bytes, file.name, actorOf(req));
        await audit(req, 'signatures.asset.upload', asset.hash, { name: asset.originalName, contentType: asset.contentType, size: asset.size });
        return reply.code(201).send(asset);
      },
    );
  });

  await app.register(async (child) => {
    const upload = child.withTypeProvider<TypeBoxTypeProvider>();
    const limit = SOS_ZIP_LIMITS.maxZipBytes;
    await upload.register(multipart, { limits: { fileSize: limit, files: 1, fields: 4, fieldSize: 1024 } });
    upload.setErrorHandler((error, req, reply) => {
      const err =
        error instanceof SosImportError
          ? new OnrampError('ONRAMP_ERR_VALIDATION', [error.message])
          : (error as FastifyError).code === 'FST_REQ_FILE_TOO_LARGE'
            ? new OnrampError('ONRAMP_ERR_VALIDATION', [`the zip is over ${limit} bytes`])
            : toOnrampError(error as FastifyError, limit);
      if (err.statusCode >= 500) req.log.error({ err: error }, 'request failed');
      return reply.code(err.statusCode).send(errorBody(reply, err));
    });
    upload.post(
      '/api/signatures/import-sos',
      {
        onRequest: adminGuard,
        bodyLimit: limit + 64 * 1024,
        schema: {
          tags,
          summary:
            'Import a Set-OutlookSignatures folder (multipart: the zipped folder as the file part, dryRun=true|false, previewUser=<UPN> for each template rendered beside its original): templates, rules, variables and images, all or nothing',
          consumes: ['multipart/form-data'],
          response: { 200: SosImportReport },
        },
      },
      async (req) => {
        if (!req.isMultipart()) throw new OnrampError('ONRAMP_ERR_UNSUPPORTED_MEDIA_TYPE', ['send the zipped folder as multipart/form-data']);
        let zip: Buffer | undefined;
        let dryRun = true;
        let previewUser = '';
        for await (const part of req.parts()) {
          if (part.type === 'file') zip ??= await part.toBuffer();
          else if (part.fieldname === 'dryRun') dryRun = String(part.value) !== 'false';
          else if (part.fieldname === 'previewUser') previewUser = String(part.value).trim();
        }
        if (!zip) throw new OnrampError('ONRAMP_ERR_VALIDATION', ['multipart upload has no file part (the zipped SOS folder)']);
        const report = await importSos(store, readFolderZip(zip), {
          findGroup: groupLookupFrom(options.findGroups),
          timeZone: options.timeZone,
          dryRun,
          actor: actorOf(req),
          ...(previewUser === '' ? {} : { preview: { user: previewUser, render: plannerPreview(planner, options.maxAssetBytes) } }),
        });
        if (report.stored) {
          await audit(req, 'signatures.import-sos', report.iniFile, {
            templates: report.templates.length,
            rules: report.rules.length,
            variables: report.variables.length,
          });
        }
        return report;
      },
    );
  });

  // ---------------------------------------------------------------------------------- explain, preview
  app.get(
    '/api/signatures/explain',
    {
      preHandler: viewerGuard,
      schema: { tags, summary: 'Why this signature? Every rule’s verdict for a user at a moment', querystring: ExplainQuery, response: { 200: Explanation } },
    },
    async (req) => planner.explain(req.query.user, req.query.at ? new Date(req.query.at) : undefined),
  );
  app.post(
    '/api/signatures/preview',
    {
      preHandler: viewerGuard,
      schema: {
        tags,
        summary: 'Render a saved or unsaved template for a directory user or made-up people, in all four formats',
        body: PreviewBody,
        response: { 200: Preview },
      },
    },
    async (req) => planner.preview(req.body),
  );
}
