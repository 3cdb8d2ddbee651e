import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { runCli } from '../../test/support/process.js';
import { createRootCa, issueClientCertificate } from '../pki/pki.js';

describe('onramp sim', () => {
  it('serves a generated tenant over HTTPS and prints the settings to reach it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'onramp-sim-'));
    const appCert = await issueClientCertificate(await createRootCa('app credential CA'), { commonName: 'onramp-app', extendedKeyUsages: [] });
    writeFileSync(join(dataDir, 'app.pem'), appCert.certPem);
    const cli = runCli(['sim', '--users', '30', '--throttle', '50', '--client-certificate', join(dataDir, 'app.pem')], {
      ONRAMP_DATA_DIR: dataDir,
      ONRAMP_CONFIG_FILE: join(dataDir, 'none.json'),
    });
    try {
      const [, url] = await cli.waitFor(/listening on (https:\/\/\S+)/, 60_000);
      await cli.waitFor(/ONRAMP_GRAPH_TENANT_ID=([0-9a-f-]{36})/);
      await cli.waitFor(/Certificate credentials: .*\(1 registered\)/);
      const tenant = cli.output().match(/ONRAMP_GRAPH_TENANT_ID=([0-9a-f-]{36})/)![1]!;
      const agent = new Agent({ connect: { ca: readFileSync(join(dataDir, 'simulator', 'ca.pem'), 'utf8') } });
      const res = await request(`${url}/${tenant}/v2.0/.well-known/openid-configuration`, { dispatcher: agent });
      const body = (await res.body.json()) as { issuer: string };
      assert.equal(res.statusCode, 200);
      assert.equal(body.issuer, `${url}/${tenant}/v2.0`);
      const stats = await request(`${url}/_sim/tenant`, { dispatcher: agent });
      assert.equal(((await stats.body.json()) as { users: number }).users, 31);
      await agent.close();
      const bad = runCli(['sim', '--users', 'lots'], { ONRAMP_DATA_DIR: dataDir });
      const exit = await bad.exited;
      assert.notEqual(exit.code, 0);
      assert.match(bad.output(), /--users must be an integer/);
      const missingCert = runCli(['sim', '--client-certificate', join(dataDir, 'nope.pem')], { ONRAMP_DATA_DIR: dataDir });
      assert.notEqual((await missingCert.exited).code, 0);
      assert.match(missingCert.output(), /--client-certificate: cannot read .*nope\.pem: ENOENT/);
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
