/**
 * The add-in's reports, answered at once and written in batches (lib/batched-writer.ts): one per
 * compose window across a tenant would otherwise be one commit each. Lower-cased keys; the latest
 * report per mailbox, platform and kind of mail is kept. Other features (the fleet view) read them
 * through this module's exports, never addin.queries.ts: `addinStatesOf` (one mailbox) and
 * `addinOutcomesByPlatform` (the tenant's summary).
 */
import type { Storage } from '../db/dialect.js';
import { BatchedWriter } from '../lib/batched-writer.js';
import type { Logger } from '../lib/logger.js';
import type { AddinReport } from './addin.routes.js';
import * as q from './addin.queries.js';

export { addinOutcomesByPlatform, addinStatesOf } from './addin.queries.js';

/** Past this many unwritten reports (database down for long), new ones are dropped and counted. */
const MAX_PENDING = 50_000;

export function addinReportWriter(storage: Storage, log: Logger, flushDelayMs?: number): BatchedWriter<AddinReport> {
  return new BatchedWriter<AddinReport>({
    what: 'add-in reports',
    log,
    maxBuffered: MAX_PENDING,
    flushDelayMs,
    write: (batch) =>
      q.upsertAddinStates(
        storage.db,
        batch.map((r) => ({
          mailbox: r.mailbox.toLowerCase(),
          platform: r.platform.toLowerCase(),
          compose: r.compose,
          outcome: r.outcome,
          version: r.outcome === 'inserted' ? (r.version ?? null) : null,
          reason: r.outcome === 'failed' ? (r.reason ?? null) : null,
          host_version: r.hostVersion ?? null,
          reported_by: r.reportedBy,
          reported_at: r.reportedAt,
        })),
      ),
  });
}
