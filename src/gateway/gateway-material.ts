import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OnrampContext } from '../context.js';
import { devPkiPaths, initDevPki } from './dev-pki.js';
import type { GatewayMaterial } from './gateway.js';

export class GatewayConfigError extends Error {
  constructor(message: string) {
    super(`device gateway: ${message}`);
    this.name = 'GatewayConfigError';
  }
}

/**
 * The device listener's TLS material from configuration, or, in demo mode without a configured
 * certificate, from the dev PKI under dataDir/pki (created on first start). Undefined: listener off.
 *
 * The client certificate is requested but not enforced by TLS (`rejectUnauthorized: false`): the
 * gateway verifies it itself, so a device without one gets a 401 with `WWW-Authenticate: MutualTLS`
 * and a rejected one a reason, instead of a bare handshake failure. `ca` is still sent, as the list of
 * acceptable issuers devices pick their certificate by.
 */
export async function resolveGatewayMaterial(ctx: OnrampContext): Promise<GatewayMaterial | undefined> {
  const cfg = ctx.config.deviceGateway;
  let certFile = cfg.serverCertFile;
  let keyFile = cfg.serverKeyFile;
  let anchorsFile = cfg.trustAnchorsFile;
  let crlFiles: readonly string[] = cfg.crlFiles;
  if (!certFile && ctx.demo) {
    const dir = join(ctx.config.dataDir, 'pki');
    if (await initDevPki(dir)) ctx.log.info({ dir }, 'created the dev PKI for the device listener (onramp certs issue --upn … for a client certificate)');
    const paths = devPkiPaths(dir);
    certFile = paths.serverCert;
    keyFile = paths.serverKey;
    anchorsFile ??= paths.trustAnchors;
    if (crlFiles.length === 0) crlFiles = [paths.rootCrl, paths.issuingCrl];
  }
  if (!certFile) return undefined;
  if (!keyFile) throw new GatewayConfigError('serverCertFile is set but serverKeyFile is not');
  if (!anchorsFile) throw new GatewayConfigError('trustAnchorsFile is required: the CA certificates device certificates chain to');
  const read = (file: string, what: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new GatewayConfigError(`cannot read the ${what} ${file}: ${(err as Error).message}`);
    }
  };
  const trustAnchorsPem = read(anchorsFile, 'trust anchors file');
  for (const f of crlFiles) read(f, 'CRL file');
  return {
    tls: { cert: read(certFile, 'server certificate'), key: read(keyFile, 'server key'), ca: trustAnchorsPem, requestCert: true, rejectUnauthorized: false },
    trustAnchorsPem,
    crlFiles,
  };
}
