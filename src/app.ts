import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { OnrampContext } from './context.js';
import { OnrampError } from './errors.js';
import { errorBody, installErrorHandling, requestId } from './http/common.js';
import { healthRoutes } from './http/health.plugin.js';
import { installDeviceGateway, type DeviceGateway, type GatewayMaterial } from './gateway/gateway.js';
import { deviceTelemetryRoutes } from './devices/devices.routes.js';
import { directoryRoutes } from './directory/directory.routes.js';
import { deviceReportRoutes } from './devices/reports.routes.js';
import { signatureRoutes } from './signatures/signatures.routes.js';
import { authPlugin, recordAudit, requireRole } from './auth/auth.plugin.js';
import { ADMIN_API_DOCUMENT, DEVICE_API_DOCUMENT, openApiPlugin } from './http/openapi.js';
import { portalPlugin } from './portal/portal.plugin.js';
import { redactConfig } from './onramp-config.js';
import { registerOnboarding } from './onboarding/onboarding.plugin.js';
import { metricsRoute } from './observability/metrics.js';
import { installHttpTracing } from './observability/tracing.js';
import { registerSignatureAdmin } from './signatures/signatures.plugin.js';
import { liquidSignatureEngine } from './signatures/template-engine.js';
import { createPhotoSource, registerSignatureDeployment } from './signatures/deployment.plugin.js';
import { deviceSignatureRoutes } from './signatures/device-signatures.routes.js';
import type { SignaturePlanner } from './signatures/model.js';
import { registerAddin } from './addin/addin.plugin.js';
import { registerPeople } from './fleet/people.routes.js';
import { registerBranding, type BrandingFeature } from './branding/branding.plugin.js';
import { deviceBrandingRoutes } from './branding/device.routes.js';
import { registerFleetDevices } from './fleet/devices.routes.js';

/** Told of requests refused before routing, which no hook sees (the device gateway audits them). */
type UnroutedListener = (req: FastifyRequest, status: number, code: string) => void;

function baseOptions(ctx: OnrampContext, onUnrouted?: () => UnroutedListener | undefined): FastifyServerOptions {
  return {
    loggerInstance: ctx.log,
    bodyLimit: ctx.config.server.bodyLimitBytes,
    genReqId: requestId,
    // Answer 503 to new requests once close() has begun; in-flight ones finish.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // A URL that does not decode fails before routing, where no hook runs: answered here in the
    // catalogue's shape, with the request id, and passed on to be audited.
    frameworkErrors: (error, req, reply) => {
      const err = new OnrampError('ONRAMP_ERR_BAD_REQUEST', [error.message]);
      onUnrouted?.()?.(req, err.statusCode, err.code);
      void (reply as FastifyReply)
        .code(err.statusCode)
        .header('x-request-id', req.id)
        .send(errorBody(reply as FastifyReply, err));
    },
  };
}

/**
 * The public listener: portal, admin API, tracking links. Built without listen() so tests can
 * inject() requests (fastify's own test style) or listen on an ephemeral port.
 */
