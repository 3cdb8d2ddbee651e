import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPublicApp } from '../app.js';
import { AuthService } from '../auth/auth.service.js';
import { loadConfig } from '../onramp-config.js';
import type { OnrampContext } from '../context.js';
import { DAY_MS, ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { BACKENDS } from '../../test/support/storage.js';
import { normaliseBeacon } from './beacon.js';
import { recordBeacons } from './devices.queries.js';

const NOW = '2026-11-23T12:00:00.000Z';
const ago = (days: number) => new Date(Date.parse(NOW) - days * DAY_MS).toISOString();

for (const backend of BACKENDS) {
  describe(`device reports [${backend.name}]`, { skip: backend.skip }, () => {
    test('summary, logins per day, package versions; viewer role required', async () => {
      const storage = await backend.open();
      const clock = new ManualClock(NOW);
      const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json' } });
      const ctx: OnrampContext = { config, storage, log: createLogger('silent'), clock, demo: false, instanceId: 'test' } as OnrampContext;
      const app = await buildPublicApp(ctx);
      try {
        const opts = { storeLocation: false, locationDecimals: 2 };
        const send = (host: string, upn: string, at: string, extra: Record<string, unknown> = {}) =>
          recordBeacons(storage.db, [
            {
              beacon: normaliseBeacon(
                { upn, hostname: host, lastLogonTime: at, systemBootTime: ago(1), webSignatureVersion: '3.0', compliant: true, ...extra },
                opts,
              ),
              receivedAt: at,
            },
          ]);
        await send('pc-1', 'ada@contoso.com', ago(1));
        await send('pc-1', 'ada@contoso.com', ago(0.5), { webSignatureVersion: '3.1' });
        await send('pc-2', 'bob@contoso.com', ago(2), { pendingReboot: true, systemBootTime: ago(40) });
        await send('pc-3', 'eve@contoso.com', ago(60), { compliant: false, webSignatureVersion: '=HYPERLINK("x")' });

        assert.equal((await app.inject('/api/devices/reports/summary')).statusCode, 401);
        const { token } = await new AuthService(storage.db, config.auth, clock).createApiToken('reports', 'viewer', 'test');
        const get = (url: string) => app.inject({ url, headers: { authorization: `Bearer ${token}` } });

        const summary = await get('/api/devices/reports/summary?staleDays=30&bootDays=14');
        assert.equal(summary.statusCode, 200, summary.body);
        assert.deepEqual(summary.json(), { devices: 3, users: 3, pendingReboot: 1, nonCompliant: 1, notSeen: 1, notRebooted: 1, staleDays: 30, bootDays: 14 });

        const logins = (await get('/api/devices/reports/logins?days=7')).json();
        assert.deepEqual(
          logins.days,
          [
            { day: ago(2).slice(0, 10), logins: 1 },
            { day: ago(1).slice(0, 10), logins: 1 },
            { day: ago(0.5).slice(0, 10), logins: 1 },
          ].filter((d, i, all) => all.findIndex((x) => x.day === d.day) === i),
        );

        const packages = (await get('/api/devices/reports/packages')).json().packages;
        assert.deepEqual(
          packages.web_signature_version,
          [
            { version: '3.0', devices: 1 },
            { version: '3.1', devices: 1 },
            { version: '=HYPERLINK("x")', devices: 1 },
          ].sort((a, b) => (a.version < b.version ? -1 : 1)),
        );

        // The export moved to the fleet view (/api/fleet/devices/export.csv, streamed; src/fleet/devices.routes.test.ts).
        assert.equal((await get('/api/devices/export.csv')).statusCode, 404);
      } finally {
        await app.close();
        await storage.close();
      }
    });
  });
}
