import type { FastifyInstance, RouteOptions } from 'fastify';

/**
 * /api/openapi.json, generated from the TypeBox schemas the routes already validate with, so the
 * document cannot drift from what the server accepts. Registered before the features (src/app.ts) so
 * its onRoute hook sees every route; only `/api/` routes are listed.
 */
interface Operation {
  method: string;
  url: string;
  schema: NonNullable<RouteOptions['schema']>;
}

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; required?: string[] };

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

export function buildOpenApi(operations: readonly Operation[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = toOpenApiPath(op.url);
    const s = op.schema;
    const responses: Record<string, unknown> = {};
    for (const [code, body] of Object.entries((s.response ?? {}) as Record<string, unknown>)) {
      responses[code] = { description: code, content: { 'application/json': { schema: body } } };
    }
    if (Object.keys(responses).length === 0) responses.default = { description: 'JSON answer; errors follow docs/ERRORS.md' };
    (paths[path] ??= {})[op.method.toLowerCase()] = {
      ...(s.summary ? { summary: s.summary } : {}),
      ...(s.tags ? { tags: s.tags } : {}),
      parameters: [...parameters(s.params, 'path'), ...parameters(s.querystring, 'query')],
      ...(s.body ? { requestBody: { required: true, content: { 'application/json': { schema: s.body } } } } : {}),
      responses,
      security: [{ bearer: [] }, { session: [] }],
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'onramp admin API',
      version: '1',
      description:
        'Authenticate with an API token (`Authorization: Bearer onr_…`, from `onramp token create`) or the portal session cookie; ' +
        'cookie-authenticated calls that change state must send the session\'s `x-csrf-token` (GET /api/auth/session). ' +
        'Viewers may call GET routes; the rest need the admin role.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        session: { type: 'apiKey', in: 'cookie', name: '__Host-onramp_session' },
      },
    },
    paths,
  };
}

export async function openApiPlugin(app: FastifyInstance): Promise<void> {
  const operations: Operation[] = [];
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/') || route.url === '/api/openapi.json') return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      operations.push({ method, url: route.url, schema: route.schema ?? {} });
    }
  });
  let document: string | undefined;
  app.get('/api/openapi.json', async (_req, reply) => {
    document ??= JSON.stringify(buildOpenApi(operations));
    return reply.type('application/json').send(document);
  });
}
// The onRoute hook must see routes registered by sibling plugins (fastify-plugin's marker).
(openApiPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
