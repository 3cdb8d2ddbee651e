import { join } from 'node:path';
import type { Command } from 'commander';
import { devPkiPaths, initDevPki, issueDevClient, revokeDevClient, serialOfPemFile } from './dev-pki.js';

/** `onramp certs init|issue|revoke`: the dev PKI under dataDir/pki (or --dir). */
export function registerCertsCommands(program: Command, dataDir: () => string): void {
  const certs = program.command('certs').description('dev PKI for the device listener: CA, server certificate, client certificates, CRL');
  const pkiDir = (opts: { dir?: string }) => opts.dir ?? join(dataDir(), 'pki');
  const out = (line: string) => process.stdout.write(`${line}\n`);

  certs
    .command('init')
    .description('create a root CA, an issuing CA, the device listener certificate and empty CRLs')
    .option('--dir <dir>', 'where to write them (default <dataDir>/pki)')
    .option('--dns-name <name...>', 'DNS names of the device listener certificate', ['localhost'])
    .option('--force', 'replace an existing dev PKI')
    .action(async (opts: { dir?: string; dnsName: string[]; force?: boolean }) => {
      const dir = pkiDir(opts);
      const created = await initDevPki(dir, { dnsNames: opts.dnsName, force: opts.force });
      const p = devPkiPaths(dir);
      out(created ? `created the dev PKI in ${dir}` : `a dev PKI already exists in ${dir} (--force replaces it)`);
      out(
        `  server certificate:  ${p.serverCert}\n  server key:          ${p.serverKey}\n  trust anchors:       ${p.trustAnchors}\n  CRLs:                ${p.rootCrl}, ${p.issuingCrl}`,
      );
    });

  certs
    .command('issue')
    .description('issue a client certificate (PEM with chain, key, and PFX for Windows)')
    .option('--dir <dir>', 'dev PKI folder (default <dataDir>/pki)')
    .option('--upn <upn>', 'user principal name, put in the UPN otherName SAN')
    .option('--email <address>', 'email SAN')
    .option('--dns-name <name>', 'DNS SAN (device certificates)')
    .option('--days <n>', 'validity in days', '365')
    .option('--pfx-password <password>', 'password of the PFX file', 'onramp')
    .action(async (opts: { dir?: string; upn?: string; email?: string; dnsName?: string; days: string; pfxPassword: string }) => {
      const issued = await issueDevClient(pkiDir(opts), {
        upn: opts.upn,
        email: opts.email,
        dnsName: opts.dnsName,
        days: Number(opts.days),
        pfxPassword: opts.pfxPassword,
      });
      out(
        `certificate: ${issued.certFile}\nkey:         ${issued.keyFile}\npfx:         ${issued.pfxFile}\nserial:      ${issued.serialNumber}\nthumbprint:  ${issued.thumbprint}`,
      );
    });

  certs
    .command('revoke')
    .description('revoke a client certificate: adds it to the issuing CA CRL, which the gateway reloads')
    .option('--dir <dir>', 'dev PKI folder (default <dataDir>/pki)')
    .option('--serial <hex>', 'serial number of the certificate')
    .option('--cert <file>', 'PEM file of the certificate')
    .action(async (opts: { dir?: string; serial?: string; cert?: string }) => {
      const serial = opts.serial ?? (opts.cert ? serialOfPemFile(opts.cert) : undefined);
      if (!serial) throw new Error('give --serial or --cert');
      const revoked = await revokeDevClient(pkiDir(opts), serial);
      out(`revoked ${serial}; the CRL lists ${revoked.length} certificate(s): ${devPkiPaths(pkiDir(opts)).issuingCrl}`);
    });
}
