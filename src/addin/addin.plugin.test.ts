/** The add-in wired into the public app: on only when configured, validating against the configured tenant, served by the store's planner. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPublicApp } from '../app.js';
import type { OnrampContext } from '../context.js';
import { loadConfig } from '../onramp-config.js';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { startSimulator, type RunningSimulator } from '../simulator/index.js';
import { sqliteBackend, type TestStorage } from '../../test/support/storage.js';

const API_CLIENT_ID = '0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e';

describe('the add-in in the public app', () => {
  let sim: RunningSimulator;
  let storage: TestStorage;
  let dir: string;

  const appWith = async (env: Record<string, string>) => {
    const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json', ...env } });
    const ctx: OnrampContext = { config, storage, log: createLogger('silent'), clock: systemClock, demo: false, instanceId: 'test' };
    return buildPublicApp(ctx);
  };

  before(async () => {
    sim = await startSimulator({ users: 3, seed: 22 });
    storage = await sqliteBackend.open();
    dir = mkdtempSync(join(tmpdir(), 'onramp-addin-'));
    writeFileSync(join(dir, 'ca.pem'), sim.caPem);
  });
  after(async () => {
    await storage?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is off without addin.apiClientId', async () => {
    const app = await appWith({});
    try {
      assert.equal((await app.inject({ url: '/api/addin/signatures' })).statusCode, 404);
      assert.equal((await app.inject({ url: '/addin/manifest.xml' })).statusCode, 404);
    } finally {
      await app.close();
    }
  });

  it("checks tokens against graph.tenantId's keys and answers from the store's planner", async () => {
    const user = [...sim.control.tenant.users.values()].find((u) => u.userType === 'Member' && u.accountEnabled && u.mail)!;
    await storage.db
      .insertInto('directory_user')
      .values({
        id: user.id,
        upn_lower: user.userPrincipalName.toLowerCase(),
        account_enabled: 1,
        profile: JSON.stringify({ ...user, businessPhones: [], interests: [] }),
        synced_at: new Date().toISOString(),
      })
      .execute();
    const app = await appWith({
      ONRAMP_ADDIN_API_CLIENT_ID: API_CLIENT_ID,
      ONRAMP_GRAPH_TENANT_ID: sim.domain,
      ONRAMP_GRAPH_AUTHORITY_HOST: sim.authorityHost,
      ONRAMP_GRAPH_CA_FILE: join(dir, 'ca.pem'),
      ONRAMP_PUBLIC_URL: 'https://onramp.contoso.example',
    });
    try {
      const token = await sim.control.issueUserToken({ user: user.userPrincipalName, audience: API_CLIENT_ID, scope: 'Signatures.Read' });
      const res = await app.inject({ url: '/api/addin/signatures?compose=new', headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.statusCode, 200, res.body);
      // No templates or rules yet: the mailbox is the user's, with nothing to insert.
      assert.deepEqual([res.json().mailbox, res.json().signature, res.json().alternatives], [user.mail!.toLowerCase(), null, []]);
      const unauthenticated = await app.inject({ url: '/api/addin/signatures' });
      assert.equal(unauthenticated.statusCode, 401);
      assert.equal(unauthenticated.headers['www-authenticate'], 'Bearer');
      const manifest = await app.inject({ url: '/addin/manifest.xml' });
      assert.match(manifest.body, /<AppDomain>https:\/\/onramp\.contoso\.example<\/AppDomain>/);
      assert.match(manifest.body, new RegExp(`<Id>${API_CLIENT_ID}</Id>`));
    } finally {
      await app.close();
    }
  });
});
