import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY_MS, ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { BACKENDS } from '../../test/support/storage.js';
import { normaliseBeacon, type BeaconBody } from './beacon.js';
import { BeaconWriter } from './beacon-writer.js';
import { getDeviceState, listBeaconHistory } from './devices.queries.js';

const NOW = '2026-11-23T12:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();
const OPTIONS = { storeLocation: false, locationDecimals: 2 };
const beacon = (hostname: string, extra: Partial<BeaconBody> = {}) => normaliseBeacon({ upn: 'ada@contoso.com', hostname, ...extra }, OPTIONS);

for (const backend of BACKENDS) {
  describe(`beacon writer [${backend.name}]`, { skip: backend.skip }, () => {
    test('close() writes what is buffered: every beacon in the history, one state per device from its latest beacon, first seen at its earliest', async () => {
      const storage = await backend.open();
      const clock = new ManualClock(NOW);
      const writer = new BeaconWriter(storage.db, { retentionDays: 90, instanceId: 'a' }, clock, createLogger('silent'));
      try {
        // Out of order on arrival: the state follows the most recently received, not the last recorded.
        writer.record(beacon('PC-1', { webSignatureVersion: '1.0' }), at(1));
        writer.record(beacon('PC-1', { webSignatureVersion: '3.0', pendingReboot: true }), at(3));
        writer.record(beacon('PC-1', { webSignatureVersion: '2.0' }), at(2));
        // More devices than one batch holds.
        for (let i = 0; i < 1_100; i++) writer.record(beacon(`FLEET-${i}`), at(5));
        await writer.close();

        const state = await getDeviceState(storage.db, 'pc-1', 'ada@contoso.com');
        assert.equal(state?.web_signature_version, '3.0');
        assert.equal(state?.pending_reboot, 1);
        assert.equal(state?.first_seen_at, at(1));
        assert.equal(state?.last_seen_at, at(3));
        assert.deepEqual(
          (await listBeaconHistory(storage.db, 'pc-1', 'ada@contoso.com')).map((h) => JSON.parse(h.payload).packages.webSignatureVersion),
          ['1.0', '3.0', '2.0'],
        );
        assert.equal((await getDeviceState(storage.db, 'fleet-1099', 'ada@contoso.com'))?.last_seen_at, at(5));
        const rows = await storage.db
          .selectFrom('device_beacon')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        assert.equal(Number(rows.n), 1_103);

        // A later batch updates the state and keeps when the device was first seen.
        const later = new BeaconWriter(storage.db, { retentionDays: 90, instanceId: 'a' }, clock, createLogger('silent'));
        later.record(beacon('PC-1', { webSignatureVersion: '4.0' }), at(10));
        await later.close();
        const updated = await getDeviceState(storage.db, 'pc-1', 'ada@contoso.com');
        assert.deepEqual([updated?.web_signature_version, updated?.pending_reboot, updated?.first_seen_at, updated?.last_seen_at], ['4.0', 0, at(1), at(10)]);
      } finally {
        await writer.close();
        await storage.close();
      }
    });

    test('retention prunes history older than the setting, keeps newer history and every device state; one instance per round', async () => {
      const storage = await backend.open();
      const clock = new ManualClock(NOW);
      const writer = new BeaconWriter(storage.db, { retentionDays: 30, instanceId: 'a' }, clock, createLogger('silent'));
      const other = new BeaconWriter(storage.db, { retentionDays: 30, instanceId: 'b' }, clock, createLogger('silent'));
      try {
        const daysAgo = (d: number) => new Date(Date.parse(NOW) - d * DAY_MS).toISOString();
        writer.record(beacon('OLD-PC'), daysAgo(45));
        writer.record(beacon('PC-1'), daysAgo(31));
        writer.record(beacon('PC-1'), daysAgo(29));
        writer.record(beacon('PC-1'), daysAgo(1));
        await writer.flush();

        assert.equal(await writer.purgeExpired(), 2);
        assert.equal(await other.purgeExpired(), 0, 'the other instance leaves the round to the lease holder');
        assert.deepEqual(
          (await listBeaconHistory(storage.db, 'pc-1', 'ada@contoso.com')).map((h) => h.received_at),
          [daysAgo(29), daysAgo(1)],
        );
        assert.deepEqual(await listBeaconHistory(storage.db, 'old-pc', 'ada@contoso.com'), []);
        assert.equal((await getDeviceState(storage.db, 'old-pc', 'ada@contoso.com'))?.last_seen_at, daysAgo(45));
      } finally {
        await writer.close();
        await other.close();
        await storage.close();
      }
    });
  });
}
