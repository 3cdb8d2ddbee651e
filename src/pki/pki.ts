/**
 * A small certificate authority for onramp's own use: the dev PKI (`onramp certs`), the tenant
 * simulator's HTTPS certificate, and tests that need real chains. Built on @peculiar/x509 over WebCrypto;
 * PFX export uses node-forge, which reads RSA certificates only: CAs and client certificates are RSA
 * (what Windows certificate stores expect); server certificates use faster P-256 keys.
 */
import { webcrypto, createHash, randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import forge from 'node-forge';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC: EcKeyGenParams & EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const RSA: RsaHashedKeyGenParams = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };

export const UPN_SAN_OID = '1.3.6.1.4.1.311.20.2.3';
export const EKU = { clientAuth: x509.ExtendedKeyUsage.clientAuth, serverAuth: x509.ExtendedKeyUsage.serverAuth } as const;

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  /** Hex serial number, as CRLs name it. */
  serialNumber: string;
  /** SHA-1 of the DER certificate, upper-case hex (the "thumbprint" Windows and APIM show). */
  thumbprint: string;
}

export interface CertificateAuthority extends IssuedCertificate {
  name: string;
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

interface Validity {
  notBefore?: Date;
  notAfter?: Date;
}

function serial(): string {
  // Positive, 128 bits of randomness: the high bit cleared so DER does not read it as negative.
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function days(n: number, from = new Date()): Date {
  return new Date(from.getTime() + n * 86_400_000);
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function describe(cert: x509.X509Certificate, key: string): IssuedCertificate {
  // Trailing newlines so PEMs can be concatenated into chains and bundles as they are.
  return {
    certPem: `${cert.toString('pem').trimEnd()}\n`,
    keyPem: `${key.trimEnd()}\n`,
    serialNumber: cert.serialNumber,
    thumbprint: createHash('sha1').update(Buffer.from(cert.rawData)).digest('hex').toUpperCase(),
  };
}

/** What every certificate issued by one of our CAs shares: a fresh serial, the issuer's name and key, and its key identifier. */
async function signWith(
  issuer: CertificateAuthority,
  subject: string,
  publicKey: CryptoKey,
  validity: Required<Validity>,
  extensions: x509.Extension[],
): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: issuer.cert.subject,
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
    publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: RSA,
    extensions: [...extensions, await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey)],
  });
}

