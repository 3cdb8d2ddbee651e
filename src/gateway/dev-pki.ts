/**
 * The dev PKI on disk (`onramp certs init|issue|revoke`, and `serve --demo` on first start): a root CA,
 * an issuing CA, the device listener's server certificate, CRLs for both CAs (Node's TLS needs one for
 * every CA in a chain), and client certificates as PEM and PFX. For trying onramp and for tests, not
 * for production devices: their certificates come from the organisation's PKI (Intune SCEP/PKCS, ADCS).
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createCrl,
  createIntermediateCa,
  createRootCa,
  issueClientCertificate,
  issueServerCertificate,
  loadCa,
  toPfx,
  type CertificateAuthority,
} from '../pki/pki.js';

export interface DevPkiPaths {
  dir: string;
  rootCert: string;
  rootKey: string;
  issuingCert: string;
  issuingKey: string;
  /** Server certificate followed by the issuing CA (the chain TLS sends). */
  serverCert: string;
  serverKey: string;
  /** The root: what the device listener trusts. */
  trustAnchors: string;
  rootCrl: string;
  issuingCrl: string;
  revoked: string;
}

export function devPkiPaths(dir: string): DevPkiPaths {
  return {
    dir,
    rootCert: join(dir, 'root-ca.pem'),
    rootKey: join(dir, 'root-ca.key'),
    issuingCert: join(dir, 'issuing-ca.pem'),
    issuingKey: join(dir, 'issuing-ca.key'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    trustAnchors: join(dir, 'trust-anchors.pem'),
    rootCrl: join(dir, 'root-ca.crl.pem'),
    issuingCrl: join(dir, 'issuing-ca.crl.pem'),
    revoked: join(dir, 'revoked.json'),
  };
}

function writePrivate(path: string, content: string | Buffer): void {
  writeFileSync(path, content, { mode: 0o600 });
}

/** Creates the dev PKI unless it exists. Returns whether it was created. */
export async function initDevPki(dir: string, options: { dnsNames?: string[]; force?: boolean } = {}): Promise<boolean> {
  const paths = devPkiPaths(dir);
  if (existsSync(paths.rootCert) && !options.force) return false;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const root = await createRootCa();
  const issuing = await createIntermediateCa(root);
  const server = await issueServerCertificate(issuing, { dnsNames: options.dnsNames ?? ['localhost'] });
  writePrivate(paths.rootKey, root.keyPem);
  writePrivate(paths.issuingKey, issuing.keyPem);
  writePrivate(paths.serverKey, server.keyPem);
  writeFileSync(paths.rootCert, root.certPem);
  writeFileSync(paths.issuingCert, issuing.certPem);
  writeFileSync(paths.serverCert, server.certPem + issuing.certPem);
  writeFileSync(paths.trustAnchors, root.certPem);
  writeFileSync(paths.revoked, '[]\n');
  writeFileSync(paths.rootCrl, await createCrl(root, []));
  writeFileSync(paths.issuingCrl, await createCrl(issuing, []));
  return true;
}

async function issuingCa(paths: DevPkiPaths): Promise<CertificateAuthority> {
  if (!existsSync(paths.issuingCert)) throw new Error(`no dev PKI in ${paths.dir}; run "onramp certs init" first`);
  return loadCa(readFileSync(paths.issuingCert, 'utf8'), readFileSync(paths.issuingKey, 'utf8'));
}

export interface IssuedClientFiles {
  certFile: string;
  keyFile: string;
  pfxFile: string;
  serialNumber: string;
  thumbprint: string;
}

export async function issueDevClient(
  dir: string,
  options: { upn?: string; email?: string; dnsName?: string; pfxPassword: string; days?: number },
): Promise<IssuedClientFiles> {
  const paths = devPkiPaths(dir);
  const issuing = await issuingCa(paths);
  const name = options.upn ?? options.email ?? options.dnsName;
  if (!name) throw new Error('give --upn, --email or --dns-name');
  const issued = await issueClientCertificate(issuing, {
    upn: options.upn,
    email: options.email,
    dnsName: options.dnsName,
    notAfter: new Date(Date.now() + (options.days ?? 365) * 86_400_000),
  });
  const base = join(dir, 'clients', name.replace(/[^\w.@-]/g, '_'));
  mkdirSync(join(dir, 'clients'), { recursive: true, mode: 0o700 });
  // The PEM holds the chain up to (not including) the root, as a device should present it.
  writeFileSync(`${base}.pem`, issued.certPem + issuing.certPem);
  writePrivate(`${base}.key`, issued.keyPem);
  writePrivate(`${base}.pfx`, toPfx(issued, [issuing.certPem, readFileSync(paths.rootCert, 'utf8')], options.pfxPassword));
  return { certFile: `${base}.pem`, keyFile: `${base}.key`, pfxFile: `${base}.pfx`, serialNumber: issued.serialNumber, thumbprint: issued.thumbprint };
}

/** Adds a serial number (hex) to the issuing CA's CRL and rewrites it; the gateway reloads it on its own. */
export async function revokeDevClient(dir: string, serialNumber: string): Promise<string[]> {
  const paths = devPkiPaths(dir);
  const issuing = await issuingCa(paths);
  const serial = serialNumber.replace(/[^0-9a-f]/gi, '').toLowerCase();
  if (serial === '') throw new Error('give the serial number (hex) of the certificate to revoke');
  const revoked = new Set(JSON.parse(readFileSync(paths.revoked, 'utf8')) as string[]);
  revoked.add(serial);
  const list = [...revoked];
  writeFileSync(
    paths.issuingCrl,
    await createCrl(
      issuing,
      list.map((s) => ({ serialNumber: s })),
    ),
  );
  writeFileSync(paths.revoked, JSON.stringify(list, null, 2) + '\n');
  return list;
}

/** Serial number (hex) of a PEM certificate file, for `certs revoke --cert`. */
export function serialOfPemFile(file: string): string {
  const pem = readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
  if (!pem) throw new Error(`${file} holds no certificate`);
  return new X509Certificate(pem).serialNumber.toLowerCase();
}
