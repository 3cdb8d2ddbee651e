/**
 * Deploys the expected web signature of every mailbox in scope to Exchange Online
 * (Set-MailboxMessageConfiguration), as recorded runs:
 *
 * - a run is asked for by a template/rule change, a directory change (only the users that changed),
 *   the schedule, or an admin (all, some mailboxes, or a run's failures again); requests made while a
 *   run waits join it;
 * - one instance works at a time (lease); the run keeps a cursor (the last mailbox of the last finished
 *   page, in mailbox order) and each mailbox's outcome is written as soon as Exchange answers, so a run
 *   that dies is resumed from its cursor by whichever instance takes the lease, and a mailbox already
 *   set is recognised by its payload hash and not sent again;
 * - deduplicated by content: a mailbox whose Exchange copy already has this payload gets no call;
 * - Exchange's limits are the transport's (ExchangePort: concurrency limit, 429 Retry-After, backoff);
 *   a mailbox that still fails is recorded with the reason and can be retried;
 * - before pushing, the run asks Exchange whether roaming signatures are on. While they are,
 *   Set-MailboxMessageConfiguration succeeds and does nothing, so nothing is pushed and every mailbox
 *   is reported blocked, with the command that turns roaming off.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { everyMs, RecurringJob, type JobBoard } from '../db/recurring-job.js';
import type { DirectoryProfile, ExchangePort, WebSignature } from '../graph/graph-port.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { ROAMING_FIX, type DeploymentTrigger, type MailboxResult } from './deployment.schemas.js';
import * as q from './deployment.queries.js';
import type { ExpectedMailboxSignatures, SignaturePlanner } from './model.js';

export interface DeploymentOptions {
  /** Mailboxes planned and pushed at once (Exchange's own concurrency is the port's limit). */
  concurrency: number;
  /** Mailboxes per page: the cursor advances page by page. */
  pageSize: number;
  /** A full run this often; null/0: only on request. */
  intervalMs: number | null;
  /** How often an idle instance looks for runs other instances queued. */
  pollMs: number;
  /** The mailboxes of the users these people manage: a manager's change re-renders their reports too. */
  reportsOf?: (managerIds: readonly string[]) => Promise<string[]>;
  leaseMs: number;
}

export const DEFAULT_DEPLOYMENT_OPTIONS: DeploymentOptions = { concurrency: 16, pageSize: 200, intervalMs: null, pollMs: 30_000, leaseMs: 120_000 };

export const ROAMING_REASON = `roaming signatures are on for the tenant: Exchange ignores web signatures set by an admin; run ${ROAMING_FIX}`;

/** What a run did, for the job's caller (tests, CLI). */
export interface RunSummary {
  runId: number;
  state: 'done' | 'blocked' | 'stopped';
  set: number;
  unchanged: number;
  failed: number;
  blocked: number;
}

/** The web signature a mailbox's set asks Exchange for, and whether the reply default had to give way. */
export function webSignatureOf(expected: ExpectedMailboxSignatures): { signature: WebSignature; replyDiffers: boolean } | null {
  const forNew = expected.signatures.find((s) => s.defaultFor.includes('new'));
  const forReply = expected.signatures.find((s) => s.defaultFor.includes('reply'));
  // Exchange keeps one web signature with two switches: the new-mail default's content wins.
  const shown = forNew ?? forReply;
  if (!shown) return null;
  return {
    signature: {
      html: shown.rendered.webHtml,
      text: shown.rendered.txt,
      autoAddSignature: forNew !== undefined,
      autoAddSignatureOnReply: forReply !== undefined,
    },
    replyDiffers: forNew !== undefined && forReply !== undefined && forNew.rendered.hash !== forReply.rendered.hash,
  };
}

export function payloadHash(signature: WebSignature): string {
  return createHash('sha256')
    .update(JSON.stringify([signature.html, signature.text, signature.autoAddSignature, signature.autoAddSignatureOnReply]))
    .digest('hex');
}

type Counts = { set: number; unchanged: number; failed: number; blocked: number };

