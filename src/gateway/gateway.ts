/**
 * The device gateway as Fastify hooks on the device listener: IP filter, per-address throttle, client
 * certificate verification (direct TLS or a trusted proxy's header), per-identity throttle, binding of
 * the body's `upn` to the certificate, and an audit record of every call. Installed on the root
 * instance so every device route is behind it; only the health probes are exempt.
 */
import { createHash } from 'node:crypto';
import type { TLSSocket, SecureContextOptions } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OnrampContext } from '../context.js';
import { OnrampError } from '../errors.js';
import { toOnrampError } from '../http/common.js';
import { redactUrl } from '../lib/logger.js';
import { AuditWriter } from './audit-writer.js';
import { CertificateVerifier, parseForwardedCertificate, type CertificateIdentity, type VerifyOutcome } from './certificate-verifier.js';
import { AddressMatcher, IpFilter } from './ip-filter.js';
import { TokenBuckets } from '../lib/token-buckets.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified certificate identity of a device API call (null on exempt routes). */
    deviceIdentity: CertificateIdentity | null;
    /** The caller's address after trusted-proxy resolution. */
    deviceClientIp: string;
  }
  interface FastifyContextConfig {
    /**
     * `false` on a device-listener route that acts for no user (the API document): the gateway still
     * demands a verified certificate, but binds no body `upn` to it.
     */
    actsForUser?: boolean;
  }
}

/** What the device listener is started with: TLS options, and what the verifier trusts. */
export interface GatewayMaterial {
  tls: SecureContextOptions & { requestCert: true; rejectUnauthorized: false };
  trustAnchorsPem: string;
  crlFiles: readonly string[];
}

const EXEMPT_PATHS = new Set(['/healthz', '/readyz']);
const FORWARDED_CACHE_SIZE = 10_000;
/** A refusal's words kept in the audit (the catalogue messages are short; a validation one may quote input). */
const MAX_REASON_LENGTH = 300;

interface CachedVerdict {
  generation: number;
  outcome: VerifyOutcome;
}

export interface DeviceGateway {
  verifier: CertificateVerifier;
  audit: AuditWriter;
  /** Audits a request refused before routing (a URL that does not decode), which the hooks never see. */
  recordUnrouted(req: FastifyRequest, status: number, code: string): void;
}

