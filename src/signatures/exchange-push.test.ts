/**
 * The Exchange push end to end: a real directory sync into a real database (both engines), a planner
 * over it, the production Exchange client, and the tenant simulator holding the mailboxes.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DirectoryFacts } from '../directory/directory-facts.js';
import { DirectorySync } from '../directory/directory-sync.js';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { BACKENDS, type TestStorage } from '../../test/support/storage.js';
import { startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import { DirectoryPlanner } from '../../test/support/signature-planner.js';
import { ROAMING_FIX } from './deployment.schemas.js';
import { getRun, listMailboxRows, recentRuns, updateRun } from './deployment.queries.js';
import { SignatureDeployment, type DeploymentOptions } from './exchange-push.js';
import type { SignaturePlanner } from './model.js';

const log = createLogger('silent');

for (const backend of BACKENDS) {
  describe(`signature push to Exchange [${backend.name}]`, { skip: backend.skip }, () => {
    let t: TestTenant;
    let storage: TestStorage;
    let planner: DirectoryPlanner;
    let sync: DirectorySync;
    const deployments: SignatureDeployment[] = [];
    /** The instance the directory sync tells of changes, as src/main.ts wires one per process. */
    let listening: SignatureDeployment | undefined;

    const deployment = (options: Partial<DeploymentOptions> = {}, holder = 'instance-a', using: SignaturePlanner = planner) => {
      const d = new SignatureDeployment(storage.db, t.exchange, using, systemClock, log, holder, {
        pageSize: 5,
        concurrency: 4,
        pollMs: 3_600_000,
        ...options,
      });
      deployments.push(d);
      return d;
    };
    const sets = () => t.sim.control.stats().cmdlets['Set-MailboxMessageConfiguration'] ?? 0;
    const mailboxes = () => planner.mailboxesInScope(null, 1000);

    before(async () => {
      t = await startTestTenant({ users: 24, seed: 9, roamingSignatures: false });
      storage = await backend.open();
      planner = new DirectoryPlanner(storage.db);
      sync = new DirectorySync(storage.db, t.graph, systemClock, log, 'sync', {
        onChanged: async (changes) => listening?.directoryChanged(changes),
      });
      assert.equal(await sync.runOnce(), true);
    });
    after(async () => {
      for (const d of deployments) await d.stop();
      await storage.close();
      await t.stop();
    });

    it('pushes every mailbox its rendered web signature, then sends nothing while nothing changed', async () => {
      t.sim.control.resetStats();
      const d = deployment();
      const first = await d.request({ trigger: 'manual', by: 'admin' });
      const summary = await d.job.runNow();
      const all = await mailboxes();
      assert.ok(all.length >= 15);
      assert.deepEqual(summary, { runId: first.id, state: 'done', set: all.length, unchanged: 0, failed: 0, blocked: 0 });
      assert.equal(sets(), all.length);
      const user = [...t.sim.control.tenant.users.values()].find((u) => u.mail?.toLowerCase() === all[0])!;
      const stored = await t.exchange.getWebSignature(all[0]!);
      assert.equal(stored.html, `<p>${user.displayName}</p><p>${user.jobTitle ?? ''} · ${user.department ?? ''}</p>`);
      assert.equal(stored.autoAddSignature, true);
      assert.equal(stored.autoAddSignatureOnReply, true);
      const run = await getRun(storage.db, first.id);
      assert.equal(run?.state, 'done');
      assert.equal(run?.processed, all.length);
      assert.equal(run?.total, all.length);
      assert.equal(run?.roaming_enabled, 0);

      await d.request({ trigger: 'schedule' });
      const again = await d.job.runNow();
      assert.equal(again?.unchanged, all.length);
      assert.equal(again?.set, 0);
      assert.equal(sets(), all.length, 'unchanged content costs no Exchange call');
    });

    it('while roaming signatures are on, pushes nothing and reports every mailbox blocked with the fix', async () => {
      t.sim.control.setRoamingSignatures(true);
      t.sim.control.resetStats();
      planner.templateVersion = 2;
      planner.template = '<p>{{displayName}} (v2)</p>';
      try {
        const d = deployment();
        const run = await d.request({ trigger: 'change' });
        const summary = await d.job.runNow();
        const all = await mailboxes();
        assert.deepEqual(summary, { runId: run.id, state: 'blocked', set: 0, unchanged: 0, failed: 0, blocked: all.length });
        assert.equal(sets(), 0, 'no call that would claim success');
        const rows = await listMailboxRows(storage.db, { after: null, limit: 1000, runId: run.id });
        assert.equal(rows.length, all.length);
        assert.ok(rows.every((r) => r.result === 'blocked' && r.reason?.includes(ROAMING_FIX)));
        const stored = await getRun(storage.db, run.id);
        assert.equal(stored?.state, 'blocked');
        assert.equal(stored?.roaming_enabled, 1);
        assert.match(stored?.note ?? '', /PostponeRoamingSignaturesUntilLater \$true/);
      } finally {
        t.sim.control.setRoamingSignatures(false);
      }
      // Once roaming is off, the next run pushes what was blocked.
      const d = deployment();
      await d.request({ trigger: 'manual' });
      const summary = await d.job.runNow();
      assert.equal(summary?.set, (await mailboxes()).length);
    });

    it('is throttled by Exchange (429 with Retry-After), retries, and finishes with every mailbox set', async () => {
      planner.templateVersion = 3;
      planner.template = '<p>{{displayName}} (v3)</p>';
      t.sim.control.setFaults({ exchangeMaxConcurrency: 2, exchangeLatencyMs: 20 });
      t.sim.control.resetStats();
      const eager = t.clients({ exchangeMaxConcurrency: 8, maxRetryMs: 30_000 });
      try {
        const d = new SignatureDeployment(storage.db, eager.exchange, planner, systemClock, log, 'instance-a', {
          pageSize: 12,
          concurrency: 8,
          pollMs: 3_600_000,
        });
        deployments.push(d);
        await d.request({ trigger: 'change' });
        const summary = await d.job.runNow();
        const all = await mailboxes();
        assert.equal(summary?.set, all.length);
        assert.equal(summary?.failed, 0);
        assert.ok(t.sim.control.stats().exchangeThrottled > 0, 'Exchange throttled the run');
        assert.equal(sets(), all.length, 'each mailbox set once: throttled calls were not carried out');
        assert.equal((await t.exchange.getWebSignature(all.at(-1)!)).html.endsWith('(v3)</p>'), true);
      } finally {
        t.sim.control.setFaults({ exchangeMaxConcurrency: 0, exchangeLatencyMs: 0 });
      }
    });

    it('resumes an interrupted run on another instance from its cursor and sets no mailbox twice', async () => {
      planner.templateVersion = 4;
      planner.template = '<p>{{displayName}} (v4)</p>';
      t.sim.control.resetStats();
      // Instance A stops after its second page of five...
      let planned = 0;
      let a: SignatureDeployment | undefined;
      const stopping: SignaturePlanner = {
        mailboxesInScope: (after, limit) => planner.mailboxesInScope(after, limit),
        expectedFor: (mailbox) => {
          if (++planned === 7) void a!.stop();
          return planner.expectedFor(mailbox);
        },
      };
      a = deployment({}, 'instance-a', stopping);
      const run = await a.request({ trigger: 'change' });
      const partial = await a.job.runNow();
      assert.equal(partial?.state, 'stopped');
      assert.equal(sets(), 10);
      // ...and its last progress write is lost, as when the process dies between a page's pushes and its
      // cursor (the cursor and the counts are written together).
      const firstPage = (await mailboxes()).slice(0, 5);
      await updateRun(storage.db, run.id, { cursor: firstPage.at(-1)!, processed: 5, set_count: 5 });

      const b = deployment({}, 'instance-b');
      const rest = await b.job.runNow();
      const all = await mailboxes();
      assert.equal(rest?.runId, run.id);
      assert.equal(rest?.state, 'done');
      assert.equal(sets(), all.length, 'every mailbox set exactly once across both instances');
      assert.equal(rest!.set, all.length, 'mailboxes set before the interruption still count as set by this run');
      for (const mailbox of all) assert.ok((await t.exchange.getWebSignature(mailbox)).html.endsWith('(v4)</p>'));
    });

    it('re-renders and re-pushes only the user whose directory entry changed', async () => {
      const d = deployment();
      listening = d;
      d.start();
      const all = await mailboxes();
      const changed = [...t.sim.control.tenant.users.values()].find((u) => u.mail?.toLowerCase() === all[3])!;
      t.sim.control.resetStats();
      planner.rendered.clear();
      t.sim.control.updateUser(changed.id, { displayName: 'Åsa Signatür' });
      planner.refresh();
      await sync.runOnce();
      // The sync's hook queued a run and woke the started job; it runs without being asked.
      let run = (await recentRuns(storage.db, 1))[0];
      for (let i = 0; i < 100 && run?.state !== 'done'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        run = (await recentRuns(storage.db, 1))[0];
      }
      assert.equal(run?.trigger, 'directory');
      assert.equal(run?.state, 'done');
      assert.deepEqual([run?.total, run?.set_count, run?.unchanged_count], [1, 1, 0]);
      assert.deepEqual([...planner.rendered.keys()], [all[3]]);
      assert.equal(sets(), 1);
      assert.equal((await t.exchange.getWebSignature(all[3]!)).html, '<p>Åsa Signatür (v4)</p>');
    });

    it("re-renders a manager's direct reports with the manager (their signatures may show them), re-pushing only what changed", async () => {
      const directory = new DirectoryFacts(storage.db);
      const d = deployment({ reportsOf: (ids) => directory.mailboxesReportingTo(ids) });
      listening = d;
      const all = new Set(await mailboxes());
      const users = [...t.sim.control.tenant.users.values()];
      const manager = users.find(
        (m) => m.mail && all.has(m.mail.toLowerCase()) && users.some((u) => u.managerId === m.id && u.mail && all.has(u.mail.toLowerCase())),
      )!;
      const reports = users.filter((u) => u.managerId === manager.id && u.mail && all.has(u.mail.toLowerCase())).map((u) => u.mail!.toLowerCase());
      t.sim.control.resetStats();
      planner.rendered.clear();
      planner.refresh();
      t.sim.control.updateUser(manager.id, { displayName: `${manager.displayName} Sr.` });
      await sync.runOnce();
      const summary = await d.job.runNow();
      assert.deepEqual([...planner.rendered.keys()].sort(), [manager.mail!.toLowerCase(), ...reports].sort());
      assert.equal(summary?.set, 1, "only the manager's own signature changed");
      assert.equal(summary?.unchanged, reports.length);
      assert.equal(sets(), 1);
    });

    it('records a failing mailbox with its reason and sets it on "retry failed"; a different reply default is reported', async () => {
      planner.templateVersion = 5;
      planner.template = '<p>{{displayName}} (v5)</p>';
      planner.replyTemplate = '<p>{{givenName}}</p>';
      const all = await mailboxes();
      t.sim.control.setFaults({ failingNames: [all[1]!] });
      const d = deployment();
      let runId: number;
      try {
        runId = (await d.request({ trigger: 'change' })).id;
        const summary = await d.job.runNow();
        assert.equal(summary?.failed, 1);
        assert.equal(summary?.set, all.length - 1);
      } finally {
        t.sim.control.setFaults({ failingNames: [] });
      }
      const [failure] = await listMailboxRows(storage.db, { after: null, limit: 10, runId, result: 'failed' });
      assert.equal(failure?.mailbox, all[1]);
      assert.match(failure?.reason ?? '', /500/);
      const [pushed] = await listMailboxRows(storage.db, { after: all[1]!, limit: 1, runId });
      assert.equal(pushed?.reply_differs, 1);
      assert.match(pushed?.reason ?? '', /reply default differs/);

      const retry = await d.retryFailed(runId, 'admin');
      assert.equal(retry?.trigger, 'retry');
      const summary = await d.job.runNow();
      assert.deepEqual([summary?.set, summary?.failed], [1, 0]);
      assert.equal((await t.exchange.getWebSignature(all[1]!)).html.endsWith('(v5)</p>'), true);
      assert.equal(await d.retryFailed(summary!.runId, 'admin'), null);
      planner.replyTemplate = null;
    });
  });
}
