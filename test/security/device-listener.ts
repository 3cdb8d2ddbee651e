/**
 * A device listener over real mTLS for the security tests: a root and an issuing CA, a server
 * certificate, a CRL file per CA (rewritable), and buildDeviceApp listening on loopback.
 */
import assert from 'node:assert/strict';
import { type Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildDeviceApp } from '../../src/app.js';
import { loadConfig } from '../../src/onramp-config.js';
import type { OnrampContext } from '../../src/context.js';
import { resolveGatewayMaterial } from '../../src/gateway/gateway-material.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import {
  createCrl,
  createIntermediateCa,
  createRootCa,
  issueClientCertificate,
  issueServerCertificate,
  type CertificateAuthority,
  type IssuedCertificate,
} from '../../src/pki/pki.js';
import { sqliteBackend, type TestStorage } from '../support/storage.js';

export interface DeviceAnswer {
  status: number;
  /** Whether the TLS session of this call was a resumed one. */
  resumed: boolean;
  json: Record<string, unknown>;
  ms: number;
}

export interface DeviceListener {
  port: number;
  root: CertificateAuthority;
  issuing: CertificateAuthority;
  storage: TestStorage;
  app: FastifyInstance;
  /** A client certificate from the issuing CA for `upn`. */
  issue(upn: string): Promise<IssuedCertificate>;
  /** Rewrites the issuing CA's CRL (the listener re-reads it on its reload interval). */
  revoke(serials: string[]): Promise<void>;
  /** One call with `client` (sent with its intermediate); a new connection unless `agent` keeps or resumes one. */
  call(
    client: IssuedCertificate,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    options?: { agent?: Agent; rawBody?: string; headers?: Record<string, string> },
  ): Promise<DeviceAnswer>;
  close(): Promise<void>;
}

export async function startDeviceListener(
  env: Record<string, string> = {},
  beforeListen?: (app: FastifyInstance, ctx: OnrampContext) => Promise<void>,
): Promise<DeviceListener> {
  const dir = mkdtempSync(join(tmpdir(), 'onramp-security-'));
  const root = await createRootCa('security root');
  const issuing = await createIntermediateCa(root, 'security issuing');
  const server = await issueServerCertificate(issuing);
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const issuingCrl = file('issuing.crl', await createCrl(issuing, []));
  const storage = await sqliteBackend.open();
  const config = loadConfig({
    env: {
      ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json',
      ...storage.env,
      ONRAMP_DEVICE_SERVER_CERT_FILE: file('server.pem', server.certPem + issuing.certPem),
      ONRAMP_DEVICE_SERVER_KEY_FILE: file('server.key', server.keyPem),
      ONRAMP_DEVICE_TRUST_ANCHORS_FILE: file('anchors.pem', root.certPem),
      ONRAMP_DEVICE_CRL_FILES: `${file('root.crl', await createCrl(root, []))},${issuingCrl}`,
      ...env,
    },
  });
  const ctx: OnrampContext = { config, storage, log: createLogger('silent'), clock: systemClock, demo: false, instanceId: 'test' };
  const material = await resolveGatewayMaterial(ctx);
  assert.ok(material);
  const app = await buildDeviceApp(ctx, material);
  if (beforeListen) await beforeListen(app, ctx);
  const port = Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);

  const call: DeviceListener['call'] = (client, method, path, body, options = {}) => {
    const payload = options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method,
          agent: options.agent ?? false,
          ca: root.certPem,
          servername: 'localhost',
          cert: client.certPem + issuing.certPem,
          key: client.keyPem,
          headers: {
            ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
            ...options.headers,
          },
        },
        (res) => {
          const resumed = (res.socket as TLSSocket).isSessionReused();
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              resumed,
              json: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>,
              ms: performance.now() - started,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  };

  return {
    port,
    root,
    issuing,
    storage,
    app,
    issue: (upn) => issueClientCertificate(issuing, { upn, keyType: 'ec' }),
    revoke: async (serials) =>
      writeFileSync(
        issuingCrl,
        await createCrl(
          issuing,
          serials.map((serialNumber) => ({ serialNumber })),
        ),
      ),
    call,
    close: async () => {
      await app.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
