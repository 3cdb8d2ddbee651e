/**
 * The signature deployment admin API on the public listener: the push's status and progress, starting
 * one, a run's failures and their retry, and each mailbox's expected vs deployed state. Viewers read,
 * admins start and retry (both audited).
 */
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { OnrampError } from '../errors.js';
import { bounded, CountText } from '../http/query-text.js';
import { DeploymentRun, DeploymentStatus, MAILBOX_RESULTS, MailboxOutcomePage, MailboxState, StartDeploymentBody } from './deployment.schemas.js';
import { toRun, type DeploymentState } from './deployment-state.js';
import type { SignatureDeployment } from './exchange-push.js';

export interface DeploymentRoutesOptions {
  deployment: SignatureDeployment;
  state: DeploymentState;
  /** Hooks from src/auth (`requireRole`): viewers read, admins change. */
  viewerGuard: preHandlerAsyncHookHandler;
  adminGuard: preHandlerAsyncHookHandler;
  actorOf: (req: FastifyRequest) => string;
  audit: (req: FastifyRequest, action: string, target: string | null, details?: unknown) => Promise<void>;
}

const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) });
const MailboxParams = Type.Object({ mailbox: Type.String({ minLength: 3, maxLength: 320, pattern: '^[^@\\s]+@[^@\\s]+$' }) });
const PageQuery = {
  after: Type.Optional(Type.String({ maxLength: 320, description: 'The nextAfter of the previous page' })),
  limit: Type.Optional(CountText('Mailboxes per page, 1-500 (default 100)')),
};
const MailboxesQuery = Type.Object(
  { ...PageQuery, result: Type.Optional(Type.Union(MAILBOX_RESULTS.map((r) => Type.Literal(r)))) },
  { additionalProperties: false },
);
const FailuresQuery = Type.Object(PageQuery, { additionalProperties: false });

const pageLimit = (text: string | undefined) => bounded(text, 100, 1, 500);

export async function deploymentRoutes(parent: FastifyInstance, o: DeploymentRoutesOptions): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const runOr404 = async (id: string) => {
    const run = await o.state.run(Number(id));
    if (!run) throw new OnrampError('ONRAMP_ERR_DEPLOYMENT_NOT_FOUND', [id]);
    return run;
  };

  app.get('/api/signatures/deployment', { preHandler: o.viewerGuard, schema: { response: { 200: DeploymentStatus } } }, async () => o.state.status());

  app.post(
    '/api/signatures/deployments',
    { preHandler: o.adminGuard, schema: { body: StartDeploymentBody, response: { 202: DeploymentRun } } },
    async (req, reply) => {
      const mailboxes = req.body.mailboxes;
      const run = await o.deployment.request({ trigger: 'manual', mailboxes, by: o.actorOf(req) });
      await o.audit(req, 'signatures.deploy', String(run.id), { mailboxes: mailboxes?.length ?? 'all' });
      return reply.code(202).send(toRun(run));
    },
  );

  app.get('/api/signatures/deployments/:id', { preHandler: o.viewerGuard, schema: { params: IdParams, response: { 200: DeploymentRun } } }, async (req) =>
    runOr404(req.params.id),
  );

  app.get(
    '/api/signatures/deployments/:id/failures',
    { preHandler: o.viewerGuard, schema: { params: IdParams, querystring: FailuresQuery, response: { 200: MailboxOutcomePage } } },
    async (req) => {
      const run = await runOr404(req.params.id);
      return o.state.outcomes({ after: req.query.after ?? null, limit: pageLimit(req.query.limit), runId: run.id, result: 'failed' });
    },
  );

  app.post(
    '/api/signatures/deployments/:id/retry',
    { preHandler: o.adminGuard, schema: { params: IdParams, response: { 202: DeploymentRun } } },
    async (req, reply) => {
      const run = await runOr404(req.params.id);
      const retry = await o.deployment.retryFailed(run.id, o.actorOf(req));
      if (!retry) throw new OnrampError('ONRAMP_ERR_NOTHING_TO_RETRY', [String(run.id)]);
      await o.audit(req, 'signatures.deploy.retry', String(retry.id), { of: run.id });
      return reply.code(202).send(toRun(retry));
    },
  );

  app.get(
    '/api/signatures/mailboxes',
    { preHandler: o.viewerGuard, schema: { querystring: MailboxesQuery, response: { 200: MailboxOutcomePage } } },
    async (req) => o.state.outcomes({ after: req.query.after ?? null, limit: pageLimit(req.query.limit), result: req.query.result }),
  );

  app.get(
    '/api/signatures/mailboxes/:mailbox/state',
    { preHandler: o.viewerGuard, schema: { params: MailboxParams, response: { 200: MailboxState } } },
    async (req) => {
      const state = await o.state.mailbox(req.params.mailbox);
      if (!state) throw new OnrampError('ONRAMP_ERR_NO_SIGNATURES', [req.params.mailbox]);
      return state;
    },
  );
}
