/**
 * The tracking pixel's first-open stamps, buffered and written together (see lib/batched-writer.ts):
 * the pixel answers from memory and a graceful shutdown loses none. Repeated opens of one link while
 * it waits are noted once; the stamp keeps the time of the open, not of the write, and the database
 * keeps the first open only.
 */
import type { Storage } from '../db/dialect.js';
import { BatchedWriter } from '../lib/batched-writer.js';
import type { Logger } from '../lib/logger.js';
import { ACTOR_USER, USER_EVENT } from './onboarding.domain.js';
import * as q from './onboarding.queries.js';

/** Past this many unwritten stamps (database down for long, or a flood of made-up tokens), new ones are dropped and counted. */
const MAX_PENDING = 50_000;

export function openStampWriter(storage: Storage, log: Logger): BatchedWriter<q.OpenStamp> {
  const { db, dialect } = storage;
  return new BatchedWriter<q.OpenStamp>({
    what: 'email-open stamps',
    log,
    maxBuffered: MAX_PENDING,
    keyOf: (stamp) => `${stamp.id}.${stamp.secret}`,
    write: (batch) =>
      db.transaction().execute(async (trx) => {
        const stamped = await q.stampFirstOpens(trx, dialect, batch);
        const events = stamped.map((s) => ({ tracked_user_id: s.id, at: s.at, type: USER_EVENT.EmailOpened, actor: ACTOR_USER, detail: {} }));
        await q.appendEvents(trx, events, dialect);
      }),
  });
}
