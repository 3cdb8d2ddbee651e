/** SQL of the admin reports: aggregates computed by the database, rows streamed by keyset pages. */
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { DialectCapabilities } from '../db/capabilities.js';
import type { Database } from '../db/schema.js';
import { USER_STATUS } from './onboarding.domain.js';
import type { TrackedUser } from './invitations.queries.js';
import { EXCLUSION_REASON } from './invitations.rules.js';
import { matchesSearch } from './onboarding.queries.js';

/**
 * Which tracked users a report covers. The portal's tiles, the CSV export and the emailed report all
 * scope with this one filter, so the same filter gives the same numbers everywhere.
 */
export interface ReportFilter {
  campaignId?: number | undefined;
  batchId?: string | undefined;
  status?: string | undefined;
  department?: string | undefined;
  /** Users uploaded on or after this ISO instant. */
  uploadedFrom?: string | undefined;
  /** Users uploaded before this ISO instant. */
  uploadedBefore?: string | undefined;
  /** Matched case-insensitively against UPN, display name and department. */
  search?: string | undefined;
}

type Eb = ExpressionBuilder<Database, 'tracked_user'>;

function scope(eb: Eb, filter: ReportFilter): Expression<SqlBool> {
  const parts: Expression<SqlBool>[] = [];
  if (filter.campaignId !== undefined) parts.push(eb('campaign_id', '=', filter.campaignId));
  if (filter.batchId !== undefined) parts.push(eb('source_batch_id', '=', filter.batchId));
  if (filter.status !== undefined) parts.push(eb('invite_status', '=', filter.status));
  if (filter.department !== undefined) parts.push(eb('department', '=', filter.department));
  if (filter.uploadedFrom !== undefined) parts.push(eb('created_at', '>=', filter.uploadedFrom));
  if (filter.uploadedBefore !== undefined) parts.push(eb('created_at', '<', filter.uploadedBefore));
  if (filter.search !== undefined && filter.search !== '') {
    parts.push(matchesSearch(eb, filter.search));
  }
  return eb.and(parts);
}

export async function countsByStatus(db: Kysely<Database>, filter: ReportFilter): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('tracked_user')
    .select(['invite_status', (eb) => eb.fn.countAll<number>().as('n')])
    .where((eb) => scope(eb, filter))
    .groupBy('invite_status')
    .execute();
  return new Map(rows.map((r) => [r.invite_status, Number(r.n)]));
}

export const ACTIVITY_COLUMNS = {
  invites: 'invite_sent_date',
  opens: 'email_opened_date',
  clicks: 'clicked_link_date',
  activations: 'mfa_registration_date',
} as const;
export type ActivityKind = keyof typeof ACTIVITY_COLUMNS;

/** Per UTC day since `sinceIso`, how many users have the given date stamped that day. */
export async function activityPerDay(db: Kysely<Database>, filter: ReportFilter, kind: ActivityKind, sinceIso: string): Promise<Map<string, number>> {
  const column = ACTIVITY_COLUMNS[kind];
  const day = sql<string>`substr(${sql.ref(column)}, 1, 10)`;
  const rows = await db
    .selectFrom('tracked_user')
    .select([day.as('day'), (eb) => eb.fn.countAll<number>().as('n')])
    .where((eb) => eb.and([scope(eb, filter), eb(column, '>=', sinceIso)]))
    .groupBy(day)
    .execute();
  return new Map(rows.map((r) => [r.day, Number(r.n)]));
}

