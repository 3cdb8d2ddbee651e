/** The add-in's state table on both engines: the latest report per key wins, an older late one never replaces it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../../test/support/storage.js';
import { addinStatesOf, upsertAddinStates } from './addin.queries.js';
import type { AddinSignatureStateTable } from './addin.tables.js';

const row = (over: Partial<AddinSignatureStateTable>): AddinSignatureStateTable => ({
  mailbox: 'ada@contoso.example',
  platform: 'pc',
  compose: 'new',
  outcome: 'inserted',
  version: 'v1',
  reason: null,
  host_version: null,
  reported_by: 'ada@contoso.example',
  reported_at: '2026-12-04T10:00:00.000Z',
  ...over,
});

for (const backend of BACKENDS) {
  describe(`add-in signature state on ${backend.name}`, { skip: backend.skip }, () => {
    it('keeps the latest report per mailbox, platform and kind of mail', async () => {
      const storage = await backend.open();
      try {
        // One batch holding a key twice: the later one is kept (an upsert may not touch a row twice).
        await upsertAddinStates(storage.db, [
          row({}),
          row({ version: 'v2', reported_at: '2026-12-04T10:01:00.000Z' }),
          row({ compose: 'reply', outcome: 'none', version: null }),
        ]);
        // A report written late but made earlier does not replace the newer one.
        await upsertAddinStates(storage.db, [row({ version: 'v0', reported_at: '2026-12-04T09:00:00.000Z' })]);
        await upsertAddinStates(storage.db, [row({ outcome: 'failed', version: null, reason: 'timeout', reported_at: '2026-12-04T11:00:00.000Z' })]);
        const states = await addinStatesOf(storage.db, 'ADA@contoso.example');
        assert.deepEqual(
          states.map((s) => [s.compose, s.outcome, s.version, s.reason]),
          [
            ['new', 'failed', null, 'timeout'],
            ['reply', 'none', null, null],
          ],
        );
      } finally {
        await storage.close();
      }
    });
  });
}
