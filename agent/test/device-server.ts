/**
 * The real onramp device listener for the agent's end-to-end tests: the gateway (mTLS, identity
 * binding, audit) over a test PKI, beacons, the device signature route over a DirectoryPlanner and
 * branding (the manifest and asset routes, the store the test uploads files and assignments to), on
 * 127.0.0.1. It can be stopped and started again on the same port with the same database (the
 * agent's "server down, then back" case). The agent gets PEM files for Alice's certificate.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildDeviceApp } from '../../src/app.js';
import { createBranding, type BrandingFeature } from '../../src/branding/branding.plugin.js';
import type { OnrampContext } from '../../src/context.js';
import { applyDirectoryPage, saveSyncState } from '../../src/directory/directory.queries.js';
import { resolveGatewayMaterial } from '../../src/gateway/gateway-material.js';
import type { DirectoryProfile } from '../../src/graph/graph-port.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { loadConfig } from '../../src/onramp-config.js';
import { createCrl, createIntermediateCa, createRootCa, issueClientCertificate, issueServerCertificate, toPfx } from '../../src/pki/pki.js';
import { DirectoryPlanner } from '../../test/support/signature-planner.js';
import type { TestStorage } from '../../test/support/storage.js';

export interface AgentCredentials {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** The same identity as a PKCS#12 file (RSA, what a Windows store exports) and its password file. */
  pfxFile: string;
  passphraseFile: string;
}

/** A root, an issuing CA, the server's certificate and `upn`'s client certificate, as files in `dir`. */
export async function writeTestPki(dir: string, upn: string): Promise<{ agent: AgentCredentials; env: Record<string, string> }> {
  const root = await createRootCa('agent test root');
  const issuing = await createIntermediateCa(root, 'agent test issuing');
  const server = await issueServerCertificate(issuing);
  const client = await issueClientCertificate(issuing, { upn, keyType: 'ec' });
  const rsaClient = await issueClientCertificate(issuing, { upn });
  const file = (name: string, text: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const anchors = file('anchors.pem', root.certPem);
  return {
    // What a device holds: its certificate with the issuing CA (the gateway checks the chain), its key,
    // and the root it trusts the server by.
    agent: {
      certFile: file('client.pem', client.certPem + issuing.certPem),
      keyFile: file('client.key', client.keyPem),
      caFile: anchors,
      pfxFile: file('client.pfx', toPfx(rsaClient, [issuing.certPem], 'pfx secret')),
      passphraseFile: file('client.pass', 'pfx secret\n'),
    },
    env: {
      ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json',
      ONRAMP_DEVICE_SERVER_CERT_FILE: file('server.pem', server.certPem + issuing.certPem),
      ONRAMP_DEVICE_SERVER_KEY_FILE: file('server.key', server.keyPem),
      ONRAMP_DEVICE_TRUST_ANCHORS_FILE: anchors,
      ONRAMP_DEVICE_CRL_FILES: `${file('root.crl', await createCrl(root, []))},${file('issuing.crl', await createCrl(issuing, []))}`,
    },
  };
}

export function profile(upn: string, extra: Partial<DirectoryProfile> = {}): DirectoryProfile {
  return {
    id: `id-${upn}`,
    accountEnabled: true,
    businessPhones: ['+31 20 555 0100'],
    city: 'Amsterdam',
    companyName: 'Contoso',
    country: 'NL',
    department: 'Finance',
    displayName: 'Alice Jansen',
    employeeId: null,
    faxNumber: null,
    givenName: 'Alice',
    jobTitle: 'Controller',
    mail: upn,
    mailNickname: 'alice',
    mobilePhone: null,
    officeLocation: 'HQ',
    postalCode: '1011',
    state: null,
    streetAddress: 'Dam 1',
    surname: 'Jansen',
    interests: [],
    userPrincipalName: upn,
    ...extra,
  };
}

export interface DeviceServer {
  readonly port: number;
  readonly app: FastifyInstance;
  readonly ctx: OnrampContext;
  readonly planner: DirectoryPlanner;
  /** Branding as the public app's admin API would change it (files, assignments). */
  readonly branding: BrandingFeature;
  /** Stops listening; the branding feature stays (call `branding.close()` at the end). */
  stop(): Promise<void>;
  /** Listens again on the same port, with the same database. */
  start(): Promise<void>;
}

export async function startDeviceServer(options: { storage: TestStorage; env: Record<string, string>; users: DirectoryProfile[] }): Promise<DeviceServer> {
  const { storage } = options;
  const config = loadConfig({ env: { ...options.env, ...storage.env } });
  const ctx: OnrampContext = { config, storage, log: createLogger('silent'), clock: systemClock, demo: false, instanceId: 'agent-test' };
  await applyDirectoryPage(storage.db, options.users, [], new Date().toISOString());
  await saveSyncState(storage.db, { deltaLink: 'https://graph/delta?token=1', lastSyncAt: new Date().toISOString(), lastError: null });
  const planner = new DirectoryPlanner(storage.db);
  const branding = createBranding(ctx, { signatures: planner });
  let app: FastifyInstance | undefined;
  let port = 0;
  const server: DeviceServer = {
    get port() {
      return port;
    },
    get app() {
      assert.ok(app, 'the device server is not running');
      return app;
    },
    ctx,
    planner,
    branding,
    async stop() {
      await app?.close();
      app = undefined;
    },
    async start() {
      const material = await resolveGatewayMaterial(ctx);
      assert.ok(material);
      const next = await buildDeviceApp(ctx, material, { planner, branding });
      const address = await next.listen({ host: '127.0.0.1', port });
      port = Number(new URL(address).port);
      app = next;
    },
  };
  await server.start();
  return server;
}
