/**
 * Start-up problems stop `onramp serve` before any listener opens, with one line naming the setting,
 * the file or address and the reason, a non-zero exit and no stack trace (src/errors.ts StartupError).
 * Each case runs the real CLI as a child process; they run concurrently, being independent.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { devPkiPaths, initDevPki, type DevPkiPaths } from '../src/gateway/dev-pki.js';
import { openSqlite } from '../src/db/dialect.js';
import { CLI, ephemeralServeEnv, LISTENING, runCli } from './support/process.js';

/** Runs `serve`, expects it to fail at start: returns the error line; asserts the rest of the contract. */
async function failedStart(env: Record<string, string>, as?: { uid: number; gid: number }): Promise<string> {
  const cli = runCli(['serve'], ephemeralServeEnv(env), undefined, as);
  // A start that wrongly succeeds must fail the test, not hang it.
  void cli.waitFor(LISTENING, 120_000).then(
    () => cli.child.kill('SIGTERM'),
    () => {},
  );
  const { code } = await cli.exited;
  const output = cli.output();
  assert.notEqual(code, 0, output);
  assert.doesNotMatch(output, /Server listening/, 'no listener opened');
  assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
  assert.doesNotMatch(output, /unexpected error/);
  const lines = output.split('\n').filter((l) => l.startsWith('onramp: '));
  assert.equal(lines.length, 1, `one error line:\n${output}`);
  return lines[0]!;
}

// Permission bits do not bind root: as root, the read-only cases run the CLI as nobody, which needs
// to reach the node binary and the checkout.
const asRoot = process.getuid?.() === 0;
const unprivileged = asRoot ? { uid: 65534, gid: 65534 } : undefined;
/** Whether any user may use `file` (`bit`: 0o001 run, 0o004 read), and enter every directory above it. */
function reachableByOthers(file: string, bit: number): boolean {
  if ((statSync(file).mode & bit) === 0) return false;
  for (let p = dirname(file); p !== dirname(p); p = dirname(p)) if ((statSync(p).mode & 0o001) === 0) return false;
  return true;
}
const readOnlyCases = {
  skip:
    asRoot && !(reachableByOthers(process.execPath, 0o001) && reachableByOthers(CLI, 0o004))
      ? `running as root, and nobody cannot reach ${process.execPath} or the checkout`
      : false,
};

describe('start-up problems', { concurrency: true }, () => {
  let dir: string;
  let pki: DevPkiPaths;
  let gateway: Record<string, string>;
  let occupied: Server;
  let occupiedPort: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onramp-startup-'));
    chmodSync(dir, 0o755);
    await initDevPki(join(dir, 'pki'));
    pki = devPkiPaths(join(dir, 'pki'));
    gateway = {
      ONRAMP_DEVICE_SERVER_CERT_FILE: pki.serverCert,
      ONRAMP_DEVICE_SERVER_KEY_FILE: pki.serverKey,
      ONRAMP_DEVICE_TRUST_ANCHORS_FILE: pki.trustAnchors,
      ONRAMP_DEVICE_CRL_FILES: `${pki.rootCrl},${pki.issuingCrl}`,
    };
    writeFileSync(join(dir, 'not-a-certificate.pem'), 'hello\n');
    occupied = createServer();
    await new Promise<void>((resolve) => occupied.listen({ host: '127.0.0.1', port: 0 }, resolve));
    occupiedPort = (occupied.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise((resolve) => occupied?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const dataDir = (name: string) => ({ ONRAMP_DATA_DIR: join(dir, name) });

  test('a missing CRL file (stopped after the public listener was up, with a stack, before)', async () => {
    const line = await failedStart({ ...dataDir('crl'), ...gateway, ONRAMP_DEVICE_CRL_FILES: `${pki.rootCrl},${join(dir, 'missing.crl')}` });
    assert.equal(line, `onramp: deviceGateway.crlFiles: cannot read ${join(dir, 'missing.crl')}: no such file (ENOENT)`);
  });

  test('an unreadable server key (a directory)', async () => {
    const line = await failedStart({ ...dataDir('key'), ...gateway, ONRAMP_DEVICE_SERVER_KEY_FILE: join(dir, 'pki') });
    assert.equal(line, `onramp: deviceGateway.serverKeyFile: cannot read ${join(dir, 'pki')}: is a directory, not a file (EISDIR)`);
  });

  test('a server key that is not the certificate’s', async () => {
    const line = await failedStart({ ...dataDir('mismatch'), ...gateway, ONRAMP_DEVICE_SERVER_KEY_FILE: pki.issuingKey });
    assert.equal(
      line,
      `onramp: deviceGateway.serverKeyFile: ${pki.issuingKey} cannot be used: this key does not belong to the server certificate ${pki.serverCert}`,
    );
  });

  test('trust anchors that hold no certificate', async () => {
    const line = await failedStart({ ...dataDir('anchors'), ...gateway, ONRAMP_DEVICE_TRUST_ANCHORS_FILE: join(dir, 'not-a-certificate.pem') });
    assert.match(line, /^onramp: deviceGateway\.trustAnchorsFile: .*not-a-certificate\.pem is not usable as trust anchors: it holds no PEM certificate/);
  });

  test('a CRL file that is no CRL', async () => {
    const line = await failedStart({ ...dataDir('badcrl'), ...gateway, ONRAMP_DEVICE_CRL_FILES: `${pki.rootCrl},${pki.serverCert}` });
    assert.equal(line, `onramp: deviceGateway.crlFiles: ${pki.serverCert} cannot be used: it holds no PEM CRL (-----BEGIN X509 CRL-----)`);
  });

  test('the device port in use: the public listener never opened', async () => {
    const line = await failedStart({ ...dataDir('port'), ...gateway, ONRAMP_DEVICE_PORT: String(occupiedPort) });
    assert.equal(line, `onramp: server.devicePort: 127.0.0.1:${occupiedPort} is already in use by another process (EADDRINUSE)`);
  });

  test('the public port in use', async () => {
    const line = await failedStart({ ...dataDir('public-port'), ONRAMP_PUBLIC_PORT: String(occupiedPort) });
    assert.equal(line, `onramp: server.publicPort: 127.0.0.1:${occupiedPort} is already in use by another process (EADDRINUSE)`);
  });

  test('a data directory onramp may not write to', readOnlyCases, async () => {
    const readOnly = join(dir, 'read-only-dir');
    mkdirSync(readOnly, { mode: 0o555 });
    chmodSync(readOnly, 0o555);
    const line = await failedStart({ ONRAMP_DATA_DIR: readOnly }, unprivileged);
    assert.equal(
      line,
      `onramp: dataDir: cannot write the SQLite database ${join(readOnly, 'onramp.sqlite')}: the data directory ${readOnly} is not writable: permission denied (EACCES)`,
    );
  });

  test('a read-only SQLite database file (it opened, and failed at the first write)', readOnlyCases, async () => {
    const writable = join(dir, 'read-only-file');
    mkdirSync(writable);
    chmodSync(writable, 0o777);
    await openSqlite(writable).close();
    const file = join(writable, 'onramp.sqlite');
    chmodSync(file, 0o444);
    const line = await failedStart({ ONRAMP_DATA_DIR: writable }, unprivileged);
    assert.equal(line, `onramp: dataDir: cannot write the SQLite database ${file}: the file is read-only: permission denied (EACCES)`);
  });
});