/** How many users had the given date stamped before `beforeIso` (where a cumulative series starts). */
export async function stampedBefore(db: Kysely<Database>, filter: ReportFilter, kind: ActivityKind, beforeIso: string): Promise<number> {
  const column = ACTIVITY_COLUMNS[kind];
  const row = await db
    .selectFrom('tracked_user')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where((eb) => eb.and([scope(eb, filter), eb(column, '<', beforeIso)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export type AttentionKind = 'noClick' | 'clickedNotActive' | 'escalated' | 'overdue' | 'unreachable' | 'error';

function attention(eb: Eb, kind: AttentionKind, noClickBeforeIso: string): Expression<SqlBool> {
  switch (kind) {
    case 'noClick':
      return eb.and([eb('invite_status', '=', USER_STATUS.Sent), eb('clicked_link_date', 'is', null), eb('invite_sent_date', '<', noClickBeforeIso)]);
    case 'clickedNotActive':
      return eb.and([eb('clicked_link_date', 'is not', null), eb('invite_status', 'in', [USER_STATUS.Clicked, USER_STATUS.AddedToGroup, USER_STATUS.Sent])]);
    case 'escalated':
      return eb.and([eb('escalated_to_manager', '=', 1), eb('invite_status', '!=', USER_STATUS.Active)]);
    case 'overdue':
      // Overdue users were all invited; saying so lets both engines read the invited-users index.
      return eb.and([eb('invite_status', '=', USER_STATUS.Overdue), eb('invite_sent_date', 'is not', null)]);
    case 'unreachable':
      return eb('invite_status', '=', USER_STATUS.Excluded);
    case 'error':
      return eb('invite_status', '=', USER_STATUS.Error);
  }
}

/**
 * Longest waiting first: since the click for users who clicked, since the invitation for the rest;
 * users never invited (excluded, in error) in the order they were added.
 */
const ATTENTION_ORDER: Record<AttentionKind, 'invite_sent_date' | 'clicked_link_date' | 'id'> = {
  noClick: 'invite_sent_date',
  clickedNotActive: 'clicked_link_date',
  escalated: 'invite_sent_date',
  overdue: 'invite_sent_date',
  unreachable: 'id',
  error: 'id',
};

export interface AttentionUser {
  id: number;
  upn: string;
  display_name: string | null;
  department: string | null;
  invite_status: string;
  /** Why the user is Excluded or in Error (or Overdue). */
  status_reason: string | null;
  invite_sent_date: string | null;
  clicked_link_date: string | null;
  reminder_count: number;
  manager_upn: string | null;
}

/** The `limit` longest-waiting users of one "needs attention" list, and how many there are in all. */
export async function needsAttention(
  db: Kysely<Database>,
  filter: ReportFilter,
  kind: AttentionKind,
  noClickBeforeIso: string,
  limit: number,
): Promise<{ count: number; users: AttentionUser[] }> {
  const where = (eb: Eb) => eb.and([scope(eb, filter), attention(eb, kind, noClickBeforeIso)]);
  const [count, users] = await Promise.all([
    db
      .selectFrom('tracked_user')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(where)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('tracked_user')
      .select([
        'id',
        'upn',
        'display_name',
        'department',
        'invite_status',
        'status_reason',
        'invite_sent_date',
        'clicked_link_date',
        'reminder_count',
        'manager_upn',
      ])
      .where(where)
      .orderBy(ATTENTION_ORDER[kind])
      .$if(ATTENTION_ORDER[kind] !== 'id', (q) => q.orderBy('id'))
      .limit(limit)
      .execute(),
  ]);
  return { count: Number(count.n), users };
}

/** How many Excluded users there are per reason (not found in the directory, disabled…), most first. */
export async function excludedByReason(db: Kysely<Database>, filter: ReportFilter): Promise<Array<{ reason: string; count: number }>> {
  const rows = await db
    .selectFrom('tracked_user')
    .select(['status_reason', (eb) => eb.fn.countAll<number>().as('n')])
    .where((eb) => eb.and([scope(eb, filter), eb('invite_status', '=', USER_STATUS.Excluded)]))
    .groupBy('status_reason')
    .execute();
  return rows
    .map((r) => ({ reason: r.status_reason ?? 'no reason recorded', count: Number(r.n) }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

export interface BatchCounts {
  batchId: string | null;
  total: number;
  active: number;
  excluded: number;
  /** Excluded because the directory has no such user (a typo, or someone who left). */
  notFound: number;
  /** Excluded because the account is disabled. */
  disabled: number;
  /** Not yet looked at by the invitation run. */
  pending: number;
}

export async function completionPerBatch(db: Kysely<Database>, filter: ReportFilter): Promise<BatchCounts[]> {
  const rows = await db
    .selectFrom('tracked_user')
    .select((eb) => {
      const excludedFor = (reason: string) =>
        eb.fn.sum<number>(
          eb
            .case()
            .when(eb.and([eb('invite_status', '=', USER_STATUS.Excluded), eb('status_reason', '=', reason)]))
            .then(1)
            .else(0)
            .end(),
        );
      return [
        'source_batch_id',
        eb.fn.countAll<number>().as('total'),
        eb.fn.sum<number>(eb.case().when('invite_status', '=', USER_STATUS.Active).then(1).else(0).end()).as('active'),
        eb.fn.sum<number>(eb.case().when('invite_status', '=', USER_STATUS.Excluded).then(1).else(0).end()).as('excluded'),
        excludedFor(EXCLUSION_REASON.NotFound).as('not_found'),
        excludedFor(EXCLUSION_REASON.Disabled).as('disabled'),
        eb.fn.sum<number>(eb.case().when('invite_status', '=', USER_STATUS.Pending).then(1).else(0).end()).as('pending'),
      ];
    })
    .where((eb) => scope(eb, filter))
    .groupBy('source_batch_id')
    .orderBy('source_batch_id')
    .execute();
  return rows.map((r) => ({
    batchId: r.source_batch_id,
    total: Number(r.total),
    active: Number(r.active ?? 0),
    excluded: Number(r.excluded ?? 0),
    notFound: Number(r.not_found ?? 0),
    disabled: Number(r.disabled ?? 0),
    pending: Number(r.pending ?? 0),
  }));
}

/** The columns the CSV export shows (plus the id it pages by); the token and bookkeeping columns stay in the database. */
export const EXPORT_FIELDS = [
  'id',
  'upn',
  'invite_status',
  'status_reason',
  'mfa_registration_state',
  'in_group',
  'invite_sent_date',
  'clicked_link_date',
  'added_to_group_date',
  'mfa_registration_date',
  'last_checked',
  'last_reminder_date',
  'reminder_count',
  'source_batch_id',
  'correlation_id',
  'notes',
  'display_name',
  'department',
  'job_title',
  'manager_upn',
  'object_id',
  'user_type',
  'email_opened_date',
  'escalated_to_manager',
  'escalation_date',
] as const satisfies ReadonlyArray<keyof TrackedUser>;
export type ExportRow = Pick<TrackedUser, (typeof EXPORT_FIELDS)[number]>;

/**
 * One keyset page of the export's rows. Each row travels as one JSON array of EXPORT_FIELDS (json_array
 * on SQLite, json_build_array on PostgreSQL): the engine writes it and V8 parses it faster than the
 * SQLite driver builds a 25-property object per row (reading 100,000 rows: 1.2–1.3 s instead of 1.8–2.0 s
 * here).
 */
export async function exportPage(
  db: Kysely<Database>,
  dialect: Pick<DialectCapabilities, 'jsonArrayFunction'>,
  filter: ReportFilter,
  afterId: number,
  limit: number,
): Promise<ExportRow[]> {
  const packed = sql<string | unknown[]>`${sql.raw(dialect.jsonArrayFunction)}(${sql.join(EXPORT_FIELDS.map((f) => sql.ref(f)))})`;
  const rows = await db
    .selectFrom('tracked_user')
    .select(packed.as('cells'))
    .where((eb) => eb.and([scope(eb, filter), eb('id', '>', afterId)]))
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(({ cells }) => {
    // node-postgres parses json itself; SQLite hands back the text.
    const values = (typeof cells === 'string' ? JSON.parse(cells) : cells) as unknown[];
    const row: Record<string, unknown> = {};
    for (let i = 0; i < EXPORT_FIELDS.length; i++) row[EXPORT_FIELDS[i]!] = values[i];
    return row as ExportRow;
  });
}

/** Distinct batches and departments of a campaign, for the report filter pickers (500 each at most). */
export async function filterValues(db: Kysely<Database>, campaignId: number): Promise<{ batches: string[]; departments: string[] }> {
  const [batches, departments] = await Promise.all([
    db
      .selectFrom('tracked_user')
      .select('source_batch_id as v')
      .distinct()
      .where('campaign_id', '=', campaignId)
      .where('source_batch_id', 'is not', null)
      .orderBy('source_batch_id')
      .limit(500)
      .execute(),
    db
      .selectFrom('tracked_user')
      .select('department as v')
      .distinct()
      .where('campaign_id', '=', campaignId)
      .where('department', 'is not', null)
      .orderBy('department')
      .limit(500)
      .execute(),
  ]);
  return { batches: batches.map((r) => r.v as string), departments: departments.map((r) => r.v as string) };
}
