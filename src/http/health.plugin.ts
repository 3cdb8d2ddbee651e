import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Storage } from '../db/dialect.js';
import { ping } from '../db/dialect.js';
import { pendingMigrations } from '../db/migrations/index.js';
import { OnrampError } from '../errors.js';
import { errorBody } from './common.js';

const HealthReply = Type.Object({ status: Type.String() });

/** Liveness answers without touching anything; readiness proves the database answers and is current. */
export async function healthRoutes(app: FastifyInstance, opts: { storage: Storage }): Promise<void> {
  app.get('/healthz', { schema: { response: { 200: HealthReply } }, logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { logLevel: 'warn' }, async (_req, reply) => {
    let problem: string | undefined;
    try {
      await ping(opts.storage.db);
      const pending = await pendingMigrations(opts.storage);
      if (pending.length > 0) problem = `migrations not applied: ${pending.join(', ')}`;
    } catch {
      problem = 'database unreachable';
    }
    if (problem) return reply.code(503).send(errorBody(reply, new OnrampError('ONRAMP_ERR_NOT_READY', [problem])));
    return { status: 'ready' };
  });
}