export class SignatureDeployment {
  /** Works through queued and interrupted runs; lease, heartbeat and takeover from db/recurring-job.ts. */
  readonly job: RecurringJob<RunSummary | null>;
  /** Queues a full run on the schedule (signatures.deploymentIntervalMs). */
  readonly schedule: RecurringJob<void>;
  readonly #o: DeploymentOptions;
  #stopping = false;
  #requests: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly exchange: ExchangePort,
    private readonly planner: SignaturePlanner,
    private readonly clock: Clock,
    private readonly log: Logger,
    instanceId: string,
    options: Partial<DeploymentOptions> = {},
    jobs?: JobBoard,
  ) {
    this.#o = { ...DEFAULT_DEPLOYMENT_OPTIONS, ...options };
    this.job = new RecurringJob<RunSummary | null>({
      name: 'signature-deployment',
      schedule: everyMs(this.#o.pollMs),
      run: () => this.#work(),
      retryAfterFailureMs: 30_000,
      // A burst of template or rule edits is one run, not one per save.
      debounceMs: 1_000,
      log,
      clock,
      lease: { db, holder: instanceId, ttlMs: this.#o.leaseMs, resumeInterrupted: true },
    });
    this.schedule = new RecurringJob<void>({
      name: 'signature-deployment-schedule',
      schedule: everyMs(this.#o.intervalMs),
      runAtStart: false,
      run: async () => {
        await this.request({ trigger: 'schedule' });
      },
      log,
      clock,
    });
    jobs?.add(this.job);
    jobs?.add(this.schedule);
  }

  start(): void {
    this.#stopping = false;
    this.job.start();
    this.schedule.start();
  }

  /** Stops after the mailboxes in flight; the run stays unfinished and resumes from its cursor. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.schedule.stop();
    await this.job.stop();
  }

  /**
   * Asks for a run: every mailbox in scope (no `mailboxes`), or the ones named. Joins a queued run when
   * one waits (a full one covers everything; named mailboxes are added to a scoped one).
   */
  async request(o: { trigger: DeploymentTrigger; mailboxes?: readonly string[]; by?: string | null }): Promise<q.RunRow> {
    const wanted = o.mailboxes ? [...new Set(o.mailboxes.map((m) => m.trim().toLowerCase()))].sort() : null;
    const now = this.clock.now().toISOString();
    // One request at a time per instance, so concurrent ones join rather than each queue a run. Two
    // instances asking at the same moment may still queue two; the second then finds everything unchanged.
    const previous = this.#requests;
    let release = () => {};
    this.#requests = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    const row = await this.db
      .transaction()
      .execute(async (trx) => {
        const waiting = await q.queuedRun(trx);
        if (waiting && waiting.scope === null) return waiting;
        if (waiting && wanted) {
          const merged = [...new Set([...(JSON.parse(waiting.scope!) as string[]), ...wanted])].sort();
          await q.updateRun(trx, waiting.id, { scope: JSON.stringify(merged) });
          return { ...waiting, scope: JSON.stringify(merged) };
        }
        return q.insertRun(trx, {
          trigger: o.trigger,
          state: 'queued',
          requested_by: o.by ?? null,
          requested_at: now,
          scope: wanted ? JSON.stringify(wanted) : null,
          total: wanted?.length ?? 0,
          processed: 0,
          set_count: 0,
          unchanged_count: 0,
          failed_count: 0,
          blocked_count: 0,
        });
      })
      .finally(release);
    this.job.trigger();
    return row;
  }

  /** A new run over the mailboxes a run failed for; null when it had none. */
  async retryFailed(runId: number, by: string | null): Promise<q.RunRow | null> {
    const failed = await q.failedMailboxesOf(this.db, runId);
    if (failed.length === 0) return null;
    return this.request({ trigger: 'retry', mailboxes: failed, by });
  }

  /**
   * The directory-sync hook (a delta round's changed users): their signatures are re-rendered and
   * re-pushed, and their direct reports' (whose signatures may show them as manager), nobody else's.
   * Removed users need nothing: Exchange drops their mailboxes itself.
   */
  async directoryChanged(changes: { upserted: readonly DirectoryProfile[] }): Promise<void> {
    const own = changes.upserted.flatMap((p) => (p.mail && p.accountEnabled ? [p.mail] : []));
    const reports = (await this.#o.reportsOf?.(changes.upserted.map((p) => p.id))) ?? [];
    const mailboxes = [...own, ...reports];
    if (mailboxes.length > 0) await this.request({ trigger: 'directory', mailboxes });
  }

  async #work(): Promise<RunSummary | null> {
    let last: RunSummary | null = null;
    while (!this.#stopping) {
      const run = await q.nextUnfinishedRun(this.db);
      if (!run) break;
      last = await this.#execute(run);
    }
    return last;
  }

  async #execute(run: q.RunRow): Promise<RunSummary> {
    const scope = run.scope === null ? null : (JSON.parse(run.scope) as string[]);
    if (run.state === 'queued') {
      let roaming: boolean;
      try {
        roaming = await this.exchange.roamingSignaturesEnabled();
      } catch (err) {
        // Stays queued (the job tries again); the note tells the portal why nothing moves.
        await q.updateRun(this.db, run.id, { note: `Exchange Online could not be asked for the roaming-signatures setting: ${(err as Error).message}` });
        throw err;
      }
      const total = scope ? scope.length : await this.#countInScope();
      run = { ...run, state: 'running', started_at: this.clock.now().toISOString(), roaming_enabled: roaming ? 1 : 0, total };
      await q.updateRun(this.db, run.id, {
        state: 'running',
        started_at: run.started_at,
        roaming_enabled: run.roaming_enabled,
        total,
        note: roaming ? ROAMING_REASON : null,
      });
      this.log.info({ run: run.id, trigger: run.trigger, total, roaming }, 'signature deployment started');
    } else {
      this.log.info({ run: run.id, cursor: run.cursor }, 'signature deployment resumed');
    }
    const blocked = run.roaming_enabled === 1;
    const counts: Counts = { set: run.set_count, unchanged: run.unchanged_count, failed: run.failed_count, blocked: run.blocked_count };
    let cursor = run.cursor;
    let processed = run.processed;
    for (;;) {
      if (this.#stopping) {
        this.log.info({ run: run.id, cursor }, 'signature deployment paused; it resumes from its cursor');
        return { runId: run.id, state: 'stopped', ...counts };
      }
      const page = scope
        ? scope.filter((m) => cursor === null || m > cursor).slice(0, this.#o.pageSize)
        : await this.planner.mailboxesInScope(cursor, this.#o.pageSize);
      if (page.length === 0) break;
      const known = await q.mailboxRows(this.db, page);
      await pool(page, this.#o.concurrency, async (mailbox) => {
        const result = await this.#deployOne(run.id, mailbox, known.get(mailbox), blocked);
        counts[result === 'set' ? 'set' : result === 'failed' ? 'failed' : result === 'blocked' ? 'blocked' : 'unchanged']++;
      });
      processed += page.length;
      cursor = page[page.length - 1]!;
      await q.updateRun(this.db, run.id, {
        cursor,
        processed,
        set_count: counts.set,
        unchanged_count: counts.unchanged,
        failed_count: counts.failed,
        blocked_count: counts.blocked,
      });
    }
    const state = blocked ? 'blocked' : 'done';
    await q.updateRun(this.db, run.id, { state, finished_at: this.clock.now().toISOString() });
    this.log.info({ run: run.id, state, ...counts }, 'signature deployment finished');
    return { runId: run.id, state, ...counts };
  }

  async #countInScope(): Promise<number> {
    let total = 0;
    let after: string | null = null;
    for (;;) {
      const page = await this.planner.mailboxesInScope(after, 1000);
      total += page.length;
      if (page.length < 1000) return total;
      after = page[page.length - 1]!;
    }
  }

  /** Plans one mailbox, pushes it unless Exchange has it already, and records the outcome at once. */
  async #deployOne(runId: number, mailbox: string, known: q.MailboxRow | undefined, blocked: boolean): Promise<MailboxResult> {
    const now = () => this.clock.now().toISOString();
    const record = async (result: MailboxResult, fields: Partial<q.MailboxRow>) => {
      await q.saveMailboxRow(this.db, {
        mailbox,
        user_principal_name: fields.user_principal_name ?? known?.user_principal_name ?? null,
        expected_set_hash: fields.expected_set_hash ?? null,
        expected_web_hash: fields.expected_web_hash ?? null,
        expected_signatures: fields.expected_signatures ?? '[]',
        pushed_web_hash: fields.pushed_web_hash ?? known?.pushed_web_hash ?? null,
        pushed_at: fields.pushed_at ?? known?.pushed_at ?? null,
        result,
        reason: fields.reason ?? null,
        reply_differs: fields.reply_differs ?? 0,
        run_id: runId,
        attempted_at: now(),
      });
      return result;
    };
    let expected: ExpectedMailboxSignatures | null;
    try {
      expected = await this.planner.expectedFor(mailbox, this.clock.now());
    } catch (err) {
      return record('failed', { reason: `could not render the signatures: ${(err as Error).message}` });
    }
    if (!expected) return record('gone', { reason: 'not in the directory copy' });
    const planned = {
      user_principal_name: expected.userPrincipalName,
      expected_set_hash: expected.setHash,
      expected_signatures: JSON.stringify(
        expected.signatures.map((s) => ({
          templateId: s.templateId,
          templateVersion: s.templateVersion,
          name: s.name,
          defaultFor: s.defaultFor,
          hash: s.rendered.hash,
        })),
      ),
    };
    const web = webSignatureOf(expected);
    if (!web) return record('none', { ...planned, reason: 'no signature is the default for new mail or replies' });
    const hash = payloadHash(web.signature);
    const fields = { ...planned, expected_web_hash: hash, reply_differs: web.replyDiffers ? 1 : 0 };
    const replyNote = web.replyDiffers ? 'the reply default differs from the new-mail one; Exchange holds one web signature, the new-mail one' : null;
    if (blocked) return record('blocked', { ...fields, reason: ROAMING_REASON });
    if (known?.pushed_web_hash === hash) {
      // Set by this very run before it was interrupted: still counted as set, not sent again.
      const already = known.run_id === runId && known.result === 'set';
      return record(already ? 'set' : 'unchanged', { ...fields, reason: replyNote });
    }
    try {
      await this.exchange.setWebSignature(expected.mailbox, web.signature);
    } catch (err) {
      return record('failed', { ...fields, reason: (err as Error).message });
    }
    return record('set', { ...fields, pushed_web_hash: hash, pushed_at: now(), reason: replyNote });
  }
}

/** Runs `work` over `items` with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
