import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { OnrampContext } from '../context.js';
import type { ExchangePort } from '../graph/graph-port.js';
import { WebSignatures } from './web-signatures.js';

/** POST /api/autoSetWebSignature on the device listener (behind the gateway's hooks). */
export async function signatureRoutes(parent: FastifyInstance, opts: { ctx: OnrampContext; exchange: ExchangePort }): Promise<void> {
  const { ctx } = opts;
  const signatures = new WebSignatures(ctx.storage.db, opts.exchange, ctx.clock, ctx.log, ctx.config.signatures);
  const limit = ctx.config.signatures.maxBytes;
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/api/autoSetWebSignature',
    {
      // Entity encoding can grow a signature several times; the decoded size is checked against maxBytes.
      bodyLimit: limit * 6 + 4096,
      schema: {
        body: Type.Object(
          { upn: Type.String({ minLength: 3, maxLength: 256 }), signatureHtml: Type.String({ maxLength: limit * 6 }), signatureText: Type.String({ maxLength: limit * 6 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ result: Type.Union([Type.Literal('set'), Type.Literal('skipped')]), contentHash: Type.String() }) },
      },
    },
    async (req) => signatures.set(req.body.upn, req.body.signatureHtml, req.body.signatureText, String(req.id)),
  );
}
