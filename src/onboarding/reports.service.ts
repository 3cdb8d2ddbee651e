import { Cron } from 'croner';
import { RecurringJob, type JobBoard } from '../db/recurring-job.js';
import type { Static } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import type { DialectCapabilities } from '../db/capabilities.js';
import { tryAcquireLease } from '../db/leases.js';
import type { Database } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { DAY_MS } from '../lib/clock.js';
import { csvCell } from '../lib/csv.js';
import { escapeHtml } from '../lib/html.js';
import type { Logger } from '../lib/logger.js';
import type { MailTransport } from '../mail/transports.js';
import type { Branding } from './email-templates.js';
import { ALL_USER_STATUSES, USER_STATUS } from './onboarding.domain.js';
import type { reportsConfig } from './reports.config.js';
import { COUNTER_ROWS_BEFORE_COMPACTION, compactUserCounts, userCounts, type UserCount } from './onboarding.queries.js';
import { EXCLUSION_REASON } from './invitations.rules.js';
import {
  ACTIVITY_COLUMNS,
  activityPerDay,
  completionPerBatch,
  countedScope,
  countsByStatus,
  excludedByReason,
  EXPORT_FIELDS,
  exportPage,
  needsAttention,
  type ActivityKind,
  type AttentionKind,
  type AttentionUser,
  type BatchCounts,
  type ExportField,
  type ReportFilter,
} from './reports.queries.js';

export type ReportSettings = Static<typeof reportsConfig>;
export type { ReportFilter };

export interface DayActivity {
  day: string;
  invites: number;
  opens: number;
  clicks: number;
  activations: number;
}

export interface ReportSummary {
  generatedAt: string;
  total: number;
  byStatus: Record<string, number>;
  /** Active ÷ (total − Excluded), in percent with one decimal; 0 when nobody is in scope. */
  completionRate: number;
  /** Active ÷ total: the same figure counting the users the campaign cannot reach. */
  completionOfAll: number;
  /** Excluded users by reason (not found in the directory, account disabled…), most first. */
  excludedReasons: Array<{ reason: string; count: number }>;
  /** Activity over the last `days` UTC days, today included (7 for the email; the portal's chart asks for more). */
  recent: { days: number; invites: number; opens: number; clicks: number; activations: number; perDay: DayActivity[] };
  needsAttention: Record<AttentionKind, { count: number; users: AttentionUser[] }>;
  batches: Array<BatchCounts & { completionRate: number }>;
}

/**
 * The seed's tracking-list column names, in its order, and the field each shows (flags as Yes/No).
 * TrackingToken is left out: it is a credential.
 */
export const CSV_COLUMNS: ReadonlyArray<readonly [string, ExportField, 'yes-no'?]> = [
  ['UPN', 'upn'],
  ['InviteStatus', 'invite_status'],
  ['StatusReason', 'status_reason'],
  ['MFARegistrationState', 'mfa_registration_state'],
  ['InGroup', 'in_group', 'yes-no'],
  ['InviteSentDate', 'invite_sent_date'],
  ['ClickedLinkDate', 'clicked_link_date'],
  ['AddedToGroupDate', 'added_to_group_date'],
  ['MFARegistrationDate', 'mfa_registration_date'],
  ['LastChecked', 'last_checked'],
  ['LastReminderDate', 'last_reminder_date'],
  ['ReminderCount', 'reminder_count'],
  ['SourceBatchId', 'source_batch_id'],
  ['CorrelationId', 'correlation_id'],
  ['Notes', 'notes'],
  ['DisplayName', 'display_name'],
  ['Department', 'department'],
  ['JobTitle', 'job_title'],
  ['ManagerUPN', 'manager_upn'],
  ['ObjectId', 'object_id'],
  ['UserType', 'user_type'],
  ['EmailOpenedDate', 'email_opened_date'],
  ['EscalatedToManager', 'escalated_to_manager', 'yes-no'],
  ['EscalationDate', 'escalation_date'],
];
/** Where each CSV column's value sits in an export row (EXPORT_FIELDS order), and whether it is a flag. */
const CSV_CELLS = CSV_COLUMNS.map(([, field, format]) => ({ at: EXPORT_FIELDS.indexOf(field), flag: format === 'yes-no' }));
const CSV_HEADER = CSV_COLUMNS.map(([name]) => name).join(',') + '\r\n';

