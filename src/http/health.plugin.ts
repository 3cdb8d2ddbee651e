import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Storage } from '../db/dialect.js';
import { ping } from '../db/dialect.js';
import { tryAcquireLease } from '../db/leases.js';
import { pendingMigrations } from '../db/migrations/index.js';
import { OnrampError } from '../errors.js';
import { describeError, type JobBoard } from '../db/recurring-job.js';
import { errorBody } from './common.js';

const HealthReply = Type.Object({ status: Type.String() });

/** A write that succeeded this recently vouches for the store; older than that, readiness writes a probe row. */
const WRITE_EVIDENCE_MS = 10_000;
const PROBE_LEASE = 'onramp.readiness-write-probe';

/**
 * Liveness answers without touching anything. Readiness proves the database answers, is current and
 * accepts writes: a store that reads but refuses every write (disk full, read-only file, a failover in
 * progress) made /readyz answer 200 while nothing could be saved. The writes onramp makes anyway are
 * the evidence (Storage.health); without a recent one, a one-row upsert is the probe. Background
 * jobs' states are reported alongside; a job failing on Graph does not make the instance unready.
 */
export async function healthRoutes(app: FastifyInstance, opts: { storage: Storage; jobs?: JobBoard | undefined }): Promise<void> {
  app.get('/healthz', { schema: { response: { 200: HealthReply } }, logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { logLevel: 'warn' }, async (_req, reply) => {
    const { storage } = opts;
    let problem: string | undefined;
    try {
      await ping(storage.db);
    } catch (err) {
      problem = `database unreachable: ${describeError(err)}`;
    }
    if (!problem) {
      try {
        const pending = await pendingMigrations(storage);
        if (pending.length > 0) problem = `migrations not applied: ${pending.join(', ')}`;
      } catch (err) {
        problem = `database unreachable: ${describeError(err)}`;
      }
    }
    if (!problem && (storage.health.failing || Date.now() - storage.health.lastWriteOkAt > WRITE_EVIDENCE_MS)) {
      try {
        await tryAcquireLease(storage.db, PROBE_LEASE, 'readiness', 0);
      } catch (err) {
        problem = `database does not accept writes: ${storage.health.failing ?? describeError(err)}`;
      }
    }
    const jobs = (opts.jobs?.statuses() ?? []).map((j) => ({
      name: j.name,
      state: j.state,
      failures: j.failures,
      consecutiveFailures: j.consecutiveFailures,
      lastError: j.lastError,
      lastFinishedAt: j.lastFinishedAt,
    }));
    if (problem) return reply.code(503).send({ ...errorBody(reply, new OnrampError('ONRAMP_ERR_NOT_READY', [problem])), jobs });
    return { status: 'ready', jobs };
  });
}
