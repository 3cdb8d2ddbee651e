/**
 * End to end through the public app as src/app.ts builds it (real auth tokens, the audit log, the
 * signature store, planner and template engine): a template and a rule made through the admin API
 * queue a push by themselves; the tenant simulator starts with roaming signatures on, as Microsoft's
 * tenants do, so that push is blocked and says how to fix it; once roaming is off a push lands the
 * rendered HTML in the simulator's mailboxes (read back with Get-MailboxMessageConfiguration).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DirectorySync } from '../directory/directory-sync.js';
import type { ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { adminApp } from '../../test/support/admin-app.js';
import { startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import { BACKENDS, type TestStorage } from '../../test/support/storage.js';
import type { DeploymentRun, DeploymentStatus, MailboxOutcomePage, MailboxState } from './deployment.schemas.js';
import type { SignaturePlanner } from './model.js';

for (const backend of BACKENDS) {
  describe(`signature deployment admin API [${backend.name}]`, { skip: backend.skip }, () => {
    let t: TestTenant;
    let storage: TestStorage;
    let app: FastifyInstance;
    let planner: SignaturePlanner;
    let admin: Record<string, string>;
    let viewer: Record<string, string>;
    let mailboxes: string[];
    let templateId: number;
    let clock: ManualClock;

    const get = async <T>(url: string, headers = viewer) => {
      const res = await app.inject({ method: 'GET', url, headers });
      return { status: res.statusCode, body: res.json() as T };
    };
    const post = async <T>(url: string, headers = admin, payload: unknown = {}) => {
      const res = await app.inject({ method: 'POST', url, headers, payload: payload as Record<string, unknown> });
      return { status: res.statusCode, body: res.json() as T };
    };
    /** The run a save queued (the store tells the deployment after it answered): the first after `previous`. */
    const queuedAfter = async (previous: number) => {
      for (let i = 0; i < 100; i++) {
        const current = (await get<DeploymentStatus>('/api/signatures/deployment')).body.recent.find((r) => r.id > previous);
        if (current) return current;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no run queued after ${previous}`);
    };
    /** The background push finishing run `id` (or a later one). */
    const finished = async (id: number) => {
      for (let i = 0; i < 200; i++) {
        // The app runs on the test's manual clock: move it past the job's debounce.
        clock.advance(1_000);
        const run = (await get<DeploymentRun>(`/api/signatures/deployments/${id}`)).body;
        if (run.state === 'done' || run.state === 'blocked') return run;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`run ${id} did not finish: ${JSON.stringify((await get<DeploymentStatus>('/api/signatures/deployment')).body)}`);
    };

    before(async () => {
      t = await startTestTenant({ users: 12, seed: 21 });
      storage = await backend.open();
      assert.equal(await new DirectorySync(storage.db, t.graph, { now: () => new Date() }, createLogger('silent'), 'sync').runOnce(), true);
      const built = await adminApp(storage, { graph: t.graph, exchange: t.exchange });
      clock = built.ctx.clock as ManualClock;
      app = built.app;
      admin = built.as(built.admin);
      viewer = built.as(built.viewer);
      await app.ready();
      planner = app.signatures.planner;
      mailboxes = await planner.mailboxesInScope(null, 100);
    });
    after(async () => {
      await app.close();
      await storage.close();
      await t.stop();
    });

    it('a template and a rule queue a push by themselves; while roaming signatures are on it is blocked with the fix', async () => {
      const empty = await get<DeploymentStatus>('/api/signatures/deployment');
      assert.equal(empty.status, 200);
      assert.equal(empty.body.current, null);
      assert.equal(empty.body.roaming.enabled, null);

      const template = await post<{ id: number }>('/api/signatures/templates', admin, {
        name: 'Standard',
        source: '<p>{{ user.displayName }}</p>\n<p>{{ user.jobTitle }}</p>\n',
      });
      assert.equal(template.status, 201);
      templateId = template.body.id;
      const rule = await post('/api/signatures/rules', admin, {
        name: 'Everyone',
        enabled: true,
        kind: 'signature',
        templateId: template.body.id,
        defaults: 'both',
        conditions: {},
        exclusions: {},
        window: null,
      });
      assert.equal(rule.status, 201);
      const queued = await queuedAfter(0);
      assert.equal(queued.trigger, 'change');
      const run = await finished(queued.id);
      assert.equal((await get<DeploymentStatus>('/api/signatures/deployment')).body.recent.length, 1, 'the two saves queued one run');
      assert.equal(run.state, 'blocked');
      assert.deepEqual([run.blocked, run.set, run.total], [mailboxes.length, 0, mailboxes.length]);
      assert.equal(t.sim.control.stats().cmdlets['Set-MailboxMessageConfiguration'] ?? 0, 0, 'nothing pretended to set');

      const status = await get<DeploymentStatus>('/api/signatures/deployment');
      assert.equal(status.body.roaming.enabled, true);
      assert.equal(status.body.roaming.fix, 'Set-OrganizationConfig -PostponeRoamingSignaturesUntilLater $true');
      assert.match(status.body.current?.note ?? '', /PostponeRoamingSignaturesUntilLater \$true/);
      const blocked = await get<MailboxOutcomePage>('/api/signatures/mailboxes?result=blocked&limit=500');
      assert.equal(blocked.body.items.length, mailboxes.length);
      assert.ok(blocked.body.items.every((m) => !m.upToDate && m.reason?.includes('roaming signatures are on')));
    });

    it('once roaming is off, "deploy now" (admins only) sets every mailbox the rendered HTML', async () => {
      t.sim.control.setRoamingSignatures(false);
      assert.equal((await post('/api/signatures/deployments', viewer)).status, 403);
      const started = await post<DeploymentRun>('/api/signatures/deployments');
      assert.equal(started.status, 202);
      assert.equal(started.body.trigger, 'manual');
      const audited = await storage.db.selectFrom('auth_audit_log').select(['target']).where('action', '=', 'signatures.deploy').execute();
      assert.deepEqual(
        audited.map((a) => a.target),
        [String(started.body.id)],
      );
      const run = await finished(started.body.id);
      assert.deepEqual([run.state, run.set, run.failed], ['done', mailboxes.length, 0]);
      for (const mailbox of mailboxes) {
        const expected = await planner.expectedFor(mailbox);
        const user = [...t.sim.control.tenant.users.values()].find((u) => u.mail?.toLowerCase() === mailbox)!;
        const stored = await t.exchange.getWebSignature(mailbox);
        assert.equal(stored.html, expected?.signatures[0]?.rendered.webHtml);
        assert.ok(stored.html.includes(user.displayName), stored.html);
        assert.deepEqual([stored.autoAddSignature, stored.autoAddSignatureOnReply], [true, true]);
      }
    });

    it('lists a run’s failures with reasons and retries them; pages mailboxes', async () => {
      t.sim.control.setFaults({ failingNames: [mailboxes[2]!] });
      // A new template version: the store's change queues a full push.
      const previous = (await get<DeploymentStatus>('/api/signatures/deployment')).body.recent[0]!.id;
      const saved = await app.inject({
        method: 'PUT',
        url: `/api/signatures/templates/${templateId}`,
        headers: admin,
        payload: { source: '<p><b>{{ user.displayName }}</b></p>\n<p>{{ user.jobTitle }}</p>\n', baseVersion: 1 },
      });
      assert.equal(saved.statusCode, 200, saved.body);
      const run = await queuedAfter(previous);
      assert.equal(run.trigger, 'change');
      await finished(run.id);
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
      assert.equal((await finished(retry.body.id)).set, 1);
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
      assert.equal(state.body.expected?.signatures[0]?.name, 'Standard');
      assert.equal(state.body.expected?.signatures[0]?.templateVersion, 2);
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
