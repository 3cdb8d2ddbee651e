import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../test/support/process.js';
import { devPkiPaths, initDevPki, issueDevClient } from './dev-pki.js';
import { CertificateVerifier, parseForwardedCertificate } from './certificate-verifier.js';

async function finish(args: string[], env: Record<string, string>): Promise<string> {
  const cli = runCli(args, env);
  const { code } = await cli.exited;
  assert.equal(code, 0, cli.output());
  return cli.output();
}

test('onramp certs init, issue, revoke, then serve --demo uses the same dev PKI', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'onramp-certs-'));
  const env = { ONRAMP_DATA_DIR: dataDir, ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json' };
  try {
    // Few CLI processes (each is a cold start); the dev-PKI functions behind them are shared.
    assert.match(await finish(['certs', 'init'], env), /created the dev PKI/);
    assert.equal(await initDevPki(join(dataDir, 'pki')), false, 'an existing dev PKI is kept');
    const issued = await finish(['certs', 'issue', '--upn', 'ada@contoso.com'], env);
    const certFile = /certificate: (\S+)/.exec(issued)![1]!;
    assert.match(issued, /pfx: +\S+\.pfx/);
    const otherFile = (await issueDevClient(join(dataDir, 'pki'), { upn: 'eve@contoso.com', pfxPassword: 'x' })).certFile;
    await finish(['certs', 'revoke', '--cert', otherFile], env);

    const paths = devPkiPaths(join(dataDir, 'pki'));
    const verifier = new CertificateVerifier({
      trustAnchorsPem: readFileSync(paths.trustAnchors, 'utf8'),
      crlFiles: [paths.rootCrl, paths.issuingCrl],
      pinnedIssuerThumbprints: [],
    });
    const ada = parseForwardedCertificate(readFileSync(certFile, 'utf8'))!;
    const eve = parseForwardedCertificate(readFileSync(otherFile, 'utf8'))!;
    assert.equal((await verifier.verify(ada.leaf, ada.chain, new Date())).ok, true);
    const refused = await verifier.verify(eve.leaf, eve.chain, new Date());
    assert.equal(refused.ok, false);

    const serve = runCli(['serve', '--demo'], {
      ...env,
      ONRAMP_PUBLIC_PORT: '0',
      ONRAMP_DEVICE_PORT: '0',
      ONRAMP_PUBLIC_HOST: '127.0.0.1',
      ONRAMP_DEVICE_HOST: '127.0.0.1',
    });
    try {
      const port = (await serve.waitFor(/Device API \(mTLS\): +https:\/\/localhost:(\d+)/, 120_000))[1]!;
      const key = readFileSync(certFile.replace(/\.pem$/, '.key'), 'utf8');
      const status = await new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({ upn: 'ADA@contoso.com', hostname: 'pc-1' });
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/api/beacon',
            method: 'POST',
            servername: 'localhost',
            ca: readFileSync(paths.rootCert),
            cert: readFileSync(certFile),
            key,
            agent: false,
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(status, 200);
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
