/**
 * The Outlook add-in on the public listener, when `addin.apiClientId` and `graph.tenantId` are set:
 * its API (tokens validated against the tenant in `graph`) over the signatures' planner, its manifest
 * and icons.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Agent, fetch as undiciFetch } from 'undici';
import type { OnrampContext } from '../context.js';
import { notConfiguredGraph } from '../graph/not-configured.js';
import type { SignaturePlanner } from '../signatures/model.js';
import { addinRoutes } from './addin.routes.js';
import { addinReportWriter } from './addin-reports.js';
import { addinFileRoutes, derivedGuid } from './addin-files.routes.js';
import { SendAsCheck } from './send-as.js';
import { AddinTokenValidator } from './token-validator.js';

export async function registerAddin(app: FastifyInstance, ctx: OnrampContext, opts: { planner: SignaturePlanner }): Promise<AddinTokenValidator | undefined> {
  const { addin, graph } = ctx.config;
  if (!addin.apiClientId || !graph.tenantId) return undefined;
  const apiAppIdUri = addin.apiAppIdUri ?? `api://${addin.apiClientId}`;
  const validator = new AddinTokenValidator({
    authorityHost: graph.authorityHost,
    tenant: graph.tenantId,
    audiences: [addin.apiClientId, apiAppIdUri],
    scope: addin.scope,
    clockSkewSeconds: addin.clockSkewSeconds,
    fetch: graph.caFile ? fetchTrusting(readFileSync(graph.caFile, 'utf8')) : undefined,
  });
  const reports = addinReportWriter(ctx.storage, ctx.log);
  app.addHook('onClose', () => reports.close());
  // Shared mailboxes need Exchange's permissions; without a connected tenant only own mailboxes are served.
  const sendAs = ctx.exchange && ctx.exchange !== notConfiguredGraph ? new SendAsCheck(ctx.exchange) : undefined;
  await app.register(addinRoutes, { planner: opts.planner, validator, sendAs, record: (report) => reports.add(report) });
  await app.register(addinFileRoutes, {
    publicUrl: ctx.config.server.publicUrl,
    color: ctx.config.onboarding.branding.primaryColor,
    auth: {
      clientId: addin.apiClientId,
      authority: `${graph.authorityHost.replace(/\/+$/, '')}/${graph.tenantId}`,
      scopes: [`${apiAppIdUri}/${addin.scope}`],
    },
    manifest: {
      id: addin.manifestId ?? derivedGuid(`onramp-addin:${addin.apiClientId}`),
      version: addin.manifestVersion,
      providerName: ctx.config.onboarding.branding.companyName,
      displayName: addin.displayName,
      description: 'Inserts your organisation signature as you write, and lets you pick another of yours.',
      apiClientId: addin.apiClientId,
      apiAppIdUri,
      scope: addin.scope,
    },
  });
  return validator;
}

/** A fetch that trusts a private CA (the tenant simulator's, or a TLS-inspecting proxy's). */
function fetchTrusting(caPem: string): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: caPem } });
  return ((url: string | URL, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}
