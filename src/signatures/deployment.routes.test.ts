/**
 * The deployment admin API through the public app (real auth tokens, audit log), over a real directory
 * sync, the production Exchange client and the tenant simulator, which starts with roaming signatures
 * on as Microsoft's tenants do.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { recordAudit, requireRole } from '../auth/auth.plugin.js';
import { DirectorySync } from '../directory/directory-sync.js';
import { createLogger } from '../lib/logger.js';
import { adminApp } from '../../test/support/admin-app.js';
import { DirectoryPlanner } from '../../test/support/signature-planner.js';
import { startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import { BACKENDS, type TestStorage } from '../../test/support/storage.js';
import { DeploymentState } from './deployment-state.js';
import { deploymentRoutes } from './deployment.routes.js';
import type { DeploymentRun, DeploymentStatus, MailboxOutcomePage, MailboxState } from './deployment.schemas.js';
import { SignatureDeployment } from './exchange-push.js';

for (const backend of BACKENDS) {
  describe(`signature deployment admin API [${backend.name}]`, { skip: backend.skip }, () => {
    let t: TestTenant;
    let storage: TestStorage;
    let app: FastifyInstance;
    let deployment: SignatureDeployment;
    let admin: Record<string, string>;
    let viewer: Record<string, string>;
    let mailboxes: string[];

    const get = async <T>(url: string, headers = viewer) => {
      const res = await app.inject({ method: 'GET', url, headers });
      return { status: res.statusCode, body: res.json() as T };
    };
    const post = async <T>(url: string, headers = admin, payload: unknown = {}) => {
      const res = await app.inject({ method: 'POST', url, headers, payload: payload as Record<string, unknown> });
      return { status: res.statusCode, body: res.json() as T };
    };

    before(async () => {
      t = await startTestTenant({ users: 12, seed: 21 });
      storage = await backend.open();
      const log = createLogger('silent');
      assert.equal(await new DirectorySync(storage.db, t.graph, { now: () => new Date() }, log, 'sync').runOnce(), true);
      const built = await adminApp(storage);
      app = built.app;
      admin = built.as(built.admin);
      viewer = built.as(built.viewer);
      const planner = new DirectoryPlanner(storage.db);
      mailboxes = await planner.mailboxesInScope(null, 100);
      deployment = new SignatureDeployment(storage.db, t.exchange, planner, built.ctx.clock, log, 'test', { pollMs: 3_600_000 });
      await app.register(deploymentRoutes, {
        deployment,
        state: new DeploymentState(storage.db, planner, built.ctx.clock),
        viewerGuard: requireRole('viewer'),
        adminGuard: requireRole('admin'),
        actorOf: (req) => req.principal?.subject ?? 'admin',
        audit: recordAudit,
      });
    });
    after(async () => {
      await deployment.stop();
      await app.close();
      await storage.close();
      await t.stop();
    });

    it('starts a push (admins only), and reports it blocked with the fix while roaming signatures are on', async () => {
      const empty = await get<DeploymentStatus>('/api/signatures/deployment');
      assert.equal(empty.status, 200);
      assert.equal(empty.body.current, null);
      assert.equal(empty.body.roaming.enabled, null);
      const refused = await post('/api/signatures/deployments', viewer);
      assert.equal(refused.status, 403, JSON.stringify(refused.body));

      const started = await post<DeploymentRun>('/api/signatures/deployments');
      assert.equal(started.status, 202);
      assert.equal(started.body.state, 'queued');
      assert.equal(started.body.trigger, 'manual');
      await deployment.job.runNow();

      const status = await get<DeploymentStatus>('/api/signatures/deployment');
      assert.equal(status.body.current?.id, started.body.id);
      assert.equal(status.body.current?.state, 'blocked');
      assert.equal(status.body.current?.blocked, mailboxes.length);
      assert.equal(status.body.current?.set, 0);
      assert.equal(status.body.roaming.enabled, true);
      assert.equal(status.body.roaming.fix, 'Set-OrganizationConfig -PostponeRoamingSignaturesUntilLater $true');
      const blocked = await get<MailboxOutcomePage>('/api/signatures/mailboxes?result=blocked&limit=500');
      assert.equal(blocked.body.items.length, mailboxes.length);
      assert.ok(blocked.body.items.every((m) => !m.upToDate && m.reason?.includes('roaming signatures are on')));
    });

    it('lists a run’s failures with reasons and retries them; pages mailboxes', async () => {
      t.sim.control.setRoamingSignatures(false);
      t.sim.control.setFaults({ failingNames: [mailboxes[2]!] });
      const run = (await post<DeploymentRun>('/api/signatures/deployments')).body;
      await deployment.job.runNow();
      t.sim.control.setFaults({ failingNames: [] });
      const done = await get<DeploymentRun>(`/api/signatures/deployments/${run.id}`);
      assert.deepEqual([done.body.state, done.body.set, done.body.failed, done.body.processed], ['done', mailboxes.length - 1, 1, mailboxes.length]);
      const failures = await get<MailboxOutcomePage>(`/api/signatures/deployments/${run.id}/failures`);
      assert.equal(failures.body.items.length, 1);
      assert.equal(failures.body.items[0]?.mailbox, mailboxes[2]);
      assert.match(failures.body.items[0]?.reason ?? '', /500 InternalServerError/);

      const retry = await post<DeploymentRun>(`/api/signatures/deployments/${run.id}/retry`);
      assert.equal(retry.status, 202);
      assert.deepEqual([retry.body.trigger, retry.body.scopeSize], ['retry', 1]);
      await deployment.job.runNow();
      assert.equal((await get<DeploymentRun>(`/api/signatures/deployments/${retry.body.id}`)).body.set, 1);
      const again = await post<{ code: string }>(`/api/signatures/deployments/${retry.body.id}/retry`);
      assert.deepEqual([again.status, again.body.code], [409, 'ONRAMP_ERR_NOTHING_TO_RETRY']);
      assert.equal((await get<{ code: string }>('/api/signatures/deployments/999999')).body.code, 'ONRAMP_ERR_DEPLOYMENT_NOT_FOUND');

      const first = await get<MailboxOutcomePage>('/api/signatures/mailboxes?limit=5');
      assert.equal(first.body.items.length, 5);
      assert.equal(first.body.nextAfter, mailboxes[4]);
      const second = await get<MailboxOutcomePage>(`/api/signatures/mailboxes?limit=500&after=${encodeURIComponent(first.body.nextAfter!)}`);
      assert.equal(second.body.items.length, mailboxes.length - 5);
      assert.equal(second.body.nextAfter, null);
      assert.ok([...first.body.items, ...second.body.items].every((m) => m.upToDate));
    });

    it("shows a mailbox's expected signatures against Exchange's copy and its devices' reported versions", async () => {
      const mailbox = mailboxes[0]!;
      const now = new Date().toISOString();
      await storage.db
        .insertInto('device_state')
        .values({
          hostname: 'pc-17',
          upn: mailbox,
          operating_system: 'Windows 11',
          device_model: 'T14',
          beacon_launch_time: null,
          last_use_time: null,
          system_boot_time: null,
          last_logon_time: null,
          background_version: '',
          lock_screen_version: '',
          new_signature_version: 'v-new-3',
          reply_signature_version: 'v-reply-3',
          web_signature_version: 'v-web-3',
          screensaver_version: '',
          teams_background_version: '',
          pending_reboot: 0,
          compliant: 1,
          location: null,
          first_seen_at: now,
          last_seen_at: now,
        })
        .execute();
      const state = await get<MailboxState>(`/api/signatures/mailboxes/${encodeURIComponent(mailbox.toUpperCase())}/state`);
      assert.equal(state.status, 200);
      assert.equal(state.body.mailbox, mailbox);
      assert.equal(state.body.expected?.signatures[0]?.name, 'Contoso');
      assert.deepEqual(state.body.expected?.signatures[0]?.defaultFor, ['new', 'reply']);
      assert.equal(state.body.exchange?.result, 'set');
      assert.equal(state.body.exchange?.upToDate, true);
      assert.deepEqual(state.body.devices, [
        { hostname: 'pc-17', newSignatureVersion: 'v-new-3', replySignatureVersion: 'v-reply-3', webSignatureVersion: 'v-web-3', lastSeenAt: now },
      ]);
      assert.equal(state.body.roaming.enabled, false);
      assert.equal((await get<{ code: string }>('/api/signatures/mailboxes/nobody@nowhere.example/state')).body.code, 'ONRAMP_ERR_NO_SIGNATURES');
      assert.equal((await get('/api/signatures/mailboxes/not-an-address/state')).status, 400);
    });
  });
}
