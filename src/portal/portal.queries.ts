import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * The portal's aggregate reads over onboarding's tables (one GROUP BY each, so they stay fast on
 * 100,000 users). Per-user reads and writes go through src/onboarding's own query module.
 */

export interface ReportFilter {
  campaignId: number;
  batchId?: string | undefined;
  department?: string | undefined;
  /** Users uploaded on or after / before these ISO instants. */
  from?: string | undefined;
  to?: string | undefined;
}

function scoped(db: Kysely<Database>, f: ReportFilter) {
  let q = db.selectFrom('tracked_user').where('campaign_id', '=', f.campaignId);
  if (f.batchId !== undefined) q = q.where('source_batch_id', '=', f.batchId);
  if (f.department !== undefined) q = q.where('department', '=', f.department);
  if (f.from !== undefined) q = q.where('created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('created_at', '<', f.to);
  return q;
}

export async function countsByStatus(db: Kysely<Database>, f: ReportFilter): Promise<Array<{ status: string; n: number }>> {
  const rows = await scoped(db, f)
    .select(['invite_status as status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('invite_status')
    .execute();
  return rows.map((r) => ({ status: r.status, n: Number(r.n) }));
}

export async function countsByBatch(db: Kysely<Database>, f: ReportFilter, activeStatus: string) {
  const rows = await scoped(db, f)
    .select([
      'source_batch_id as batch',
      (eb) => eb.fn.countAll<number>().as('total'),
      (eb) => eb.fn.sum<number>(eb.case().when('invite_status', '=', activeStatus).then(1).else(0).end()).as('active'),
    ])
    .groupBy('source_batch_id')
    .orderBy('source_batch_id')
    .execute();
  return rows.map((r) => ({ batch: r.batch, total: Number(r.total), active: Number(r.active ?? 0) }));
}

const DAY_COLUMNS = {
  invited: 'invite_sent_date',
  opened: 'email_opened_date',
  clicked: 'clicked_link_date',
  activated: 'mfa_registration_date',
} as const;
export type ActivityKind = keyof typeof DAY_COLUMNS;

/** Per-day counts of one milestone since `since` (ISO date), from the ISO text timestamps' date part. */
export async function perDay(db: Kysely<Database>, f: ReportFilter, kind: ActivityKind, since: string) {
  const column = DAY_COLUMNS[kind];
  const day = sql<string>`substr(${sql.ref(column)}, 1, 10)`;
  const rows = await scoped(db, f)
    .select([day.as('day'), (eb) => eb.fn.countAll<number>().as('n')])
    .where(column, '>=', since)
    .groupBy(day)
    .execute();
  return rows.map((r) => ({ day: r.day, n: Number(r.n) }));
}

/** Distinct batches and departments, for the filter pickers. */
export async function filterValues(db: Kysely<Database>, campaignId: number) {
  const batches = await db.selectFrom('tracked_user').select('source_batch_id as v').distinct().where('campaign_id', '=', campaignId).where('source_batch_id', 'is not', null).orderBy('source_batch_id').limit(500).execute();
  const departments = await db.selectFrom('tracked_user').select('department as v').distinct().where('campaign_id', '=', campaignId).where('department', 'is not', null).orderBy('department').limit(500).execute();
  return { batches: batches.map((r) => r.v as string), departments: departments.map((r) => r.v as string) };
}
