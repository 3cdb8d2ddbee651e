import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildPublicApp } from '../app.js';
import { AuthService } from '../auth/auth.service.js';
import { loadConfig } from '../onramp-config.js';
import type { OnrampContext } from '../context.js';
import { DAY_MS, ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { BACKENDS, type TestStorage } from '../../test/support/storage.js';
import { normaliseBeacon, type BeaconBody } from '../devices/beacon.js';
import { recordBeacons } from '../devices/devices.queries.js';
import type { DevicesPage, DeviceView } from './devices.schemas.js';

const NOW = '2026-11-23T12:00:00.000Z';
const ago = (days: number) => new Date(Date.parse(NOW) - days * DAY_MS).toISOString();

async function appWith(storage: TestStorage, storeLocation: boolean, as: { role?: 'viewer' | 'admin'; viewersSeePersonalDetails?: boolean } = {}) {
  const clock = new ManualClock(NOW);
  const config = loadConfig({
    env: {
      ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json',
      ONRAMP_DEVICES_STORE_LOCATION: String(storeLocation),
      ONRAMP_FLEET_VIEWERS_SEE_PERSONAL_DETAILS: String(as.viewersSeePersonalDetails ?? false),
    },
  });
  const ctx = { config, storage, log: createLogger('silent'), clock, demo: false, instanceId: 'test' } as OnrampContext;
  const app = await buildPublicApp(ctx);
  const role = as.role ?? 'viewer';
  const { token } = await new AuthService(storage.db, config.auth, clock).createApiToken(
    `fleet-${storeLocation}-${role}-${as.viewersSeePersonalDetails}`,
    role,
    'test',
  );
  const get = (url: string) => app.inject({ url, headers: { authorization: `Bearer ${token}` } });
  return { app, get };
}

/** One beacon received at `at` (ISO), with the location always sent; whether it is kept is the writer's setting. */
function beacon(body: Partial<BeaconBody> & { hostname: string; upn: string }, at: string, storeLocation = false) {
  return {
    beacon: normaliseBeacon(
      { operatingSystem: 'Windows 11', deviceModel: 'Latitude 7450', compliant: true, location: 'POINT(4.8952 52.3702)', ...body },
      {
        storeLocation,
        locationDecimals: 2,
      },
    ),
    receivedAt: at,
  };
}

for (const backend of BACKENDS) {
  describe(`fleet devices API [${backend.name}]`, { skip: backend.skip }, () => {
    let storage: TestStorage;
    let app: FastifyInstance;
    let get: Awaited<ReturnType<typeof appWith>>['get'];
    before(async () => {
      storage = await backend.open();
      await recordBeacons(storage.db, [
        beacon({ hostname: 'PC-ALPHA', upn: 'ada@contoso.com', systemBootTime: ago(2), lastLogonTime: ago(1), backgroundVersion: 'w1' }, ago(3)),
        // A later beacon of the same device replaces its state and adds to its history.
        beacon({ hostname: 'PC-ALPHA', upn: 'ada@contoso.com', systemBootTime: ago(0.5), lastLogonTime: ago(0.5), backgroundVersion: 'w2' }, ago(0.4)),
        beacon({ hostname: 'pc-bravo', upn: 'bob@contoso.com', systemBootTime: ago(40), pendingReboot: true, operatingSystem: 'Windows 10' }, ago(1)),
        beacon({ hostname: 'pc-charlie', upn: 'eve@contoso.com', compliant: false, deviceModel: '=cmd|calc', backgroundVersion: 'w1' }, ago(60)),
        beacon({ hostname: 'kiosk_1', upn: 'pc_share@contoso.com', systemBootTime: ago(10), lastLogonTime: ago(2) }, ago(2)),
      ]);
      // What branding last served: pc-alpha got exactly what it applied; pc-bravo was sent a wallpaper it has not applied.
      const served = (hostname: string, upn: string, background: string) => ({
        hostname_lower: hostname,
        upn_lower: upn,
        manifest_version: `m-${hostname}`,
        served_at: ago(0.45),
        background_version: background,
        lock_screen_version: '',
        teams_background_version: '',
        screensaver_version: '',
        new_signature_version: '',
        reply_signature_version: '',
        web_signature_version: '',
      });
      await storage.db
        .insertInto('branding_served_manifest')
        .values([served('pc-alpha', 'ada@contoso.com', 'w2'), served('pc-bravo', 'bob@contoso.com', 'w9')])
        .execute();
      ({ app, get } = await appWith(storage, false));
    });
    after(async () => {
      await app.close();
      await storage.close();
    });
    const hosts = async (q: string) => {
      const res = await get(`/api/fleet/devices${q}`);
      assert.equal(res.statusCode, 200, res.body);
      return (res.json() as DevicesPage).devices.map((d) => d.hostname);
    };

    test('the viewer role is required', async () => {
      assert.equal((await app.inject('/api/fleet/devices')).statusCode, 401);
      assert.equal((await app.inject('/api/fleet/devices/export.csv')).statusCode, 401);
    });

    test('each filter selects its devices, and the total counts the filtered set', async () => {
      assert.deepEqual(await hosts(''), ['kiosk_1', 'pc-alpha', 'pc-bravo', 'pc-charlie']);
      assert.deepEqual(await hosts('?staleDays=30'), ['pc-charlie']);
      assert.deepEqual(await hosts('?staleDays=2'), ['pc-charlie']);
      assert.deepEqual(await hosts('?staleDays=1'), ['kiosk_1', 'pc-charlie']);
      // pc-charlie never sent a boot time: not counted as "not rebooted".
      assert.deepEqual(await hosts('?notRebootedDays=7'), ['kiosk_1', 'pc-bravo']);
      assert.deepEqual(await hosts('?nonCompliant=true'), ['pc-charlie']);
      assert.deepEqual(await hosts('?pendingReboot=true'), ['pc-bravo']);
      assert.deepEqual(await hosts('?os=Windows%2010'), ['pc-bravo']);
      assert.deepEqual(await hosts('?model=%3Dcmd%7Ccalc'), ['pc-charlie']);
      assert.deepEqual(await hosts('?notRebootedDays=7&pendingReboot=true&os=Windows%2010'), ['pc-bravo']);
      assert.deepEqual(await hosts('?notRebootedDays=7&nonCompliant=true'), []);
      // pc-bravo applied another wallpaper than it was served; kiosk_1 and pc-charlie were never served one.
      assert.deepEqual(await hosts('?outOfDate=true'), ['kiosk_1', 'pc-bravo', 'pc-charlie']);
      assert.deepEqual(await hosts('?outOfDate=true&pendingReboot=true'), ['pc-bravo']);
      const page = (await get('/api/fleet/devices?staleDays=1&limit=1')).json() as DevicesPage;
      assert.deepEqual([page.total, page.devices.length], [2, 1]);
    });

    test('search is a prefix of the host name or the UPN, case-insensitive, with LIKE wildcards taken literally', async () => {
      assert.deepEqual(await hosts('?search=PC-'), ['pc-alpha', 'pc-bravo', 'pc-charlie']);
      assert.deepEqual(await hosts('?search=bob'), ['pc-bravo']);
      assert.deepEqual(await hosts('?search=alpha'), [], 'a prefix, not a part');
      assert.deepEqual(await hosts('?search=pc_'), ['kiosk_1'], '_ is not "any character" (it would match pc-…)');
      assert.deepEqual(await hosts('?search=%25'), []);
    });

    test('sort by any listed column, both directions, ties broken by host name and UPN; missing times sort as the smallest', async () => {
      assert.deepEqual(await hosts('?sort=last_seen_at'), ['pc-charlie', 'kiosk_1', 'pc-bravo', 'pc-alpha']);
      assert.deepEqual(await hosts('?sort=last_seen_at&desc=true'), ['pc-alpha', 'pc-bravo', 'kiosk_1', 'pc-charlie']);
      assert.deepEqual(await hosts('?sort=system_boot_time'), ['pc-charlie', 'pc-bravo', 'kiosk_1', 'pc-alpha']);
      assert.deepEqual(await hosts('?sort=system_boot_time&desc=true'), ['pc-alpha', 'kiosk_1', 'pc-bravo', 'pc-charlie']);
      assert.deepEqual(await hosts('?sort=last_logon_time'), ['pc-bravo', 'pc-charlie', 'kiosk_1', 'pc-alpha']);
      assert.deepEqual(await hosts('?sort=upn'), ['pc-alpha', 'pc-bravo', 'pc-charlie', 'kiosk_1']);
      assert.deepEqual(await hosts('?sort=compliant'), ['pc-charlie', 'kiosk_1', 'pc-alpha', 'pc-bravo']);
      assert.deepEqual(await hosts('?sort=compliant&desc=true'), ['pc-bravo', 'pc-alpha', 'kiosk_1', 'pc-charlie']);
      assert.deepEqual(await hosts('?sort=pending_reboot&desc=true'), ['pc-bravo', 'pc-charlie', 'pc-alpha', 'kiosk_1']);
      assert.deepEqual(await hosts('?sort=operating_system'), ['pc-bravo', 'kiosk_1', 'pc-alpha', 'pc-charlie']);
      assert.deepEqual(await hosts('?sort=device_model'), ['pc-charlie', 'kiosk_1', 'pc-alpha', 'pc-bravo']);
      assert.deepEqual(await hosts('?sort=out_of_date'), ['pc-alpha', 'kiosk_1', 'pc-bravo', 'pc-charlie']);
      assert.deepEqual(await hosts('?sort=out_of_date&desc=true'), ['pc-charlie', 'pc-bravo', 'kiosk_1', 'pc-alpha']);
      const bad = await get('/api/fleet/devices?sort=payload');
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().code, 'ONRAMP_ERR_VALIDATION');
    });

    test('paging: pages join up to the whole sorted list; past the end is empty; limits are bounded; bad numbers are refused', async () => {
      const all = await hosts('?sort=last_seen_at');
      const pages = [];
      for (let offset = 0; offset < 4; offset += 3) pages.push(...(await hosts(`?sort=last_seen_at&limit=3&offset=${offset}`)));
      assert.deepEqual(pages, all);
      const past = (await get('/api/fleet/devices?offset=4')).json() as DevicesPage;
      assert.deepEqual([past.total, past.devices.length, past.offset], [4, 0, 4]);
      assert.equal(((await get('/api/fleet/devices?limit=100000')).json() as DevicesPage).limit, 500);
      assert.equal(((await get('/api/fleet/devices?limit=0')).json() as DevicesPage).limit, 1);
      for (const q of ['limit=-1', 'offset=1e3', 'staleDays=abc', 'nonCompliant=yes', 'unknown=1']) {
        const res = await get(`/api/fleet/devices?${q}`);
        assert.equal(res.statusCode, 400, q);
        assert.equal(res.json().code, 'ONRAMP_ERR_VALIDATION', q);
        assert.doesNotMatch(res.body, /at .*\.ts:\d+/, 'no stack trace');
      }
    });

    test('a row shows applied vs expected per package: up to date, differing, never served', async () => {
      const byHost = new Map(((await get('/api/fleet/devices')).json() as DevicesPage).devices.map((d) => [d.hostname, d]));
      const background = (host: string) => byHost.get(host)!.packages.find((p) => p.package === 'backgroundVersion');
      const alpha = byHost.get('pc-alpha')!;
      assert.deepEqual([alpha.outOfDate, alpha.servedManifestVersion, alpha.servedAt], [false, 'm-pc-alpha', ago(0.45)]);
      assert.deepEqual(background('pc-alpha'), { package: 'backgroundVersion', applied: 'w2', expected: 'w2', upToDate: true });
      assert.equal(alpha.packages.length, 7);
      assert.ok(alpha.packages.every((p) => p.upToDate));
      assert.equal(byHost.get('pc-bravo')!.outOfDate, true);
      assert.deepEqual(background('pc-bravo'), { package: 'backgroundVersion', applied: '', expected: 'w9', upToDate: false });
      assert.deepEqual(
        byHost
          .get('pc-bravo')!
          .packages.filter((p) => !p.upToDate)
          .map((p) => p.package),
        ['backgroundVersion'],
      );
      const kiosk = byHost.get('kiosk_1')!;
      assert.deepEqual([kiosk.outOfDate, kiosk.servedManifestVersion], [true, null]);
      assert.deepEqual(background('kiosk_1'), { package: 'backgroundVersion', applied: '', expected: null, upToDate: false });
      assert.equal(alpha.lastBootAt, ago(0.5));
      assert.equal('location' in alpha, false, 'location is not part of the answer while devices.storeLocation is off');
    });

    test('CSV export: BOM, header, the filtered set in host name order, formulas neutralised, no location column', async () => {
      const res = await get('/api/fleet/devices/export.csv?staleDays=1');
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/csv; charset=utf-8/);
      assert.match(String(res.headers['content-disposition']), /attachment; filename="devices-2026-11-23\.csv"/);
      assert.equal(res.rawPayload.subarray(0, 3).toString('hex'), 'efbbbf', 'UTF-8 byte-order mark');
      const lines = res.body.replace(/^\ufeff/, '').split('\r\n');
      assert.equal(lines.at(-1), '', 'every line ends with CRLF');
      const [header, ...rows] = lines.slice(0, -1);
      assert.match(
        header!,
        /^hostname,upn,operating_system,device_model,last_seen_at,.*,out_of_date,served_manifest_version,served_at,background_version,expected_background_version,/,
      );
      assert.doesNotMatch(header!, /location/);
      assert.deepEqual(
        rows.map((r) => r.split(',')[0]),
        ['kiosk_1', 'pc-charlie'],
      );
      assert.match(rows[1]!, /^pc-charlie,eve@contoso.com,Windows 11,'=cmd\|calc,/);
      assert.equal((await get('/api/fleet/devices/export.csv?sort=hostname')).statusCode, 400, 'the export takes the filters only');
    });

    test("a device's page: its state and its beacons, newest first, paged; unknown devices and bad names are refused", async () => {
      const detail = await get('/api/fleet/devices/PC-ALPHA/Ada%40contoso.com');
      assert.equal(detail.statusCode, 200, detail.body);
      const device = detail.json().device as DeviceView;
      assert.deepEqual([device.hostname, device.upn, device.firstSeenAt, device.lastSeenAt], ['pc-alpha', 'ada@contoso.com', ago(3), ago(0.4)]);
      const history = (await get('/api/fleet/devices/pc-alpha/ada@contoso.com/beacons?limit=1')).json();
      assert.equal(history.total, 2);
      assert.deepEqual(
        history.beacons.map((b: { receivedAt: string; packages: Record<string, string> }) => [b.receivedAt, b.packages.backgroundVersion]),
        [[ago(0.4), 'w2']],
      );
      const second = (await get('/api/fleet/devices/pc-alpha/ada@contoso.com/beacons?limit=1&offset=1')).json();
      assert.deepEqual(
        second.beacons.map((b: { receivedAt: string }) => b.receivedAt),
        [ago(3)],
      );
      assert.equal('location' in second.beacons[0], false);
      const missing = await get('/api/fleet/devices/pc-alpha/bob@contoso.com');
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().code, 'ONRAMP_ERR_DEVICE_NOT_FOUND');
      assert.equal((await get('/api/fleet/devices/pc-nope/ada@contoso.com/beacons')).statusCode, 404);
      assert.equal((await get('/api/fleet/devices/-bad%20name/ada@contoso.com')).statusCode, 400);
    });

    test('charts: logons per UTC day from the beacon history, boot age buckets, the top versions per package and "other"', async () => {
      const res = await get('/api/fleet/devices/charts?days=7&top=1');
      assert.equal(res.statusCode, 200, res.body);
      const charts = res.json();
      // Distinct (device, user, lastLogonTime) per day: pc-alpha's two beacons carry two logons.
      const expectedDays = new Map<string, number>();
      for (const at of [ago(1), ago(0.5), ago(2)]) expectedDays.set(at.slice(0, 10), (expectedDays.get(at.slice(0, 10)) ?? 0) + 1);
      assert.deepEqual(
        charts.loginsPerDay,
        [...expectedDays].sort().map(([day, logins]) => ({ day, logins })),
      );
      assert.deepEqual(
        charts.bootAge.map((b: { devices: number }) => b.devices),
        [1, 0, 1, 0, 1, 0, 1],
      );
      assert.equal(charts.bootAge[6].label, 'not reported');
      const background = charts.packages.find((p: { package: string }) => p.package === 'backgroundVersion');
      // w1 (pc-charlie) and w2 (pc-alpha) and '' (two others): the top one is '' with 2, the rest is other.
      assert.deepEqual(background, { package: 'backgroundVersion', versions: [{ version: '', devices: 2 }], other: 2, total: 4 });
    });

    test('location: shown only while devices.storeLocation is on, never otherwise; to viewers only when admins allow', async () => {
      await recordBeacons(storage.db, [beacon({ hostname: 'pc-delta', upn: 'dan@contoso.com' }, ago(0.1), true)]);
      const viewer = await appWith(storage, true);
      try {
        assert.equal('location' in (await viewer.get('/api/fleet/devices/pc-delta/dan@contoso.com')).json().device, false, 'viewers: not by default');
        assert.doesNotMatch((await viewer.get('/api/fleet/devices/export.csv?search=pc-delta')).body, /POINT/);
        assert.doesNotMatch((await viewer.get('/api/fleet/devices/pc-delta/dan@contoso.com/beacons')).body, /POINT/);
      } finally {
        await viewer.app.close();
      }
      const admin = await appWith(storage, true, { role: 'admin' });
      try {
        assert.equal((await admin.get('/api/fleet/devices/pc-delta/dan@contoso.com')).json().device.location, 'POINT(4.90 52.37)', 'admins see it');
      } finally {
        await admin.app.close();
      }
      const on = await appWith(storage, true, { viewersSeePersonalDetails: true });
      try {
        const device = (await on.get('/api/fleet/devices/pc-delta/dan@contoso.com')).json().device;
        assert.equal(device.location, 'POINT(4.90 52.37)');
        const history = (await on.get('/api/fleet/devices/pc-delta/dan@contoso.com/beacons')).json();
        assert.equal(history.beacons[0].location, 'POINT(4.90 52.37)');
        assert.equal((await on.get('/api/fleet/devices/filters')).json().locationStored, true);
        const csv = (await on.get('/api/fleet/devices/export.csv?search=pc-delta')).body.split('\r\n');
        assert.match(csv[0]!, /,location$/);
        assert.match(csv[1]!, /,POINT\(4\.90 52\.37\)$/);
      } finally {
        await on.app.close();
      }
      // Stored while it was on, then switched off: the location is no longer shown anywhere.
      const device = (await get('/api/fleet/devices/pc-delta/dan@contoso.com')).json().device;
      assert.equal('location' in device, false);
      assert.doesNotMatch((await get('/api/fleet/devices/export.csv?search=pc-delta')).body, /POINT/);
      assert.doesNotMatch((await get('/api/fleet/devices/pc-delta/dan@contoso.com/beacons')).body, /POINT/);
      assert.equal((await get('/api/fleet/devices/filters')).json().locationStored, false);
    });
  });
}

describe('fleet devices CSV export over many pages [sqlite]', () => {
  test('streams every filtered device once, across keyset pages, in host name order', async () => {
    const storage = await BACKENDS[0]!.open();
    const { app, get } = await appWith(storage, false);
    try {
      const many = Array.from({ length: 2_345 }, (_, i) =>
        beacon({ hostname: `pc-${String(i).padStart(5, '0')}`, upn: `u${i}@contoso.com`, compliant: i % 3 !== 0 }, ago(1)),
      );
      await recordBeacons(storage.db, many);
      const res = await get('/api/fleet/devices/export.csv?nonCompliant=true');
      const rows = res.body.split('\r\n').slice(1, -1);
      const expected = many.filter((_, i) => i % 3 === 0).map((b) => b.beacon.hostname);
      assert.equal(rows.length, expected.length);
      assert.deepEqual(
        rows.map((r) => r.split(',')[0]),
        expected,
      );
    } finally {
      await app.close();
      await storage.close();
    }
  });
});