export async function buildPublicApp(ctx: OnrampContext): Promise<FastifyInstance> {
  const app = Fastify({
    ...baseOptions(ctx),
    trustProxy: ctx.config.server.trustProxy.length > 0 ? ctx.config.server.trustProxy : false,
  }).withTypeProvider<TypeBoxTypeProvider>();
  installErrorHandling(app, ctx.config.server.bodyLimitBytes);
  installHttpTracing(app, 'public');
  ctx.metrics?.instrument(app, 'public');
  if (ctx.metrics && ctx.config.telemetry.metricsToken) metricsRoute(app, ctx.metrics, ctx.config.telemetry.metricsToken);
  await app.register(healthRoutes, { storage: ctx.storage, jobs: ctx.jobs });
  await app.register(openApiPlugin, ADMIN_API_DOCUMENT);
  // First: features' routes use requireRole() from it.
  await app.register(authPlugin, { ctx });
  await app.register(portalPlugin, { ctx, redactedConfig: () => redactConfig(ctx.config) });
  await registerOnboarding(app, ctx, {
    adminGuard: requireRole('admin'),
    actorOf: (req) => req.principal?.subject ?? 'admin',
    onUploaded: (req, r) =>
      recordAudit(req, 'users.upload', r.batchId, {
        total: r.total,
        added: r.added.length,
        unchanged: r.unchanged.length,
        reset: r.reset.length,
        skipped: r.skipped.length,
        errors: r.errors.length,
      }),
    admin: { viewerGuard: requireRole('viewer'), audit: recordAudit },
  });
  await app.register(deviceReportRoutes, { ctx, guard: requireRole('viewer') });
  await registerFleetDevices(app, ctx, { viewerGuard: requireRole('viewer'), audit: recordAudit, isAdmin: (req) => req.principal?.role === 'admin' });
  const signatures = ctx.config.signatures;
  const photos = createPhotoSource(ctx);
  const signatureFeature = await registerSignatureAdmin(app, ctx, {
    engine: liquidSignatureEngine({ maxBytes: signatures.maxBytes, maxNestingDepth: signatures.maxNestingDepth, maxElements: signatures.maxElements }),
    photos,
    viewerGuard: requireRole('viewer'),
    adminGuard: requireRole('admin'),
    actorOf: (req) => req.principal?.subject ?? 'admin',
    audit: recordAudit,
  });
  const signatureDeployment = await registerSignatureDeployment(app, ctx, {
    planner: signatureFeature.planner,
    photos,
    onSignaturesChanged: (listener) => signatureFeature.store.onChange(listener),
    viewerGuard: requireRole('viewer'),
    adminGuard: requireRole('admin'),
    actorOf: (req) => req.principal?.subject ?? 'admin',
    audit: recordAudit,
  });
  await registerBranding(app, ctx, {
    signatures: signatureFeature.planner,
    onSignaturesChanged: (listener) => signatureFeature.store.onChange(listener),
    // The directory tracks one set of groups: assignments' join the signature rules'.
    groups: { addSource: (source) => signatureFeature.store.addGroupSource(source), changed: () => signatureFeature.store.trackGroups() },
    viewerGuard: requireRole('viewer'),
    adminGuard: requireRole('admin'),
    actorOf: (req) => req.principal?.subject ?? 'admin',
    audit: recordAudit,
  });
  await registerPeople(app, ctx, {
    state: signatureDeployment.state,
    planner: signatureFeature.planner,
    viewerGuard: requireRole('viewer'),
    isAdmin: (req) => req.principal?.role === 'admin',
  });
  await registerAddin(app, ctx, { planner: signatureFeature.planner, viewerGuard: requireRole('viewer') });
  return app;
}

/**
 * The device listener: the mTLS gateway in front of the personalization API. TLS is terminated here
 * (or, behind a trusted proxy, the forwarded client certificate is verified the same way).
 */
export async function buildDeviceApp(
  ctx: OnrampContext,
  gateway: GatewayMaterial,
  features?: { planner: SignaturePlanner; branding?: BrandingFeature },
): Promise<FastifyInstance> {
  // An HTTPS Fastify instance differs from an HTTP one only in its raw server (requests are still
  // http.IncomingMessage, over a TLSSocket), so it is typed as the common FastifyInstance that
  // features' plugins are written for.
  let installed: DeviceGateway | undefined;
  const app = Fastify({
    ...baseOptions(ctx, () => installed?.recordUnrouted),
    https: { ...gateway.tls, minVersion: 'TLSv1.2' },
  } as FastifyServerOptions).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance;
  installErrorHandling(app, ctx.config.server.bodyLimitBytes);
  installHttpTracing(app, 'device');
  ctx.metrics?.instrument(app, 'device');
  installed = installDeviceGateway(app, ctx, gateway);
  await app.register(healthRoutes, { storage: ctx.storage, jobs: ctx.jobs });
  await app.register(openApiPlugin, DEVICE_API_DOCUMENT);
  await app.register(deviceTelemetryRoutes, { ctx });
  await app.register(directoryRoutes, { ctx });
  if (ctx.exchange) await app.register(signatureRoutes, { ctx, exchange: ctx.exchange });
  // The public app's planner: devices get the same rendered sets the Exchange push sends.
  if (features) await app.register(deviceSignatureRoutes, { planner: features.planner });
  // The public app's branding: an admin's change there clears the manifests served here at once.
  if (features?.branding) await app.register(deviceBrandingRoutes, { branding: features.branding });
  return app;
}
