/**
 * One verifier for every way a device certificate reaches onramp: the TLS handshake itself, or a
 * header from a trusted TLS-terminating proxy. Chain to the configured trust anchors (intermediates may
 * be presented by the client), validity of every link, clientAuth EKU on the leaf, revocation by CRL,
 * optional pinning of the issuing CA. Pure certificate logic: no HTTP here.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import { EKU } from '../pki/pki.js';

const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';
const MAX_CHAIN_DEPTH = 6;
/** Intermediates remembered from verified chains; an organisation has a handful. */
const MAX_KNOWN_INTERMEDIATES = 1_000;

export interface CertificateIdentity {
  /** UPN from the UPN otherName SAN, else the email SAN; lower-cased. Null when the certificate has neither. */
  upn: string | null;
  dnsNames: string[];
  subject: string;
  issuer: string;
  serialNumber: string;
  /** The leaf's own validity, ISO-8601 (the verdict's notBefore/notAfter span the whole chain). */
  notBefore: string;
  notAfter: string;
  /** SHA-1 of the leaf, upper-case hex. */
  thumbprint: string;
  issuerThumbprint: string;
}

export type VerifyOutcome = { ok: true; identity: CertificateIdentity; notBefore: number; notAfter: number } | { ok: false; reason: string };

export interface VerifierOptions {
  trustAnchorsPem: string;
  crlFiles: readonly string[];
  pinnedIssuerThumbprints: readonly string[];
}

export function thumbprintOf(cert: X509Certificate): string {
  return createHash('sha1').update(cert.raw).digest('hex').toUpperCase();
}

/** Splits a PEM bundle into certificates. */
export function parsePemBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

interface LoadedCrl {
  crl: x509.X509Crl;
  revokedSerials: Set<string>;
}

function normaliseSerial(hex: string): string {
  return hex.toUpperCase().replace(/^0+(?=.)/, '');
}

export class CertificateVerifier {
  readonly #anchors: X509Certificate[];
  readonly #pins: Set<string>;
  readonly #crlFiles: readonly string[];
  #crlStamp = '';
  #crls: LoadedCrl[] = [];
  /** Issuer thumbprint → serials its (signature-checked) CRLs revoke; null: no CRL for that issuer. */
  #revokedByIssuer = new Map<string, Set<string> | null>();
  /**
   * Intermediate CAs of chains that verified, by thumbprint, for resumed TLS sessions: a resumed
   * session keeps the client's certificate but not the intermediates it sent with it, so these stand
   * in for them. Only ever used as candidates: a chain through one is verified in full (signatures,
   * validity, path length, CRLs) like any other.
   */
  readonly #knownIntermediates = new Map<string, X509Certificate>();
  /** Bumped when CRLs change, so cached verdicts are recomputed. */
  generation = 0;

