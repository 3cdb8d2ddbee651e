import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OnrampContext } from '../context.js';
import { GatewayConfigError, StartupFileUnreadableError, TlsMaterialInvalidError, TrustAnchorsInvalidError } from '../errors.js';
import { CertificateVerifier, parsePemBundle } from './certificate-verifier.js';
import { devPkiPaths, initDevPki } from './dev-pki.js';
import type { GatewayMaterial } from './gateway.js';

// Declared with the other start-up failures; re-exported for the modules that import it from here.
export { GatewayConfigError } from '../errors.js';

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
  // Each file with the setting that names it, for start-up errors (dev PKI files: where they came from).
  let certFile = cfg.serverCertFile;
  let keyFile = cfg.serverKeyFile;
  let anchorsFile = cfg.trustAnchorsFile;
  let crlFiles: readonly string[] = cfg.crlFiles;
  const setting = {
    cert: 'deviceGateway.serverCertFile',
    key: 'deviceGateway.serverKeyFile',
    anchors: 'deviceGateway.trustAnchorsFile',
    crls: 'deviceGateway.crlFiles',
  };
  if (!certFile && ctx.demo) {
    const dir = join(ctx.config.dataDir, 'pki');
    if (await initDevPki(dir)) ctx.log.info({ dir }, 'created the dev PKI for the device listener (onramp certs issue --upn … for a client certificate)');
    const paths = devPkiPaths(dir);
    const fromDevPki = `dataDir (the demo's dev PKI in ${dir})`;
    certFile = paths.serverCert;
    keyFile = paths.serverKey;
    setting.cert = setting.key = fromDevPki;
    if (!anchorsFile) [anchorsFile, setting.anchors] = [paths.trustAnchors, fromDevPki];
    if (crlFiles.length === 0) [crlFiles, setting.crls] = [[paths.rootCrl, paths.issuingCrl], fromDevPki];
  }
  if (!certFile) return undefined;
  if (!keyFile) throw new GatewayConfigError(setting.key, `deviceGateway.serverCertFile is set (${certFile}) but the server key is not`);
  if (!anchorsFile)
    throw new GatewayConfigError(setting.anchors, 'required when deviceGateway.serverCertFile is set: the CA certificates device certificates chain to');
  const read = (file: string, key: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new StartupFileUnreadableError(key, file, err);
    }
  };
  const certPem = read(certFile, setting.cert);
  const keyPem = read(keyFile, setting.key);
  const trustAnchorsPem = read(anchorsFile, setting.anchors);
  const crlTexts = crlFiles.map((f) => read(f, setting.crls));
  checkServerIdentity(certFile, certPem, setting.cert, keyFile, keyPem, setting.key);
  checkTrustAnchors(anchorsFile, trustAnchorsPem, setting.anchors);
  // Each CRL through the verifier's own reader, one at a time, so a bad one is named. A PEM file with
  // no CRL block in it reads as no CRL at all there: a wrong file named would silently revoke nothing.
  for (const [i, f] of crlFiles.entries()) {
    if (crlTexts[i]!.includes('-----BEGIN') && !crlTexts[i]!.includes('-----BEGIN X509 CRL-----')) {
      throw new TlsMaterialInvalidError(setting.crls, f, 'it holds no PEM CRL (-----BEGIN X509 CRL-----)');
    }
    try {
      new CertificateVerifier({ trustAnchorsPem, crlFiles: [f], pinnedIssuerThumbprints: [] });
    } catch (err) {
      throw new TlsMaterialInvalidError(setting.crls, f, `not a PEM or DER certificate revocation list (${(err as Error).message})`, err);
    }
  }
  return {
    tls: { cert: certPem, key: keyPem, ca: trustAnchorsPem, requestCert: true, rejectUnauthorized: false },
    trustAnchorsPem,
    crlFiles,
  };
}

/** The server certificate parses, its key parses, and the two belong together. */
function checkServerIdentity(certFile: string, certPem: string, certSetting: string, keyFile: string, keyPem: string, keySetting: string): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new TlsMaterialInvalidError(certSetting, certFile, `not a PEM certificate (${(err as Error).message})`, err);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new TlsMaterialInvalidError(keySetting, keyFile, `not a PEM private key, or one protected by a passphrase (${(err as Error).message})`, err);
  }
  if (!cert.checkPrivateKey(key)) throw new TlsMaterialInvalidError(keySetting, keyFile, `this key does not belong to the server certificate ${certFile}`);
}

function checkTrustAnchors(file: string, pem: string, key: string): void {
  let anchors: X509Certificate[];
  try {
    anchors = parsePemBundle(pem);
  } catch (err) {
    throw new TrustAnchorsInvalidError(key, file, `a certificate in it does not parse (${(err as Error).message})`, err);
  }
  if (anchors.length === 0) throw new TrustAnchorsInvalidError(key, file, 'it holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
}
