/**
 * What other features may read of the add-in's reports: the latest per platform and kind of mail of a
 * mailbox (the fleet's per-mailbox signature state). The SQL stays in addin.queries.ts.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { addinStatesOf } from './addin.queries.js';

export interface AddinSignatureReport {
  platform: string;
  /** new, reply or appointment. */
  compose: string;
  /** inserted, none or failed. */
  outcome: string;
  version: string | null;
  reason: string | null;
  hostVersion: string | null;
  reportedAt: string;
}

export async function addinReportsOf(db: Kysely<Database>, mailbox: string): Promise<AddinSignatureReport[]> {
  return (await addinStatesOf(db, mailbox)).map((r) => ({
    platform: r.platform,
    compose: r.compose,
    outcome: r.outcome,
    version: r.version,
    reason: r.reason,
    hostVersion: r.host_version,
    reportedAt: r.reported_at,
  }));
}
