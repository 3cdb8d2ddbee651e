/**
 * What the portal and the admin API read about deployments: runs with their progress, each mailbox's
 * outcome, and one mailbox's expected signatures (asked of the planner now) against what was deployed
 * where: the Exchange push, and the versions its user's devices reported in their beacons.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { deviceSignatureVersions } from '../devices/signature-reports.js';
import type { Clock } from '../lib/clock.js';
import {
  ROAMING_FIX,
  type DeploymentRun,
  type DeploymentState as RunState,
  type DeploymentStatus,
  type DeploymentTrigger,
  type ExpectedSignatureSummary,
  type MailboxOutcome,
  type MailboxOutcomePage,
  type MailboxResult,
  type MailboxState,
  type RoamingState,
} from './deployment.schemas.js';
import * as q from './deployment.queries.js';
import type { SignaturePlanner } from './model.js';
import { payloadHash, webSignatureOf } from './exchange-push.js';

const ROAMING_EXPLANATION =
  'While Outlook roaming signatures are on for the tenant (Microsoft’s default), Exchange accepts web signatures set by an admin (Set-MailboxMessageConfiguration) and ignores them, so onramp does not push. An Exchange admin turns roaming off with the command below; devices and the Outlook add-in are not affected.';

export function toRun(row: q.RunRow): DeploymentRun {
  return {
    id: row.id,
    trigger: row.trigger as DeploymentTrigger,
    state: row.state as RunState,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    scopeSize: row.scope === null ? null : (JSON.parse(row.scope) as string[]).length,
    total: row.total,
    processed: row.processed,
    set: row.set_count,
    unchanged: row.unchanged_count,
    failed: row.failed_count,
    blocked: row.blocked_count,
    roamingEnabled: row.roaming_enabled === null ? null : row.roaming_enabled === 1,
    note: row.note,
  };
}

export function toOutcome(row: q.MailboxRow): MailboxOutcome {
  return {
    mailbox: row.mailbox,
    userPrincipalName: row.user_principal_name,
    result: row.result as MailboxResult,
    reason: row.reason,
    attemptedAt: row.attempted_at,
    pushedAt: row.pushed_at,
    upToDate: row.expected_web_hash !== null && row.pushed_web_hash === row.expected_web_hash,
    replyDiffers: row.reply_differs === 1,
    runId: row.run_id,
  };
}

export class DeploymentState {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly planner: SignaturePlanner,
    private readonly clock: Clock,
  ) {}

  async roaming(): Promise<RoamingState> {
    const seen = await q.lastRoamingCheck(this.db);
    return { enabled: seen ? seen.roaming_enabled === 1 : null, checkedAt: seen?.started_at ?? null, fix: ROAMING_FIX, explanation: ROAMING_EXPLANATION };
  }

  async status(): Promise<DeploymentStatus> {
    const recent = (await q.recentRuns(this.db, 10)).map(toRun);
    const current = recent.find((r) => r.state === 'running') ?? recent[0] ?? null;
    return { current, recent, roaming: await this.roaming() };
  }

  async run(id: number): Promise<DeploymentRun | undefined> {
    const row = await q.getRun(this.db, id);
    return row ? toRun(row) : undefined;
  }

  /** Mailboxes in address order; of one run and/or one result (a run's failures: runId + 'failed'). */
  async outcomes(filter: { after: string | null; limit: number; result?: MailboxResult; runId?: number }): Promise<MailboxOutcomePage> {
    const rows = await q.listMailboxRows(this.db, { ...filter, limit: filter.limit + 1 });
    const page = rows.slice(0, filter.limit);
    return { items: page.map(toOutcome), nextAfter: rows.length > filter.limit ? page[page.length - 1]!.mailbox : null };
  }

  /** null when the mailbox is neither in the directory copy nor was ever deployed to. */
  async mailbox(mailbox: string): Promise<MailboxState | null> {
    const key = mailbox.trim().toLowerCase();
    const [expected, row] = await Promise.all([this.planner.expectedFor(key, this.clock.now()), q.getMailboxRow(this.db, key)]);
    if (!expected && !row) return null;
    const upn = expected?.userPrincipalName ?? row?.user_principal_name ?? null;
    const web = expected ? webSignatureOf(expected) : null;
    const liveHash = web ? payloadHash(web.signature) : null;
    const signatures: ExpectedSignatureSummary[] =
      expected?.signatures.map((s) => ({
        templateId: s.templateId,
        templateVersion: s.templateVersion,
        name: s.name,
        defaultFor: s.defaultFor,
        hash: s.rendered.hash,
      })) ?? [];
    return {
      mailbox: key,
      userPrincipalName: upn,
      expected: expected ? { setHash: expected.setHash, signatures } : null,
      // Against what the mailbox should have now, not when the last run planned it.
      exchange: row ? { ...toOutcome(row), upToDate: row.pushed_web_hash !== null && row.pushed_web_hash === liveHash } : null,
      devices: upn ? await deviceSignatureVersions(this.db, upn) : [],
      roaming: await this.roaming(),
    };
  }
}
