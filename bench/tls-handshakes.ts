/**
 * Server CPU per new device connection, full TLS handshake vs resumed session (issue 16, finding 1),
 * TLS 1.2 and 1.3, client certificates as devices present them. Loopback; the clients run in a child
 * process so only the server's work is counted. `node --import tsx bench/tls-handshakes.ts [connections]`
 * (default 2,000; the figure per connection times 10,000 is the cost of 10,000 agents reconnecting).
 * Not part of `npm run bench`: it informs a design decision (docs/SECURITY.md), it is not a target.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { issueClientCertificate } from '../src/pki/pki.js';
import { startDeviceListener } from '../test/security/device-listener.js';

const listener = await startDeviceListener({ ONRAMP_DEVICE_IP_BURST: '1000000', ONRAMP_DEVICE_IP_RATE: '100000' });
const { port, root, issuing } = listener;
const clientKey = process.env.KEY === 'rsa' ? 'rsa' : 'ec';
const alice = await issueClientCertificate(issuing, { upn: 'alice@contoso.com', keyType: clientKey });
// The clients run in a child process, which reads its certificate from files.
const dir = mkdtempSync(join(tmpdir(), 'onramp-handshakes-'));
writeFileSync(join(dir, 'ca.pem'), root.certPem);
writeFileSync(join(dir, 'cc.pem'), alice.certPem + issuing.certPem);
writeFileSync(join(dir, 'ck.pem'), alice.keyPem);
const clientJs = `
const https = require('node:https'); const fs = require('node:fs');
const [port, n, mode, version, conc] = process.argv.slice(1); const dir = ${JSON.stringify(dir)};
const opts = { ca: fs.readFileSync(dir+'/ca.pem'), cert: fs.readFileSync(dir+'/cc.pem'), key: fs.readFileSync(dir+'/ck.pem'), servername: 'localhost' };
// one agent per simulated device; 'full': no session cache
const call = (agent) => new Promise((res, rej) => { const r = https.request({ host: '127.0.0.1', port: +port, path: '/healthz', method: 'GET', agent, headers: { connection: 'close' }, ...opts }, (s) => { s.resume(); s.on('end', () => res(s.socket.isSessionReused())); }); r.on('error', rej); r.end(); });
(async () => {
  const agent = new https.Agent({ keepAlive: false, maxCachedSessions: mode === 'full' ? 0 : 100, minVersion: version, maxVersion: version });
  await call(agent);
  let reused = 0; let i = 0; const t0 = Date.now();
  await Promise.all(Array.from({ length: +conc }, async () => { while (i++ < +n) if (await call(agent)) reused++; }));
  console.log(JSON.stringify({ ms: Date.now() - t0, reused }));
})();`;
const N = Number(process.argv[2] ?? 2000);
for (const version of ['TLSv1.2', 'TLSv1.3'])
  for (const mode of ['full', 'resumed']) {
    const cpu0 = process.cpuUsage();
    const out = await new Promise<string>((res) => {
      let s = '';
      const c = spawn(process.execPath, ['-e', clientJs, String(port), String(N), mode, version, '8']);
      c.stdout.on('data', (d) => (s += d));
      c.stderr.pipe(process.stderr);
      c.on('close', () => res(s));
    });
    const cpu = process.cpuUsage(cpu0);
    const r = JSON.parse(out);
    const perConnection = (cpu.user + cpu.system) / 1000 / N;
    console.log(
      `${version} ${mode}: ${perConnection.toFixed(3)} ms server CPU per connection (${N} connections, ${r.reused} resumed, client key ${clientKey}); 10,000 agents: ${((perConnection * 10_000) / 1000).toFixed(1)} s`,
    );
  }
await listener.close();
rmSync(dir, { recursive: true, force: true });
