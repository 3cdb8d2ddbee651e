import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { AddinSignatureStateTable } from './addin.tables.js';

/** Rows per INSERT: 9 columns, well under SQLite's and PostgreSQL's bind-parameter limits. */
const ROWS_PER_STATEMENT = 400;

const UPDATED = ['outcome', 'version', 'reason', 'host_version', 'reported_by', 'reported_at'] as const;

/** Keeps the latest report per key; a batch holds each key once (an upsert may not touch a row twice). */
export async function upsertAddinStates(db: Kysely<Database>, rows: AddinSignatureStateTable[]): Promise<void> {
  const latest = new Map<string, AddinSignatureStateTable>();
  for (const row of rows) latest.set(`${row.mailbox}\n${row.platform}\n${row.compose}`, row);
  const unique = [...latest.values()];
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < unique.length; i += ROWS_PER_STATEMENT) {
      await trx
        .insertInto('addin_signature_state')
        .values(unique.slice(i, i + ROWS_PER_STATEMENT))
        .onConflict((oc) =>
          oc
            .columns(['mailbox', 'platform', 'compose'])
            .doUpdateSet((eb) => Object.fromEntries(UPDATED.map((c) => [c, eb.ref(`excluded.${c}`)])))
            // A late write of an older report never replaces a newer one.
            .where('addin_signature_state.reported_at', '<=', (eb) => eb.ref('excluded.reported_at')),
        )
        .execute();
    }
  });
}

/** What the add-in last reported for a mailbox (for its deployment state), by platform and kind of mail. */
export function addinStatesOf(db: Kysely<Database>, mailbox: string): Promise<AddinSignatureStateTable[]> {
  return db.selectFrom('addin_signature_state').selectAll().where('mailbox', '=', mailbox.toLowerCase()).orderBy('platform').orderBy('compose').execute();
}

/** Per platform: how many (mailbox, kind of mail) pairs last reported each outcome, and the newest report. */
export async function addinOutcomesByPlatform(
  db: Kysely<Database>,
): Promise<Array<{ platform: string; inserted: number; none: number; failed: number; lastReportedAt: string }>> {
  const rows = await db
    .selectFrom('addin_signature_state')
    .select((eb) => ['platform', 'outcome', eb.fn.countAll<string | number>().as('count'), eb.fn.max('reported_at').as('last')])
    .groupBy(['platform', 'outcome'])
    .orderBy('platform')
    .execute();
  const byPlatform = new Map<string, { platform: string; inserted: number; none: number; failed: number; lastReportedAt: string }>();
  for (const row of rows) {
    const entry = byPlatform.get(row.platform) ?? { platform: row.platform, inserted: 0, none: 0, failed: 0, lastReportedAt: row.last };
    if (row.outcome === 'inserted' || row.outcome === 'none' || row.outcome === 'failed') entry[row.outcome] = Number(row.count);
    if (row.last > entry.lastReportedAt) entry.lastReportedAt = row.last;
    byPlatform.set(row.platform, entry);
  }
  return [...byPlatform.values()];
}