export async function createRootCa(name = 'onramp dev root CA', validity: Validity = {}): Promise<CertificateAuthority> {
  const keys = (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: validity.notBefore ?? days(-1),
    notAfter: validity.notAfter ?? days(3650),
    keys,
    signingAlgorithm: RSA,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { ...describe(cert, await keyPem(keys.privateKey)), name, cert, keys };
}

export async function createIntermediateCa(
  issuer: CertificateAuthority,
  name = 'onramp dev issuing CA',
  validity: Validity = {},
): Promise<CertificateAuthority> {
  const keys = (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await signWith(issuer, `CN=${name}`, keys.publicKey, { notBefore: validity.notBefore ?? days(-1), notAfter: validity.notAfter ?? days(1825) }, [
    new x509.BasicConstraintsExtension(true, 0, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ]);
  return { ...describe(cert, await keyPem(keys.privateKey)), name, cert, keys };
}

/** Loads a CA saved as PEM (certificate and PKCS#8 RSA key). */
export async function loadCa(certPem: string, keyPemText: string): Promise<CertificateAuthority> {
  const cert = new x509.X509Certificate(certPem);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(keyPemText), RSA, true, ['sign']);
  const publicKey = await cert.publicKey.export(RSA, ['verify']);
  return { ...describe(cert, keyPemText), name: cert.subject.replace(/^CN=/, ''), cert, keys: { privateKey, publicKey } };
}

export interface ServerCertificateOptions extends Validity {
  dnsNames?: string[];
  ipAddresses?: string[];
  commonName?: string;
}

export async function issueServerCertificate(issuer: CertificateAuthority, options: ServerCertificateOptions = {}): Promise<IssuedCertificate> {
  const dnsNames = options.dnsNames ?? ['localhost'];
  const ips = options.ipAddresses ?? ['127.0.0.1', '::1'];
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const subject = `CN=${options.commonName ?? dnsNames[0] ?? 'localhost'}`;
  const cert = await signWith(issuer, subject, keys.publicKey, { notBefore: options.notBefore ?? days(-1), notAfter: options.notAfter ?? days(397) }, [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([EKU.serverAuth]),
    new x509.SubjectAlternativeNameExtension([
      ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
      ...ips.map((value) => ({ type: 'ip' as const, value })),
    ]),
  ]);
  return describe(cert, await keyPem(keys.privateKey));
}

export interface ClientCertificateOptions extends Validity {
  /** Put in the UPN otherName SAN (1.3.6.1.4.1.311.20.2.3), as Intune/ADCS user certificates carry it. */
  upn?: string;
  /** Put in an rfc822Name (email) SAN. */
  email?: string;
  /** Put in a dNSName SAN (device certificates). */
  dnsName?: string;
  commonName?: string;
  /** Extended key usages; default clientAuth. An empty list leaves the extension out entirely. */
  extendedKeyUsages?: string[];
  /** RSA (default: PFX-exportable, what Windows stores expect) or EC (faster to generate). */
  keyType?: 'rsa' | 'ec';
}

export async function issueClientCertificate(issuer: CertificateAuthority, options: ClientCertificateOptions): Promise<IssuedCertificate> {
  const algorithm = options.keyType === 'ec' ? EC : RSA;
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const names: x509.JsonGeneralName[] = [];
  if (options.upn) names.push({ type: 'upn', value: options.upn });
  if (options.email) names.push({ type: 'email', value: options.email });
  if (options.dnsName) names.push({ type: 'dns', value: options.dnsName });
  const ekus = options.extendedKeyUsages ?? [EKU.clientAuth];
  const subject = `CN=${options.commonName ?? options.upn ?? options.email ?? options.dnsName ?? 'device'}`;
  const cert = await signWith(issuer, subject, keys.publicKey, { notBefore: options.notBefore ?? days(-1), notAfter: options.notAfter ?? days(365) }, [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (options.keyType === 'ec' ? 0 : x509.KeyUsageFlags.keyEncipherment), true),
    ...(ekus.length > 0 ? [new x509.ExtendedKeyUsageExtension(ekus)] : []),
    ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
  ]);
  return describe(cert, await keyPem(keys.privateKey));
}

export interface RevokedEntry {
  serialNumber: string;
  revokedAt?: Date;
}

/** A CRL signed by `issuer` listing `revoked`; PEM. */
export async function createCrl(
  issuer: CertificateAuthority,
  revoked: RevokedEntry[],
  validity: { thisUpdate?: Date; nextUpdate?: Date } = {},
): Promise<string> {
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuer.cert.subject,
    thisUpdate: validity.thisUpdate ?? days(-1 / 24),
    nextUpdate: validity.nextUpdate ?? days(7),
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: RSA,
    entries: revoked.map((r) => ({ serialNumber: r.serialNumber, revocationDate: r.revokedAt ?? new Date(), reason: x509.X509CrlReason.keyCompromise })),
    extensions: [await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey)],
  });
  // OpenSSL (and so Node's tls `crl` option) reads only the "X509 CRL" PEM label.
  return `${x509.PemConverter.encode(crl.rawData, 'X509 CRL').trimEnd()}\n`;
}

/** PKCS#12 (.pfx) with the certificate, its key and the chain, for importing on Windows. RSA keys only. */
export function toPfx(issued: IssuedCertificate, chainPems: string[], password: string): Buffer {
  const key = forge.pki.privateKeyFromPem(issued.keyPem);
  const certs = [issued.certPem, ...chainPems].map((p) => forge.pki.certificateFromPem(p));
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, certs, password, { algorithm: '3des' });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}
