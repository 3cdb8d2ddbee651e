/**
 * Scenario 9: the server-side push of web signatures to Exchange Online (issue 18). One template and
 * a rule for everyone, through the signature store; every mailbox in scope of the bench tenant (10,000
 * in a full run) is planned and rendered by the store's planner with the template engine and pushed by
 * onramp's deployment job, in this process, through the production Exchange client, to the simulator
 * answering InvokeCommand after
 * 30 ms and allowing 9 calls in flight per tenant (Exchange's PowerShellMaxTenantConcurrency; more get
 * 429). The baseline is the run's own floor: calls × latency ÷ the concurrency onramp uses. Then one
 * user's directory change: how many mailboxes are re-rendered and re-pushed (target: that one).
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { openSqlite } from '../../src/db/dialect.js';
import { migrateToLatest } from '../../src/db/migrations/index.js';
import { DirectorySync } from '../../src/directory/directory-sync.js';
import { graphConfig } from '../../src/graph/graph.config.js';
import { createGraphClients, type GraphConfig } from '../../src/graph/graph-client.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { pointAtSimulator } from '../../src/demo.js';
import { SignatureDeployment } from '../../src/signatures/exchange-push.js';
import { DirectoryFacts } from '../../src/directory/directory-facts.js';
import type { SignaturePlanner } from '../../src/signatures/model.js';
import { StoredSignaturePlanner } from '../../src/signatures/planner.js';
import { signaturesConfig } from '../../src/signatures/signatures.config.js';
import { SignatureStore } from '../../src/signatures/store.js';
import { liquidSignatureEngine } from '../../src/signatures/template-engine.js';
import { figure, type Figure } from '../harness.js';
import type { ScenarioContext } from './context.js';

const LATENCY_MS = 30;
const TENANT_CONCURRENCY = 9;

export async function signaturePushScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const { sim } = ctx.tenant;
  const log = createLogger('warn');
  const storage = openSqlite(mkdtempSync(join(ctx.workDir, 'push-')), 'onramp.sqlite', log);
  const config: GraphConfig = { ...pointAtSimulator(Value.Default(graphConfig, {}) as GraphConfig, sim), maxRetryMs: 60_000 };
  const clients = createGraphClients(config, { caPem: sim.caPem });
  const before = sim.control.faults();
  try {
    await migrateToLatest(storage);
    const cfg = Value.Default(signaturesConfig, {}) as {
      maxBytes: number;
      maxNestingDepth: number;
      maxElements: number;
      timeZone: string;
      maxAssetBytes: number;
      deploymentConcurrency: number;
    };
    const directory = new DirectoryFacts(storage.db);
    const engine = liquidSignatureEngine({ maxBytes: cfg.maxBytes, maxNestingDepth: cfg.maxNestingDepth, maxElements: cfg.maxElements });
    const store = new SignatureStore({ db: storage.db, engine, clock: systemClock, maxAssetBytes: cfg.maxAssetBytes });
    const stored = new StoredSignaturePlanner({
      db: storage.db,
      store,
      engine,
      directory,
      clock: systemClock,
      timeZone: cfg.timeZone,
    });
    // Counts the mailboxes planned (each is rendered), to show who a directory change re-renders.
    const rendered = new Set<string>();
    const planner: SignaturePlanner = {
      mailboxesInScope: (after, limit) => stored.mailboxesInScope(after, limit),
      expectedFor: (mailbox, at) => {
        rendered.add(mailbox);
        return stored.expectedFor(mailbox, at);
      },
    };
    const template = await store.createTemplate(
      { name: 'Contoso', source: '<p><b>{{ user.displayName }}</b></p>\n<p>{{ user.jobTitle }} · {{ user.department }}</p>\n<p>{{ user.mail }}</p>\n' },
      'bench',
    );
    await store.createRule(
      { name: 'Everyone', enabled: true, kind: 'signature', templateId: template.id, defaults: 'both', conditions: {}, exclusions: {}, window: null },
      'bench',
    );
    let deployment: SignatureDeployment | undefined;
    const sync = new DirectorySync(storage.db, clients.graph, systemClock, log, 'bench', {
      onChanged: async (changes) => deployment?.directoryChanged(changes),
    });
    await sync.runOnce();
    const mailboxes = (await planner.mailboxesInScope(null, 1_000_000)).length;
    const concurrency = config.exchangeMaxConcurrency;
    deployment = new SignatureDeployment(storage.db, clients.exchange, planner, systemClock, log, 'bench', {
      concurrency: cfg.deploymentConcurrency,
      pageSize: 200,
      pollMs: 3_600_000,
      reportsOf: (ids) => directory.mailboxesReportingTo(ids),
    });

    sim.control.setRoamingSignatures(false);
    sim.control.setFaults({ exchangeLatencyMs: LATENCY_MS, exchangeMaxConcurrency: TENANT_CONCURRENCY });
    sim.control.resetStats();
    await deployment.request({ trigger: 'manual' });
    const started = performance.now();
    const summary = await deployment.job.runNow();
    const seconds = (performance.now() - started) / 1000;
    const stats = sim.control.stats();
    const sets = stats.cmdlets['Set-MailboxMessageConfiguration'] ?? 0;
    if (summary?.state !== 'done' || summary.set !== mailboxes || summary.failed !== 0 || sets !== mailboxes)
      throw new Error(`push of ${mailboxes} mailboxes ended ${JSON.stringify(summary)} with ${sets} Set-MailboxMessageConfiguration calls`);
    const floor = (mailboxes * LATENCY_MS) / 1000 / Math.min(concurrency, TENANT_CONCURRENCY);

    // One user (who manages nobody: a manager's reports are re-rendered with them) changes in the
    // directory: the delta round tells the deployment, which re-renders and re-pushes that user only.
    const users = [...sim.control.tenant.users.values()];
    const managers = new Set(users.map((u) => u.managerId));
    const changed = users.find((u) => u.accountEnabled && u.mail && u.userType === 'Member' && !managers.has(u.id))!;
    sim.control.updateUser(changed.id, { displayName: `${changed.displayName} Jr.` });
    sim.control.resetStats();
    rendered.clear();
    await sync.runOnce();
    const after = await deployment.job.runNow();
    const rePushed = sim.control.stats().cmdlets['Set-MailboxMessageConfiguration'] ?? 0;
    const reRendered = rendered.size;
    if (after?.set !== 1) throw new Error(`after one user's directory change the run set ${after?.set} mailboxes`);

    const scale = `${mailboxes.toLocaleString('en-US')} mailboxes, Exchange ${LATENCY_MS} ms per call, ${concurrency} in flight (tenant allows ${TENANT_CONCURRENCY})`;
    return [
      figure(
        '9 signature push',
        `full push of ${scale}`,
        's',
        [seconds],
        { op: '<=', value: 60 },
        { name: 'floor: calls × latency ÷ concurrency', value: floor },
        `${stats.exchangeThrottled} calls answered 429`,
      ),
      figure('9 signature push', `mailboxes per second (${mailboxes.toLocaleString('en-US')})`, 'mailboxes/s', [mailboxes / seconds], null, null),
      figure('9 signature push', "one user's directory change: mailboxes re-rendered", 'mailboxes', [reRendered], { op: '<=', value: 1 }, null),
      figure('9 signature push', "one user's directory change: mailboxes re-pushed", 'mailboxes', [rePushed], { op: '<=', value: 1 }, null),
    ];
  } finally {
    sim.control.setFaults(before);
    await clients.close();
    await storage.close();
  }
}
