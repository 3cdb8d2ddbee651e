/**
 * The answer of the add-in's admin route (GET /api/addin/setup), declared once as a TypeBox schema:
 * the route serialises with it and the portal's add-in screen imports its `Static` type. TypeBox only:
 * portal/ compiles this file for the browser.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const AddinPlatformSummary = Type.Object({
  platform: Type.String({ description: 'Office.context.diagnostics.platform, lower-cased (pc, mac, officeonline, …)' }),
  inserted: Type.Integer({ description: 'Mailbox and kind-of-mail pairs whose latest report on this platform is "inserted"' }),
  none: Type.Integer({ description: '… is "none" (no signature is the default for that kind of mail)' }),
  failed: Type.Integer({ description: '… is "failed"' }),
  lastReportedAt: Type.String({ description: 'ISO-8601 UTC' }),
});
export type AddinPlatformSummary = Static<typeof AddinPlatformSummary>;

export const AddinSetup = Type.Object({
  enabled: Type.Boolean({ description: 'The add-in API and manifest are served' }),
  missing: Type.Array(Type.String(), { description: 'Settings that must be set to turn it on' }),
  baseUrl: Type.String({ description: 'server.publicUrl, or the origin this request came to when it is unset' }),
  publicUrlSet: Type.Boolean(),
  https: Type.Boolean({ description: 'Outlook loads add-ins over HTTPS only' }),
  manifestUrl: Type.String(),
  urls: Type.Array(Type.Object({ purpose: Type.String(), url: Type.String() }), { description: 'Every address the manifest names' }),
  manifest: Nullable(Type.Object({ id: Type.String(), version: Type.String(), displayName: Type.String() })),
  registration: Nullable(
    Type.Object({
      clientId: Type.String(),
      appIdUri: Type.String(),
      scope: Type.String({ description: 'What the add-in asks for: <app id URI>/<scope>' }),
      naaRedirectUri: Type.String({ description: 'brk-multihub://<public host>' }),
      taskpaneRedirectUri: Type.String(),
    }),
  ),
  reports: Type.Array(AddinPlatformSummary, { description: 'The latest reports, per platform' }),
});
export type AddinSetup = Static<typeof AddinSetup>;
