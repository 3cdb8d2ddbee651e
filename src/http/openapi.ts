import type { FastifyInstance, RouteOptions } from 'fastify';

/**
 * An OpenAPI 3.1 document per listener, generated from the TypeBox schemas the routes already validate
 * and serialise with, so the document cannot drift from what the server accepts and answers. The plugin
 * must be registered before the routes it lists (src/app.ts), so its onRoute hook sees them.
 * Public listener: /api/openapi.json (the admin API); device listener: /openapi.json (the device API).
 */
interface Operation {
  method: string;
  url: string;
  schema: NonNullable<RouteOptions['schema']>;
}

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; required?: string[] };

export interface OpenApiDocumentOptions {
  /** Where the document is served. */
  url: string;
  /** Which of the listener's routes it lists (never the health probes or itself). */
  lists: (url: string) => boolean;
  info: { title: string; version: string; description: string };
  securitySchemes: Record<string, unknown>;
  /** The security requirement of every listed operation. */
  security: Array<Record<string, string[]>>;
}

/** The shape of every error answer (src/http/common.ts `errorBody`). */
const ERROR_BODY = {
  type: 'object',
  required: ['statusCode', 'code', 'error', 'message', 'requestId'],
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string', description: 'A catalogue code, docs/ERRORS.md' },
    error: { type: 'string' },
    message: { type: 'string' },
    requestId: { type: 'string' },
  },
};

function toOpenApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(schema: unknown, where: 'query' | 'path') {
  const s = schema as JsonSchema | undefined;
  if (!s?.properties) return [];
  return Object.entries(s.properties).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' || (s.required ?? []).includes(name),
    schema: p,
    ...(typeof p.description === 'string' ? { description: p.description } : {}),
  }));
}

/** A route's response schema, as Fastify takes it: a JSON schema, or `{ content: { <type>: { schema } } }`. */
function response(code: string, body: unknown) {
  const declared = body as JsonSchema & { content?: Record<string, { schema: unknown }> };
  const description = typeof declared.description === 'string' ? declared.description : code;
  if (declared.content) return { description, content: declared.content };
  if (declared.type === 'null') return { description };
  return { description, content: { 'application/json': { schema: body } } };
}

function requestBody(body: unknown) {
  const declared = body as { content?: Record<string, { schema: unknown }> };
  return { required: true, content: declared.content ?? { 'application/json': { schema: body } } };
}

export function buildOpenApi(operations: readonly Operation[], options: Pick<OpenApiDocumentOptions, 'info' | 'securitySchemes' | 'security'>) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = toOpenApiPath(op.url);
    const s = op.schema;
    const responses: Record<string, unknown> = {};
    for (const [code, body] of Object.entries((s.response ?? {}) as Record<string, unknown>)) responses[code] = response(code, body);
    responses.default = {
      description: 'An error; its code is in docs/ERRORS.md',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
    paths[path] ??= {};
    paths[path][op.method.toLowerCase()] = {
      ...(s.summary ? { summary: s.summary } : {}),
      ...(s.tags ? { tags: s.tags } : {}),
      parameters: [...parameters(s.params, 'path'), ...parameters(s.querystring, 'query')],
      ...(s.body ? { requestBody: requestBody(s.body) } : {}),
      responses,
      security: options.security,
    };
  }
  return {
    openapi: '3.1.0',
    info: options.info,
    components: { securitySchemes: options.securitySchemes, schemas: { Error: ERROR_BODY } },
    paths,
  };
}

export async function openApiPlugin(app: FastifyInstance, options: OpenApiDocumentOptions): Promise<void> {
  const operations: Operation[] = [];
  app.addHook('onRoute', (route) => {
    if (route.url === options.url || !options.lists(route.url)) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      operations.push({ method, url: route.url, schema: route.schema ?? {} });
    }
  });
  let document: string | undefined;
  // The document's own route declares no schema: it is not an operation of the API it describes.
  app.get(options.url, { config: { actsForUser: false } }, async (_req, reply) => {
    document ??= JSON.stringify(buildOpenApi(operations, options));
    return reply.type('application/json').header('cache-control', 'no-cache').send(document);
  });
}
// The onRoute hook must see routes registered by sibling plugins (fastify-plugin's marker).
(openApiPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

/** The public listener's document: the admin API, and the auth and upload routes under /api/. */
export const ADMIN_API_DOCUMENT: OpenApiDocumentOptions = {
  url: '/api/openapi.json',
  lists: (url) => url.startsWith('/api/'),
  info: {
    title: 'onramp admin API',
    version: '1',
    description:
      'Authenticate with an API token (`Authorization: Bearer onr_…`, from `onramp token create`) or the portal session cookie; ' +
      "cookie-authenticated calls that change state must send the session's `x-csrf-token` (GET /api/auth/session). " +
      'Viewers may call GET routes; the rest need the admin role.',
  },
  securitySchemes: {
    bearer: { type: 'http', scheme: 'bearer' },
    session: { type: 'apiKey', in: 'cookie', name: '__Host-onramp_session' },
  },
  security: [{ bearer: [] }, { session: [] }],
};

/**
 * The device listener's document. Served behind the gateway like the device routes (IP filter,
 * throttles, a verified client certificate, audited), so only enrolled devices and their operators read
 * it; it shows route shapes and size limits, nothing of the directory or the configuration.
 */
export const DEVICE_API_DOCUMENT: OpenApiDocumentOptions = {
  url: '/openapi.json',
  lists: (url) => url.startsWith('/api/'),
  info: {
    title: 'onramp device API',
    version: '1',
    description:
      "Called by Windows devices over mutual TLS: a client certificate that chains to the configured trust anchors, with the user's UPN (or email) in its " +
      "subject alternative name; every body's `upn` must be that user. Certificate profile and proxies: docs/DEVICE-API.md.",
  },
  securitySchemes: { mutualTLS: { type: 'mutualTLS', description: 'Client certificate with a UPN or email SAN, clientAuth EKU' } },
  security: [{ mutualTLS: [] }],
};
