import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { DAY_MS, HOUR_MS } from '../lib/clock.js';
import { BatchedWriter } from '../lib/batched-writer.js';
import type { Logger } from '../lib/logger.js';
import { everyMs, RecurringJob, type JobBoard } from '../db/recurring-job.js';
import type { CertificateIdentity } from './certificate-verifier.js';
import { deleteAuditBefore, insertAuditRecords, upsertCertificates, type AuditRecord, type CertificateSighting } from './audit.queries.js';

/** Past this many unwritten records (database down for long), new ones are dropped and counted. */
const MAX_BUFFERED = 100_000;
/** A certificate's "last seen" is written at most this often: a device calls many times a minute. */
const SIGHTING_RESOLUTION_MS = 60_000;
/** Certificates whose last write is remembered; past it the memory starts again (a few extra writes). */
const MAX_REMEMBERED_SIGHTINGS = 50_000;

interface AuditItem {
  record: AuditRecord;
  certificate: CertificateSighting | null;
}

/**
 * Audit records are buffered and written in multi-row inserts (see lib/batched-writer.ts): one
 * synchronous insert per request would cap the device API at the database's commit rate. The
 * certificates seen ride in the same batches, in the same transaction, once a minute per certificate.
 */
export class AuditWriter {
  readonly #writer: BatchedWriter<AuditItem>;
  /** Hourly; the lease is left to expire, so one instance of a cluster purges per half hour. */
  readonly #retention: RecurringJob<number>;
  /** Thumbprint → when its sighting was last queued. */
  readonly #sightings = new Map<string, number>();

  constructor(
    db: Kysely<Database>,
    private readonly options: { flushIntervalMs: number; retentionDays: number; instanceId: string; jobs?: JobBoard | undefined },
    private readonly clock: Clock,
    log: Logger,
  ) {
    this.#writer = new BatchedWriter({
      what: 'device audit records',
      log,
      maxBuffered: MAX_BUFFERED,
      flushDelayMs: options.flushIntervalMs,
      write: (batch) => db.transaction().execute((tx) => writeBatch(tx, batch)),
    });
    this.#retention = new RecurringJob<number>({
      name: 'device-audit-retention',
      schedule: everyMs(HOUR_MS),
      runAtStart: false,
      run: () => deleteAuditBefore(db, new Date(this.clock.now().getTime() - this.options.retentionDays * DAY_MS).toISOString()),
      log,
      clock,
      lease: { db, holder: options.instanceId, ttlMs: HOUR_MS / 2, release: false },
    });
    options.jobs?.add(this.#retention);
    this.#retention.start();
  }

  /** `certificate`: the verified identity the call came with, if any. */
  record(entry: AuditRecord, certificate?: CertificateIdentity | null): void {
    this.#writer.add({ record: entry, certificate: certificate ? this.#sighting(entry, certificate) : null });
  }

  #sighting(entry: AuditRecord, c: CertificateIdentity): CertificateSighting | null {
    const now = Date.parse(entry.at);
    const last = this.#sightings.get(c.thumbprint);
    if (last !== undefined && now - last < SIGHTING_RESOLUTION_MS) return null;
    if (this.#sightings.size >= MAX_REMEMBERED_SIGHTINGS) this.#sightings.clear();
    this.#sightings.set(c.thumbprint, now);
    return {
      thumbprint: c.thumbprint,
      upn: c.upn,
      subject: c.subject,
      issuer: c.issuer,
      serial_number: c.serialNumber,
      not_before: c.notBefore,
      not_after: c.notAfter,
      first_seen_at: entry.at,
      last_seen_at: entry.at,
      last_ip: entry.ip,
    };
  }

  /** Deletes records past retention; one instance at a time. */
  async purgeExpired(): Promise<number> {
    // Failures are counted and logged by the job.
    return (await this.#retention.runNow().catch(() => undefined)) ?? 0;
  }

  async close(): Promise<void> {
    this.options.jobs?.remove(this.#retention);
    await this.#retention.stop();
    await this.#writer.close();
  }
}

async function writeBatch(db: Kysely<Database>, batch: readonly AuditItem[]): Promise<void> {
  await insertAuditRecords(
    db,
    batch.map((i) => i.record),
  );
  // The latest sighting per certificate: one upsert row each (PostgreSQL refuses a row twice in one statement).
  const latest = new Map<string, CertificateSighting>();
  for (const { certificate } of batch)
    if (certificate)
      latest.set(certificate.thumbprint, { ...certificate, first_seen_at: latest.get(certificate.thumbprint)?.first_seen_at ?? certificate.first_seen_at });
  await upsertCertificates(db, [...latest.values()]);
}