/** One export row as a CSV line. */
function csvLine(values: readonly unknown[]): string {
  let line = '';
  for (let c = 0; c < CSV_CELLS.length; c++) {
    const { at, flag } = CSV_CELLS[c]!;
    const value = values[at] as string | number | null;
    line += (c === 0 ? '' : ',') + (flag ? (value ? 'Yes' : 'No') : csvCell(value));
  }
  return line + '\r\n';
}

/**
 * The figures the user counters give (migration 0017): per status, per batch (oldest batch name first,
 * users of no batch before them) and the Excluded users by reason, most first. Equal to what the
 * counting queries give over the rows.
 */
export function fromCounters(counts: readonly UserCount[]): {
  statusCounts: Map<string, number>;
  batches: BatchCounts[];
  excludedReasons: Array<{ reason: string; count: number }>;
} {
  const statusCounts = new Map<string, number>();
  const perBatch = new Map<string | null, BatchCounts>();
  const reasons = new Map<string, number>();
  for (const c of counts) {
    statusCounts.set(c.status, (statusCounts.get(c.status) ?? 0) + c.users);
    let batch = perBatch.get(c.batchId);
    if (!batch) {
      batch = { batchId: c.batchId, total: 0, active: 0, excluded: 0, notFound: 0, disabled: 0, pending: 0 };
      perBatch.set(c.batchId, batch);
    }
    batch.total += c.users;
    if (c.status === USER_STATUS.Active) batch.active += c.users;
    if (c.status === USER_STATUS.Pending) batch.pending += c.users;
    if (c.status === USER_STATUS.Excluded) {
      batch.excluded += c.users;
      if (c.reason === EXCLUSION_REASON.NotFound) batch.notFound += c.users;
      if (c.reason === EXCLUSION_REASON.Disabled) batch.disabled += c.users;
      const reason = c.reason === '' ? 'no reason recorded' : c.reason;
      reasons.set(reason, (reasons.get(reason) ?? 0) + c.users);
    }
  }
  const batches = [...perBatch.values()].sort((a, b) =>
    a.batchId === b.batchId ? 0 : a.batchId === null ? -1 : b.batchId === null ? 1 : a.batchId < b.batchId ? -1 : 1,
  );
  const excludedReasons = [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return { statusCounts, batches, excludedReasons };
}

/** "1 reminder", "2 reminders". */
function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Completion both ways, and who is left out and why, in one sentence. */
function completionSentence(s: ReportSummary): string {
  const excluded = s.byStatus[USER_STATUS.Excluded] ?? 0;
  const active = s.byStatus[USER_STATUS.Active] ?? 0;
  const why = s.excludedReasons.map((r) => `${r.count} ${r.reason}`).join(', ');
  return (
    `${active} of ${s.total} users are active (${s.completionOfAll}%); of the ${s.total - excluded} who can be invited, ${s.completionRate}%.` +
    (excluded > 0 ? ` ${plural(excluded, 'user')} cannot be invited: ${why}.` : '')
  );
}

function rate(active: number, total: number, excluded: number): number {
  const inScope = total - excluded;
  return inScope > 0 ? Math.round((active / inScope) * 1000) / 10 : 0;
}

export interface ReportServiceDeps {
  db: Kysely<Database>;
  dialect: DialectCapabilities;
  clock: Clock;
  log: Logger;
  settings: ReportSettings;
  branding: Branding;
  /** Names this instance when it takes a scheduled report's turn (see sendScheduled). */
  instanceId: string;
  /** Where the scheduled report's job status is shown. */
  jobs?: JobBoard | undefined;
}

const REPORT_LEASE = 'onboarding.reports';
/** Longer than a report takes to send, shorter than any sensible gap between two scheduled reports. */
const REPORT_LEASE_MS = 10 * 60_000;

/**
 * The admin reports (the seed's reports Logic App and the portal's Reports tab): summary figures computed
 * by the database, the CSV export streamed page by page, and the scheduled report email. HTTP-free; the
 * portal and the CLI call it.
 */
export class ReportService {
  #job: RecurringJob<boolean> | undefined;
  constructor(private readonly deps: ReportServiceDeps) {}

  async summary(filter: ReportFilter = {}, activityDays = 7): Promise<ReportSummary> {
    const { db, clock, settings } = this.deps;
    const now = clock.now();
    const noClickBefore = new Date(now.getTime() - settings.noClickAfterDays * DAY_MS).toISOString();
    const attentionKinds: AttentionKind[] = ['noClick', 'clickedNotActive', 'escalated', 'overdue', 'unreachable', 'error'];
    const counted = countedScope(filter) ? fromCounters((await this.#counters(filter)).counts) : undefined;
    const knownCount: Partial<Record<AttentionKind, number>> = counted
      ? { unreachable: counted.statusCounts.get(USER_STATUS.Excluded) ?? 0, error: counted.statusCounts.get(USER_STATUS.Error) ?? 0 }
      : {};
    const [statusCounts, perDay, attention, batches, excludedReasons] = await Promise.all([
      counted?.statusCounts ?? countsByStatus(db, filter),
      this.#activity(filter, activityDays),
      Promise.all(attentionKinds.map((k) => needsAttention(db, filter, k, noClickBefore, settings.attentionListSize, knownCount[k]))),
      counted?.batches ?? completionPerBatch(db, filter),
      counted?.excludedReasons ?? excludedByReason(db, filter),
    ]);
    const byStatus = Object.fromEntries(ALL_USER_STATUSES.map((s) => [s, statusCounts.get(s) ?? 0]));
    const total = [...statusCounts.values()].reduce((a, b) => a + b, 0);
    const sum = (k: ActivityKind) => perDay.reduce((a, d) => a + d[k], 0);
    return {
      generatedAt: now.toISOString(),
      total,
      byStatus,
      completionRate: rate(byStatus[USER_STATUS.Active] ?? 0, total, byStatus[USER_STATUS.Excluded] ?? 0),
      completionOfAll: rate(byStatus[USER_STATUS.Active] ?? 0, total, 0),
      excludedReasons,
      recent: { days: activityDays, invites: sum('invites'), opens: sum('opens'), clicks: sum('clicks'), activations: sum('activations'), perDay },
      needsAttention: Object.fromEntries(attentionKinds.map((k, i) => [k, attention[i]!])) as ReportSummary['needsAttention'],
      batches: batches.map((b) => ({ ...b, completionRate: rate(b.active, b.total, b.excluded) })),
    };
  }

  /**
   * The counters of a scope. PostgreSQL's grow by a few rows per status-changing statement; once a
   * campaign's pass the threshold they are folded up after the answer (the next summary reads few).
   */
  async #counters(filter: ReportFilter): Promise<{ counts: UserCount[] }> {
    const { db, dialect, log } = this.deps;
    const found = await userCounts(db, filter);
    if (found.rows > COUNTER_ROWS_BEFORE_COMPACTION && !this.#compacting) {
      this.#compacting = compactUserCounts(db, dialect)
        .catch((err: unknown) => log.warn({ err }, 'folding up the user counters failed; the next report tries again'))
        .finally(() => {
          this.#compacting = undefined;
        });
    }
    return found;
  }
  #compacting: Promise<void> | undefined;

  /** Invites, opens, clicks and activations per UTC day for the last `days` days (today included), zeros filled in. */
  async #activity(filter: ReportFilter, days: number): Promise<DayActivity[]> {
    const now = this.deps.clock.now();
    const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - (days - 1) * DAY_MS);
    const kinds = Object.keys(ACTIVITY_COLUMNS) as ActivityKind[];
    const counts = await Promise.all(kinds.map((k) => activityPerDay(this.deps.db, filter, k, since.toISOString())));
    const perDay: DayActivity[] = [];
    for (let i = 0; i < days; i++) {
      const day = new Date(since.getTime() + i * DAY_MS).toISOString().slice(0, 10);
      perDay.push({
        day,
        invites: counts[0]!.get(day) ?? 0,
        opens: counts[1]!.get(day) ?? 0,
        clicks: counts[2]!.get(day) ?? 0,
        activations: counts[3]!.get(day) ?? 0,
      });
    }
    return perDay;
  }

  /**
   * Every record of the scope as CSV, header first, one chunk per page of rows (never all in memory).
   * Pages of 1,000 rows: each page's garbage dies young, so an export of 100,000 rows leaves the server no
   * bigger (with pages of 5,000, three exports left it up to 80 MiB bigger, and each took 1.1–1.7 s
   * instead of 0.8–1.3 s).
   */
  async *csv(filter: ReportFilter = {}, pageSize = 1000): AsyncGenerator<string> {
    yield CSV_HEADER;
    let afterId = 0;
    for (;;) {
      const { rows, lastId } = await exportPage(this.deps.db, this.deps.dialect, filter, afterId, pageSize);
      if (rows.length === 0) return;
      afterId = lastId;
      let chunk = '';
      for (const row of rows) chunk += csvLine(row);
      yield chunk;
    }
  }

  /** `mfa-report[-batch]-YYYY-MM-DD.csv`, as the seed's portal named it. */
  csvFileName(filter: ReportFilter = {}): string {
    const batch = filter.batchId ? `-${filter.batchId.replace(/[^A-Za-z0-9_.-]/g, '_')}` : '';
    return `mfa-report${batch}-${this.#today()}.csv`;
  }

  /** The date in the reports' time zone: Monday's 09:00 report in Auckland is dated Monday, not UTC's Sunday. */
  #today(): string {
    return new Intl.DateTimeFormat('en-CA', { timeZone: this.deps.settings.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
      this.deps.clock.now(),
    );
  }

  /** The report email; `scope` says which users it covers when not the whole campaign ("batch wave-1"). */
  renderEmail(summary: ReportSummary, scope?: string): { subject: string; html: string; text: string } {
    const b = this.deps.branding;
    const date = this.#today();
    const subject = `MFA Rollout Report - ${date} - ${summary.completionRate}% Complete`;
    const statusRows = Object.entries(summary.byStatus).map(([s, n]) => [s, String(n)]);
    const a = summary.recent;
    const attentionLabels: Record<AttentionKind, string> = {
      noClick: `No click after ${this.deps.settings.noClickAfterDays} days`,
      clickedNotActive: 'Clicked but not active',
      escalated: 'Escalated to manager',
      overdue: 'Overdue',
      unreachable: 'Cannot be invited (excluded)',
      error: 'In error',
    };
    const table = (head: string[], rows: string[][]) =>
      `<table cellpadding="4" cellspacing="0" border="1" style="border-collapse:collapse;border-color:#e5e7eb;font-size:13px"><tr>${head.map((h) => `<th align="left">${escapeHtml(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</table>`;
    const html: string[] = [
      `<h2>${escapeHtml(b.companyName)} MFA rollout: ${summary.completionRate}% complete</h2>`,
      ...(scope ? [`<p><strong>Only the users of: ${escapeHtml(scope)}.</strong></p>`] : []),
      `<p>${summary.total} users tracked on ${escapeHtml(date)}. ${escapeHtml(completionSentence(summary))}</p>`,
      '<h3>By status</h3>',
      table(['Status', 'Users'], statusRows),
      `<h3>Last ${a.days} days</h3>`,
      table(
        ['Day', 'Invites', 'Opens', 'Clicks', 'Activations'],
        [
          ...a.perDay.map((d) => [d.day, String(d.invites), String(d.opens), String(d.clicks), String(d.activations)]),
          ['Total', String(a.invites), String(a.opens), String(a.clicks), String(a.activations)],
        ],
      ),
      '<h3>Needs attention</h3>',
    ];
    const text: string[] = [
      subject,
      ...(scope ? ['', `Only the users of: ${scope}.`] : []),
      '',
      completionSentence(summary),
      '',
      'By status:',
      ...statusRows.map(([s, n]) => `  ${s}: ${n}`),
      '',
      `Last ${a.days} days: ${a.invites} invites, ${a.opens} opens, ${a.clicks} clicks, ${a.activations} activations`,
      '',
      'Needs attention:',
    ];
    for (const [kind, label] of Object.entries(attentionLabels) as Array<[AttentionKind, string]>) {
      const list = summary.needsAttention[kind];
      html.push(`<h4>${escapeHtml(label)}: ${list.count}</h4>`);
      if (list.users.length > 0)
        html.push(
          table(
            ['User', 'Name', 'Department', 'Status', 'Reason', 'Reminders'],
            list.users.map((u) => [u.upn, u.display_name ?? '', u.department ?? '', u.invite_status, u.status_reason ?? '', String(u.reminder_count)]),
          ),
        );
      text.push(
        `  ${label}: ${list.count}`,
        ...list.users.map((u) => `    ${u.upn} (${u.invite_status}${u.status_reason ? `: ${u.status_reason}` : ''}, ${plural(u.reminder_count, 'reminder')})`),
      );
    }
    html.push(
      '<h3>Completion per batch</h3>',
      table(
        ['Batch', 'Users', 'Active', 'Not found in directory', 'Disabled', 'Completion %'],
        summary.batches.map((x) => [
          x.batchId ?? '(none)',
          String(x.total),
          String(x.active),
          String(x.notFound),
          String(x.disabled),
          String(x.completionRate),
        ]),
      ),
    );
    text.push(
      '',
      'Completion per batch:',
      ...summary.batches.map(
        (x) => `  ${x.batchId ?? '(none)'}: ${x.active}/${x.total} (${x.completionRate}%)${x.notFound > 0 ? `, ${x.notFound} not found in the directory` : ''}`,
      ),
      '',
      'All records are attached as CSV.',
    );
    return {
      subject,
      html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body style="font-family:Segoe UI,Arial,sans-serif">${html.join('\n')}</body></html>`,
      text: text.join('\n'),
    };
  }

  /**
   * Sends the report now to `recipients` (default: configured), with the CSV of its records attached:
   * the whole campaign, or the users `filter` selects (then `scope` names them in the email).
   */
  async send(
    transport: MailTransport,
    recipients: readonly string[] = this.deps.settings.recipients,
    filter: ReportFilter = {},
    scope?: string,
  ): Promise<ReportSummary> {
    if (recipients.length === 0) throw new Error('no report recipients configured (reports.recipients)');
    const summary = await this.summary(filter);
    const parts: Buffer[] = [];
    for await (const chunk of this.csv(filter)) parts.push(Buffer.from(chunk, 'utf8'));
    const email = this.renderEmail(summary, scope);
    await transport.send({
      to: recipients.map((address) => ({ address })),
      ...email,
      attachments: [
        {
          filename: this.csvFileName(filter),
          contentType: 'text/csv; charset=utf-8',
          content: Buffer.concat([Buffer.from('\ufeff', 'utf8'), ...parts]),
        },
      ],
    });
    this.deps.log.info({ recipients: recipients.length, total: summary.total, completionRate: summary.completionRate }, 'admin report sent');
    return summary;
  }

  /**
   * A scheduled report: every instance's schedule fires, the first to take the report's lease sends it,
   * and the lease is left to expire rather than released, so the others, firing moments later for the
   * same slot, find it taken. False when another instance has it.
   */
  async sendScheduled(transport: MailTransport): Promise<boolean> {
    const { db, instanceId, clock, log } = this.deps;
    if (!(await tryAcquireLease(db, REPORT_LEASE, instanceId, REPORT_LEASE_MS, clock.now()))) {
      log.info('scheduled admin report: another instance is sending it');
      return false;
    }
    await this.send(transport);
    return true;
  }

  /**
   * Sends on the configured cron in the configured time zone; no-op without recipients. A failed send
   * is retried after a minute while the slot's lease is still this instance's (db/recurring-job.ts).
   */
  start(transport: MailTransport): void {
    const { settings, log, clock } = this.deps;
    if (!settings.enabled || settings.recipients.length === 0) return;
    const cron = new Cron(settings.cron, { timezone: settings.timeZone, paused: true });
    this.#job = new RecurringJob<boolean>({
      name: REPORT_LEASE,
      schedule: (after) => cron.nextRun(after),
      run: () => this.sendScheduled(transport),
      runAtStart: false,
      retryAfterFailureMs: 60_000,
      log,
      clock,
    });
    this.deps.jobs?.add(this.#job);
    this.#job.start();
    log.info({ next: this.#job.status().nextRunAt }, 'admin report scheduled');
  }

  async stop(): Promise<void> {
    if (this.#job) this.deps.jobs?.remove(this.#job);
    await this.#job?.stop();
  }
}
