/**
 * Uploads back to back and at the same time (two admins, a script uploading per department). Each
 * large upload starts a statistics refresh (ANALYZE, on SQLite on a second connection in a worker);
 * an upload whose transaction began as a reader could not become a writer meanwhile and SQLite failed
 * it at once ("database is locked", a 500) instead of waiting. Expected: 0 errors on either engine.
 *
 * The suite uses 30,000 rows per upload on SQLite and 10,000 on PostgreSQL (seconds each);
 * `scripts/fault-figures.sh` runs it with the 200,000 rows (ONRAMP_FAULT_UPLOAD_ROWS) by hand.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/onramp-config.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { OnboardingService } from '../../src/onboarding/onboarding.service.js';
import { BACKENDS } from '../support/storage.js';
import { figure } from './support.js';

/** SQLite needs uploads big enough that the next one starts while ANALYZE still runs; PostgreSQL is slower per row. */
const ROWS_OF = { sqlite: 30_000, postgres: 10_000 } as const;

export function departmentRoster(department: string, rows: number): string {
  const lines = ['UPN;Department'];
  for (let i = 0; i < rows; i++) lines.push(`${department}.${i}@contoso.test;${department}`);
  return lines.join('\n') + '\n';
}

for (const backend of BACKENDS) {
  const ROWS = Number(process.env.ONRAMP_FAULT_UPLOAD_ROWS ?? ROWS_OF[backend.name]);
  describe(`fault: concurrent uploads [${backend.name}]`, { skip: backend.skip }, () => {
    test(`four ${ROWS.toLocaleString('en')}-row uploads back to back, then two at once: 0 errors`, async () => {
      const storage = await backend.open();
      try {
        const onboarding = new OnboardingService({ storage, config: loadConfig({ env: {} }), clock: systemClock, log: createLogger('silent') });
        const errors: string[] = [];
        const upload = (department: string) =>
          onboarding.upload(departmentRoster(department, ROWS), { actor: 'test', batchId: department }).then(
            (r) => r.added.length,
            (err: Error) => {
              errors.push(`${department}: ${err.message}`);
              return 0;
            },
          );
        let added = 0;
        for (const department of ['sales', 'finance', 'legal', 'hr']) added += await upload(department);
        added += (await Promise.all([upload('it'), upload('ops')])).reduce((a, b) => a + b, 0);
        await onboarding.idle();
        assert.deepEqual(errors, []);
        assert.equal(added, 6 * ROWS);
        const { n } = await storage.db
          .selectFrom('tracked_user')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        assert.equal(Number(n), 6 * ROWS);
        figure(`concurrent-uploads-${backend.name}`, { rowsPerUpload: ROWS, backToBack: 4, atOnce: 2, errors: errors.length });
      } finally {
        await storage.close();
      }
    });
  });
}
