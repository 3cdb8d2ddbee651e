import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { OnrampContext } from '../context.js';
import type { ExchangePort } from '../graph/graph-port.js';
import { SanitiserPool } from './sanitiser-pool.js';
import { WebSignatures } from './web-signatures.js';

/**
 * One thread: devices set their signature every 8 hours or so, and within the structure limits a
 * signature takes at most a few hundred ms. A job past the timeout is refused; past the queue bound,
 * new ones get 503 (one device's burst cannot make the others wait long).
 */
const SANITISER_THREADS = 1;
const SANITISE_TIMEOUT_MS = 2_000;
const SANITISE_MAX_QUEUED = 32;

/** POST /api/autoSetWebSignature on the device listener (behind the gateway's hooks). */
export async function signatureRoutes(parent: FastifyInstance, opts: { ctx: OnrampContext; exchange: ExchangePort }): Promise<void> {
  const { ctx } = opts;
  const cfg = ctx.config.signatures;
  const sanitiser = new SanitiserPool({
    threads: SANITISER_THREADS,
    timeoutMs: SANITISE_TIMEOUT_MS,
    maxQueued: SANITISE_MAX_QUEUED,
    limits: { maxNestingDepth: cfg.maxNestingDepth, maxElements: cfg.maxElements },
    log: ctx.log,
  });
  parent.addHook('onClose', () => sanitiser.close());
  const signatures = new WebSignatures(ctx.storage.db, opts.exchange, ctx.clock, ctx.log, cfg, sanitiser);
  const limit = ctx.config.signatures.maxBytes;
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/api/autoSetWebSignature',
    {
      // Entity encoding can grow a signature several times; the decoded size is checked against maxBytes.
      bodyLimit: limit * 6 + 4096,
      schema: {
        body: Type.Object(
          {
            upn: Type.String({ minLength: 3, maxLength: 256 }),
            signatureHtml: Type.String({ maxLength: limit * 6 }),
            signatureText: Type.String({ maxLength: limit * 6 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ result: Type.Union([Type.Literal('set'), Type.Literal('skipped')]), contentHash: Type.String() }) },
      },
    },
    async (req) => signatures.set(req.body.upn, req.body.signatureHtml, req.body.signatureText, String(req.id)),
  );
}