export function installDeviceGateway(app: FastifyInstance, ctx: OnrampContext, material: GatewayMaterial): DeviceGateway {
  const cfg = ctx.config.deviceGateway;
  const verifier = new CertificateVerifier({
    trustAnchorsPem: material.trustAnchorsPem,
    crlFiles: material.crlFiles,
    pinnedIssuerThumbprints: cfg.pinnedIssuerThumbprints,
  });
  const ipFilter = new IpFilter(cfg.allowCidrs, cfg.denyCidrs);
  const proxies = new AddressMatcher(cfg.trustedProxies, 'deviceGateway.trustedProxies');
  const forwardedHeaders = cfg.forwardedCertHeaders.map((h) => h.toLowerCase());
  const perIp = new TokenBuckets(cfg.ipRatePerSecond, cfg.ipBurst);
  const perIdentity = new TokenBuckets(cfg.identityRatePerSecond, cfg.identityBurst);
  const audit = new AuditWriter(
    ctx.storage.db,
    { flushIntervalMs: cfg.auditFlushIntervalMs, retentionDays: cfg.auditRetentionDays, instanceId: ctx.instanceId, jobs: ctx.jobs },
    ctx.clock,
    ctx.log,
  );
  // A keep-alive connection is verified once per CRL generation, not once per request.
  const socketVerdicts = new WeakMap<object, CachedVerdict>();
  const forwardedVerdicts = new Map<string, CachedVerdict>();

  let staleReported = '';
  const crlTimer = setInterval(() => {
    try {
      if (verifier.reloadCrlsIfChanged()) ctx.log.info('device gateway: CRLs reloaded');
    } catch (err) {
      ctx.log.error({ err }, 'device gateway: reloading CRLs failed; keeping the previous ones');
    }
    // Said once per change: revocation quietly going stale is the failure that matters here.
    const stale = verifier.staleCrls(ctx.clock.now());
    const report = stale.join('|');
    if (report !== staleReported && stale.length > 0)
      ctx.log.warn({ crls: stale }, 'device gateway: CRLs past their next update; revocations issued since are unknown');
    staleReported = report;
  }, cfg.crlReloadIntervalMs).unref();

  const isTrustedProxy = (address: string): boolean => proxies.matches(address);

  /** Behind trusted proxies the client is the right-most X-Forwarded-For entry that is not a proxy. */
  const clientAddress = (req: FastifyRequest, peer: string): string => {
    if (!isTrustedProxy(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) if (!isTrustedProxy(hops[i]!)) return hops[i]!;
    return hops[0] ?? peer;
  };

  /**
   * The certificate a trusted proxy forwarded. A forwarded certificate proves nothing about its private
   * key, and a proxy overwrites only the header it sets itself: any other configured header may be the
   * client's own, carrying someone else's (public) certificate. So exactly one configured header must
   * be present, once; an empty one means the client showed no certificate. Never the socket's
   * certificate instead: behind a proxy, that is the proxy's.
   */
  const forwardedVerdict = async (req: FastifyRequest): Promise<VerifyOutcome | null> => {
    const present = forwardedHeaders.filter((name) => req.headers[name] !== undefined);
    if (present.length === 0) return null;
    if (present.length > 1) return { ok: false, reason: `several forwarded-certificate headers (${present.join(', ')}); the proxy must send exactly one` };
    const name = present[0]!;
    const value = req.headers[name];
    if (typeof value !== 'string') return { ok: false, reason: `the ${name} header is repeated` };
    if (value === '') return null;
    const generation = verifier.generation;
    const key = createHash('sha1').update(value).digest('base64');
    const cached = forwardedVerdicts.get(key);
    if (cached && cached.generation === generation) return cached.outcome;
    const parsed = parseForwardedCertificate(value);
    const outcome: VerifyOutcome = parsed
      ? await verifier.verify(parsed.leaf, parsed.chain, ctx.clock.now())
      : { ok: false, reason: `the ${name} header does not hold a certificate` };
    if (forwardedVerdicts.size >= FORWARDED_CACHE_SIZE) forwardedVerdicts.clear();
    forwardedVerdicts.set(key, { generation, outcome });
    return outcome;
  };

  const verdict = async (req: FastifyRequest, peer: string): Promise<VerifyOutcome | null> => {
    if (isTrustedProxy(peer)) return forwardedVerdict(req);
    const socket = req.raw.socket as TLSSocket;
    const cached = socketVerdicts.get(socket);
    if (cached && cached.generation === verifier.generation) return cached.outcome;
    if (typeof socket.getPeerCertificate !== 'function') return null;
    const peerCert = socket.getPeerCertificate(true);
    if (!peerCert || !peerCert.raw) return null;
    const presented: Buffer[] = [];
    const seen = new Set<object>([peerCert]);
    for (let c = peerCert.issuerCertificate; c?.raw && !seen.has(c); c = c.issuerCertificate) {
      seen.add(c);
      presented.push(c.raw);
    }
    const generation = verifier.generation;
    // A resumed session (session id or ticket) is a new connection: verified again, against today's
    // CRLs and clock, but with the intermediates of earlier chains, since it has none of its own.
    const outcome = await verifier.verify(peerCert.raw, presented, ctx.clock.now(), { resumedSession: socket.isSessionReused() });
    socketVerdicts.set(socket, { generation, outcome });
    return outcome;
  };

  const throttled = (reply: FastifyReply, retryAfter: number): OnrampError => {
    reply.header('retry-after', String(retryAfter));
    return new OnrampError('ONRAMP_ERR_THROTTLED', [retryAfter]);
  };

  // Devices speak JSON only; anything else is a 415, not a string body failing validation.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('deviceIdentity', null);
  app.decorateRequest('deviceClientIp', '');

  app.addHook('onRequest', async (req, reply) => {
    const peer = req.raw.socket.remoteAddress ?? '';
    req.deviceClientIp = clientAddress(req, peer);
    if (EXEMPT_PATHS.has(req.url.split('?')[0]!)) return;
    if (!ipFilter.allows(req.deviceClientIp)) throw new OnrampError('ONRAMP_ERR_IP_DENIED');
    const now = ctx.clock.now();
    const ipWait = perIp.take(req.deviceClientIp, now.getTime());
    if (ipWait > 0) throw throttled(reply, ipWait);

    const outcome = await verdict(req, peer);
    if (!outcome) {
      reply.header('www-authenticate', 'MutualTLS');
      throw new OnrampError('ONRAMP_ERR_CLIENT_CERT_REQUIRED');
    }
    if (!outcome.ok) {
      reply.header('www-authenticate', 'MutualTLS');
      throw new OnrampError('ONRAMP_ERR_CLIENT_CERT_REJECTED', [outcome.reason]);
    }
    // A cached verdict is re-checked against the clock: a long keep-alive may outlive the certificate.
    if (now.getTime() > outcome.notAfter || now.getTime() < outcome.notBefore) {
      reply.header('www-authenticate', 'MutualTLS');
      throw new OnrampError('ONRAMP_ERR_CLIENT_CERT_REJECTED', ['certificate is outside its validity period']);
    }
    req.deviceIdentity = outcome.identity;
    if (!outcome.identity.upn) throw new OnrampError('ONRAMP_ERR_CERT_NO_USER');
    const idWait = perIdentity.take(outcome.identity.upn, now.getTime());
    if (idWait > 0) throw throttled(reply, idWait);
  });

  // Runs after validation: every device route carries the `upn` it acts for, in its body (POST) or its
  // query string (GET), except a route that acts for nobody (the API document, `config: { actsForUser: false }`).
  app.addHook('preHandler', async (req) => {
    const identity = req.deviceIdentity;
    if (!identity || req.routeOptions.config.actsForUser === false) return;
    const carrier = (req.method === 'GET' || req.method === 'HEAD' ? req.query : req.body) as { upn?: unknown } | undefined;
    const claimed = typeof carrier?.upn === 'string' ? carrier.upn.trim().toLowerCase() : '';
    if (claimed === '' || claimed !== identity.upn) throw new OnrampError('ONRAMP_ERR_IDENTITY_MISMATCH');
  });

  const refusals = new WeakMap<FastifyRequest, { code: string; reason: string }>();
  app.addHook('onError', async (req, _reply, error) => {
    const refused = toOnrampError(error, ctx.config.server.bodyLimitBytes);
    refusals.set(req, { code: refused.code, reason: refused.message.slice(0, MAX_REASON_LENGTH) });
  });

  // Recorded in onSend, not onResponse: the record is buffered before the client sees the answer, so
  // a shutdown that follows the last response still writes it.
  app.addHook('onSend', async (req, reply, payload) => {
    const refused = refusals.get(req);
    if (refused) ctx.metrics?.gatewayRefused(refused.code);
    audit.record(
      {
        at: ctx.clock.now().toISOString(),
        upn: req.deviceIdentity?.upn ?? null,
        thumbprint: req.deviceIdentity?.thumbprint ?? null,
        ip: req.deviceClientIp,
        method: req.method,
        route: req.routeOptions.url ?? redactUrl(req.url.split('?')[0]!),
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 100) / 100,
        request_id: String(req.id),
        code: refused?.code ?? null,
        reason: refused?.reason ?? null,
      },
      req.deviceIdentity,
    );
    return payload;
  });

  app.addHook('onClose', async () => {
    clearInterval(crlTimer);
    await audit.close();
  });

  const recordUnrouted = (req: FastifyRequest, status: number, code: string) => {
    ctx.metrics?.gatewayRefused(code);
    audit.record({
      at: ctx.clock.now().toISOString(),
      upn: null,
      thumbprint: null,
      ip: clientAddress(req, req.socket.remoteAddress ?? ''),
      method: req.method,
      route: redactUrl(req.url.split('?')[0]!).slice(0, 200),
      status,
      duration_ms: 0,
      request_id: String(req.id),
      code,
      reason: null,
    });
  };
  return { verifier, audit, recordUnrouted };
}