  constructor(options: VerifierOptions) {
    this.#anchors = parsePemBundle(options.trustAnchorsPem);
    if (this.#anchors.length === 0) throw new Error('device gateway: the trust anchors file holds no certificate');
    this.#pins = new Set(options.pinnedIssuerThumbprints.map((t) => t.replace(/[^0-9a-f]/gi, '').toUpperCase()));
    this.#crlFiles = options.crlFiles;
    this.reloadCrlsIfChanged();
  }

  get anchorsPem(): string[] {
    return this.#anchors.map((a) => a.toString());
  }

  /** Re-reads the CRL files when their size or modification time changed. Returns true when reloaded. */
  reloadCrlsIfChanged(): boolean {
    const stamp = this.#crlFiles
      .map((f) => {
        const s = statSync(f);
        return `${f}:${s.size}:${s.mtimeMs}`;
      })
      .join('|');
    if (stamp === this.#crlStamp) return false;
    const crls: LoadedCrl[] = [];
    for (const file of this.#crlFiles) {
      const bytes = readFileSync(file);
      const text = bytes.toString('latin1');
      const ders = text.includes('-----BEGIN')
        ? (text.match(/-----BEGIN X509 CRL-----[\s\S]+?-----END X509 CRL-----/g) ?? []).map((p) => x509.PemConverter.decodeFirst(p))
        : [bytes];
      for (const der of ders) {
        const crl = new x509.X509Crl(der);
        crls.push({ crl, revokedSerials: new Set(crl.entries.map((e) => normaliseSerial(e.serialNumber))) });
      }
    }
    this.#crls = crls;
    this.#crlStamp = stamp;
    this.#revokedByIssuer = new Map();
    this.generation++;
    return true;
  }

  async #revokedSerialsOf(issuer: X509Certificate): Promise<Set<string> | null> {
    // This generation's CRLs and cache, taken before awaiting: a reload meanwhile must not receive an
    // answer worked out from the CRLs it replaced.
    const crls = this.#crls;
    const cache = this.#revokedByIssuer;
    const key = thumbprintOf(issuer);
    if (cache.has(key)) return cache.get(key)!;
    // A CRL counts for an issuer only if that issuer signed it; names alone could be forged.
    const publicKey = new x509.X509Certificate(issuer.raw).publicKey;
    let revoked: Set<string> | null = null;
    for (const { crl, revokedSerials } of crls) {
      if (await crl.verify({ publicKey }).catch(() => false)) revoked = new Set([...(revoked ?? []), ...revokedSerials]);
    }
    cache.set(key, revoked);
    return revoked;
  }

  /**
   * CRLs past their nextUpdate: still used (a revocation stays a revocation), but the issuer has stopped
   * publishing or the file stopped being refreshed, so newer revocations are unknown. For a warning.
   */
  staleCrls(now: Date): string[] {
    return this.#crls
      .filter(({ crl }) => crl.nextUpdate !== undefined && crl.nextUpdate.getTime() < now.getTime())
      .map(({ crl }) => `${crl.issuer} (next update was due ${crl.nextUpdate!.toISOString()})`);
  }

  /**
   * Verifies `leaf` (DER) with `presented` (DER, the rest of what the client or proxy sent) as candidate
   * intermediates. Reasons are for logs and the 401 body; they name the failed check, never a key.
   * `resumedSession`: the leaf comes from a resumed TLS session, which carries no intermediates; those
   * of earlier verified chains are the candidates then.
   */
  async verify(leafDer: Buffer, presented: readonly Buffer[], now: Date, options: { resumedSession?: boolean } = {}): Promise<VerifyOutcome> {
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(leafDer);
    } catch {
      return { ok: false, reason: 'certificate cannot be parsed' };
    }
    const intermediates = presented.flatMap((der) => {
      try {
        const c = new X509Certificate(der);
        return c.ca ? [c] : [];
      } catch {
        return [];
      }
    });
    if (options.resumedSession) intermediates.push(...this.#knownIntermediates.values());
    const chain: X509Certificate[] = [leaf];
    let anchor: X509Certificate | undefined;
    for (let current = leaf; chain.length <= MAX_CHAIN_DEPTH; ) {
      anchor = this.#anchors.find((a) => signedBy(current, a));
      if (anchor) break;
      const next = intermediates.find((i) => !chain.includes(i) && signedBy(current, i));
      if (!next) {
        return { ok: false, reason: chain.length === 1 ? 'issuer not trusted or intermediate certificate missing' : 'chain does not end at a trusted root' };
      }
      chain.push(next);
      current = next;
    }
    if (!anchor) return { ok: false, reason: 'certificate chain too long' };

    const t = now.getTime();
    let notBefore = -Infinity;
    let notAfter = Infinity;
    for (const c of [...chain, anchor]) {
      const from = Date.parse(c.validFrom);
      const to = Date.parse(c.validTo);
      const who = c === leaf ? 'certificate' : `issuing CA ${c.subject.replace(/\n/g, ', ')}`;
      if (t < from) return { ok: false, reason: `${who} is not yet valid` };
      if (t > to) return { ok: false, reason: `${who} has expired` };
      notBefore = Math.max(notBefore, from);
      notAfter = Math.min(notAfter, to);
    }
    // basicConstraints pathLenConstraint: how many CAs may stand between a CA and the leaf.
    const cas = [...chain.slice(1), anchor];
    for (let i = 0; i < cas.length; i++) {
      const limit = pathLengthOf(cas[i]!);
      if (limit !== undefined && i > limit)
        return { ok: false, reason: `the chain is longer than ${cas[i]!.subject.replace(/\n/g, ', ')} allows (path length ${limit})` };
    }
    const ekus = leaf.keyUsage ?? [];
    if (!ekus.includes(EKU.clientAuth) && !ekus.includes(ANY_EXTENDED_KEY_USAGE)) {
      return { ok: false, reason: 'certificate is not valid for client authentication (extended key usage)' };
    }
    const issuer = chain[1] ?? anchor;
    const issuerThumbprint = thumbprintOf(issuer);
    if (this.#pins.size > 0 && !this.#pins.has(issuerThumbprint)) {
      return { ok: false, reason: 'issuing CA is not among the pinned issuers' };
    }
    const withIssuers = [...chain, anchor];
    for (let i = 0; i < chain.length; i++) {
      const revoked = await this.#revokedSerialsOf(withIssuers[i + 1]!);
      if (revoked?.has(normaliseSerial(chain[i]!.serialNumber))) {
        return { ok: false, reason: i === 0 ? 'certificate has been revoked' : 'an issuing CA certificate has been revoked' };
      }
    }
    this.#remember(chain.slice(1));
    return { ok: true, identity: identityOf(leaf, issuerThumbprint), notBefore, notAfter };
  }

  #remember(intermediates: readonly X509Certificate[]): void {
    for (const ca of intermediates) {
      const key = thumbprintOf(ca);
      if (this.#knownIntermediates.has(key)) continue;
      if (this.#knownIntermediates.size >= MAX_KNOWN_INTERMEDIATES) this.#knownIntermediates.delete(this.#knownIntermediates.keys().next().value!);
      this.#knownIntermediates.set(key, ca);
    }
  }
}

function pathLengthOf(ca: X509Certificate): number | undefined {
  return new x509.X509Certificate(ca.raw).getExtension(x509.BasicConstraintsExtension)?.pathLength;
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function identityOf(leaf: X509Certificate, issuerThumbprint: string): CertificateIdentity {
  const parsed = new x509.X509Certificate(leaf.raw);
  const san = parsed.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.toJSON() ?? [];
  // @peculiar/x509 reads the UPN otherName (1.3.6.1.4.1.311.20.2.3) as type 'upn'.
  const upnSan = names.find((n) => n.type === 'upn')?.value;
  const email = names.find((n) => n.type === 'email')?.value;
  const upn = (upnSan ?? email ?? '').trim().toLowerCase();
  return {
    upn: upn === '' ? null : upn,
    dnsNames: names.filter((n) => n.type === 'dns').map((n) => n.value),
    subject: parsed.subject,
    issuer: parsed.issuer,
    serialNumber: parsed.serialNumber,
    notBefore: parsed.notBefore.toISOString(),
    notAfter: parsed.notAfter.toISOString(),
    thumbprint: thumbprintOf(leaf),
    issuerThumbprint,
  };
}

/**
 * Reads a client certificate (and any chain) a proxy forwarded: Envoy XFCC (`Cert="…";Chain="…"`),
 * URL-encoded PEM (nginx `$ssl_client_escaped_cert`), PEM, or base64 DER (APIM / IIS ARR
 * `X-ARR-ClientCert`). Returns null when the value is none of these (or is not validly encoded).
 * An XFCC header with several elements (Envoy appending hop by hop) is read from its last element,
 * the one the nearest proxy added: the earlier ones came from further out, possibly from the client.
 */
export function parseForwardedCertificate(value: string): { leaf: Buffer; chain: Buffer[] } | null {
  try {
    return parseForwarded(lastXfccElement(value));
  } catch {
    return null;
  }
}

/** The last comma-separated element of an XFCC value (commas inside quoted values do not count). */
function lastXfccElement(value: string): string {
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '"') quoted = !quoted;
    else if (value[i] === ',' && !quoted) start = i + 1;
  }
  return value.slice(start);
}

function parseForwarded(value: string): { leaf: Buffer; chain: Buffer[] } | null {
  const xfcc = /(?:^|;)\s*Cert="([^"]+)"/i.exec(value);
  const xfccChain = /(?:^|;)\s*Chain="([^"]+)"/i.exec(value);
  let text = xfcc ? decodeURIComponent(xfcc[1]!) : value.trim();
  if (!xfcc && /%2D%2D%2D%2D%2DBEGIN/i.test(text)) text = decodeURIComponent(text);
  const pems = [text, xfccChain ? decodeURIComponent(xfccChain[1]!) : ''].join('\n').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (pems && pems.length > 0) {
    // nginx may fold PEM line breaks into spaces; the base64 body is what matters.
    const ders = pems.map((p) => Buffer.from(p.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
    return { leaf: ders[0]!, chain: ders.slice(1) };
  }
  if (/^[A-Za-z0-9+/=\s]+$/.test(text) && text.length > 100) return { leaf: Buffer.from(text.replace(/\s+/g, ''), 'base64'), chain: [] };
  return null;
}
