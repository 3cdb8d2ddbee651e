/**
 * The Outlook add-in on the public listener, when `addin.apiClientId` and `graph.tenantId` are set:
 * its API (tokens validated against the tenant in `graph`) over the signatures' planner, its manifest
 * and icons.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { Agent, fetch as undiciFetch } from 'undici';
import type { OnrampContext } from '../context.js';
import { notConfiguredGraph } from '../graph/not-configured.js';
import type { SignaturePlanner } from '../signatures/model.js';
import { addinAdminRoutes } from './admin.routes.js';
import { addinRoutes } from './addin.routes.js';
import { addinReportWriter } from './addin-reports.js';
import { addinFileRoutes, derivedGuid } from './addin-files.routes.js';
import { SendAsCheck } from './send-as.js';
import { cachedExpectedSets } from './signature-cache.js';
import { AddinTokenValidator } from './token-validator.js';

export async function registerAddin(
  app: FastifyInstance,
  ctx: OnrampContext,
  opts: { planner: SignaturePlanner; viewerGuard: preHandlerAsyncHookHandler },
): Promise<AddinTokenValidator | undefined> {
  const { addin, graph } = ctx.config;
  const missing = [...(addin.apiClientId ? [] : ['addin.apiClientId']), ...(graph.tenantId ? [] : ['graph.tenantId'])];
  const apiClientId = addin.apiClientId;
  const apiAppIdUri = addin.apiAppIdUri ?? `api://${apiClientId}`;
  const manifest =
    apiClientId && graph.tenantId
      ? {
          id: addin.manifestId ?? derivedGuid(`onramp-addin:${apiClientId}`),
          version: addin.manifestVersion,
          providerName: ctx.config.onboarding.branding.companyName,
          displayName: addin.displayName,
          description: 'Inserts your organisation signature as you write, and lets you pick another of yours.',
          apiClientId,
          apiAppIdUri,
          scope: addin.scope,
        }
      : undefined;
  // The portal's add-in screen says what is missing when it is off, so its route is always there.
  await app.register(addinAdminRoutes, { db: ctx.storage.db, viewerGuard: opts.viewerGuard, publicUrl: ctx.config.server.publicUrl, missing, manifest });
  if (!manifest || !graph.tenantId) return undefined;
  const validator = new AddinTokenValidator({
    authorityHost: graph.authorityHost,
    tenant: graph.tenantId,
    audiences: [manifest.apiClientId, apiAppIdUri],
    scope: addin.scope,
    clockSkewSeconds: addin.clockSkewSeconds,
    fetch: graph.caFile ? fetchTrusting(readFileSync(graph.caFile, 'utf8')) : undefined,
  });
  const reports = addinReportWriter(ctx.storage, ctx.log);
  app.addHook('onClose', () => reports.close());
  // Shared mailboxes need Exchange's permissions; without a connected tenant only own mailboxes are served.
  const sendAs = ctx.exchange && ctx.exchange !== notConfiguredGraph ? new SendAsCheck(ctx.exchange) : undefined;
  const planner = cachedExpectedSets(opts.planner, { ttlMs: addin.signatureCacheSeconds * 1000 });
  await app.register(addinRoutes, { planner, validator, sendAs, record: (report) => reports.add(report) });
  await app.register(addinFileRoutes, {
    publicUrl: ctx.config.server.publicUrl,
    color: ctx.config.onboarding.branding.primaryColor,
    auth: {
      clientId: manifest.apiClientId,
      authority: `${graph.authorityHost.replace(/\/+$/, '')}/${graph.tenantId}`,
      scopes: [`${apiAppIdUri}/${addin.scope}`],
    },
    manifest,
  });
  return validator;
}

/** A fetch that trusts a private CA (the tenant simulator's, or a TLS-inspecting proxy's). */
function fetchTrusting(caPem: string): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: caPem } });
  return ((url: string | URL, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}
