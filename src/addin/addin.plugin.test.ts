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
import { AuthService } from '../auth/auth.service.js';
import { sqliteBackend, type TestStorage } from '../../test/support/storage.js';
import { upsertAddinStates } from './addin.queries.js';

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
  /** A viewer's API token (the setup route is for the portal's viewers and admins). */
  const viewer = async (app: Awaited<ReturnType<typeof appWith>>) => {
    const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json' } });
    const token = (await new AuthService(storage.db, config.auth, systemClock).createApiToken(`board-${Math.random()}`, 'viewer', 'test')).token;
    return (url: string) => app.inject({ url, headers: { authorization: `Bearer ${token}` } });
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
      // The portal's screen still says what is missing.
      assert.equal((await app.inject({ url: '/api/addin/setup' })).statusCode, 401);
      const setup = (await (await viewer(app))('/api/addin/setup')).json();
      assert.deepEqual([setup.enabled, setup.missing, setup.https, setup.registration], [false, ['addin.apiClientId', 'graph.tenantId'], false, null]);
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

      await upsertAddinStates(storage.db, [
        {
          mailbox: 'a@x',
          platform: 'pc',
          compose: 'new',
          outcome: 'inserted',
          version: null,
          reason: null,
          host_version: null,
          reported_by: 'a@x',
          reported_at: '2026-12-01T10:00:00.000Z',
        },
        {
          mailbox: 'a@x',
          platform: 'pc',
          compose: 'reply',
          outcome: 'failed',
          version: null,
          reason: 'x',
          host_version: null,
          reported_by: 'a@x',
          reported_at: '2026-12-02T10:00:00.000Z',
        },
        {
          mailbox: 'b@x',
          platform: 'pc',
          compose: 'new',
          outcome: 'inserted',
          version: null,
          reason: null,
          host_version: null,
          reported_by: 'b@x',
          reported_at: '2026-12-01T09:00:00.000Z',
        },
        {
          mailbox: 'b@x',
          platform: 'mac',
          compose: 'new',
          outcome: 'none',
          version: null,
          reason: null,
          host_version: null,
          reported_by: 'b@x',
          reported_at: '2026-12-01T08:00:00.000Z',
        },
      ]);
      const setup = (await (await viewer(app))('/api/addin/setup')).json();
      assert.deepEqual([setup.enabled, setup.missing, setup.https, setup.manifestUrl], [true, [], true, 'https://onramp.contoso.example/addin/manifest.xml']);
      assert.deepEqual(setup.registration, {
        clientId: API_CLIENT_ID,
        appIdUri: `api://${API_CLIENT_ID}`,
        scope: `api://${API_CLIENT_ID}/Signatures.Read`,
        naaRedirectUri: 'brk-multihub://onramp.contoso.example',
        taskpaneRedirectUri: 'https://onramp.contoso.example/addin/taskpane.html',
      });
      assert.deepEqual(setup.reports, [
        { platform: 'mac', inserted: 0, none: 1, failed: 0, lastReportedAt: '2026-12-01T08:00:00.000Z' },
        { platform: 'pc', inserted: 2, none: 0, failed: 1, lastReportedAt: '2026-12-02T10:00:00.000Z' },
      ]);
    } finally {
      await app.close();
    }
  });
});
