import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { OnrampContext } from '../context.js';
import { HOT_ROUTE_LOG_LEVEL } from '../http/common.js';
import { UserAttributes } from './user-attributes.js';

const GetUserAttributesBody = Type.Object(
  {
    upn: Type.String({ minLength: 3, maxLength: 256 }),
    requiredAttribs: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64 })),
  },
  { additionalProperties: false },
);

/** POST /api/getUserAttributes on the device listener (behind the gateway's hooks). */
export async function directoryRoutes(parent: FastifyInstance, opts: { ctx: OnrampContext }): Promise<void> {
  const { ctx } = opts;
  const attributes = new UserAttributes(ctx.storage.db, ctx.clock, ctx.config.directory);
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/api/getUserAttributes',
    { logLevel: HOT_ROUTE_LOG_LEVEL, bodyLimit: 8192, schema: { body: GetUserAttributesBody, response: { 200: Type.Record(Type.String(), Type.String()) } } },
    async (req, reply) => {
      const age = await attributes.cacheAgeSeconds();
      const result = await attributes.lookup(req.body.upn, req.body.requiredAttribs);
      reply.header('x-directory-cache-age', String(age));
      return result;
    },
  );
}
