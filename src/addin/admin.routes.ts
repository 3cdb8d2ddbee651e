/**
 * GET /api/addin/setup (viewer role): what the portal's add-in screen shows: whether the add-in is on
 * (else which settings are missing), the manifest's address and every URL it names under the public
 * origin (which must be https for Outlook), the values the Entra app registration needs, and the
 * latest add-in reports per platform.
 */
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { AddinSetup } from './addin.schemas.js';
import { addinOutcomesByPlatform } from './addin-reports.js';
import { ADDIN_PATHS, ICON_SIZES, type ManifestOptions } from './manifest.js';

export interface AddinAdminOptions {
  db: Kysely<Database>;
  viewerGuard: preHandlerAsyncHookHandler;
  publicUrl: string | undefined;
  /** Settings still unset; empty when the add-in is on. */
  missing: string[];
  /** The manifest's settings when the add-in is on (baseUrl comes from the request). */
  manifest: Omit<ManifestOptions, 'baseUrl'> | undefined;
}

export async function addinAdminRoutes(parent: FastifyInstance, o: AddinAdminOptions): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/api/addin/setup', { preHandler: o.viewerGuard, schema: { response: { 200: AddinSetup } } }, async (req) => {
    const baseUrl = (o.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/+$/, '');
    const host = new URL(baseUrl).host;
    const m = o.manifest;
    return {
      enabled: m !== undefined,
      missing: o.missing,
      baseUrl,
      publicUrlSet: o.publicUrl !== undefined,
      https: baseUrl.startsWith('https://'),
      manifestUrl: baseUrl + ADDIN_PATHS.manifest,
      urls: [
        { purpose: 'Manifest (upload or link in the admin center)', url: baseUrl + ADDIN_PATHS.manifest },
        { purpose: 'Event runtime page (web, new Outlook, Mac)', url: baseUrl + ADDIN_PATHS.runtimeHtml },
        { purpose: 'Event runtime script (classic Outlook on Windows)', url: baseUrl + ADDIN_PATHS.runtimeJs },
        { purpose: 'Taskpane (the Signature button)', url: baseUrl + ADDIN_PATHS.taskpane },
        { purpose: 'Signature API', url: `${baseUrl}/api/addin/signatures` },
        { purpose: 'Icons', url: ICON_SIZES.map((size) => baseUrl + ADDIN_PATHS.icon(size)).join(' ') },
      ],
      manifest: m ? { id: m.id, version: m.version, displayName: m.displayName } : null,
      registration: m
        ? {
            clientId: m.apiClientId,
            appIdUri: m.apiAppIdUri,
            scope: `${m.apiAppIdUri}/${m.scope}`,
            naaRedirectUri: `brk-multihub://${host}`,
            taskpaneRedirectUri: baseUrl + ADDIN_PATHS.taskpane,
          }
        : null,
      reports: await addinOutcomesByPlatform(o.db),
    };
  });
}
