/**
 * Measures the fleet device list over 100,000 devices on both engines (not yet a bench scenario): each
 * figure is the median of 7 sequential requests through the app (inject), with a baseline from the same
 * database: the bare primary-key page `select * from device_state order by hostname, upn limit 50`.
 *   node --import tsx bench/fleet-measure.ts [devices]
 */
import { sql } from 'kysely';
import { buildPublicApp } from '../src/app.js';
import { AuthService } from '../src/auth/auth.service.js';
import type { OnrampContext } from '../src/context.js';
import { normaliseBeacon } from '../src/devices/beacon.js';
import { recordBeacons } from '../src/devices/devices.queries.js';
import { DAY_MS, ManualClock } from '../src/lib/clock.js';
import { createLogger } from '../src/lib/logger.js';
import { loadConfig } from '../src/onramp-config.js';
import { BACKENDS } from '../test/support/storage.js';
import { median } from './harness.js';

const DEVICES = Number(process.argv[2] ?? 100_000);
const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const iso = (daysAgo: number) => new Date(NOW - daysAgo * DAY_MS).toISOString();

async function timed(run: () => Promise<unknown>, times = 7): Promise<number> {
  await run();
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await run();
    ms.push(performance.now() - started);
  }
  return median(ms);
}

for (const backend of BACKENDS) {
  if (backend.skip) continue;
  const storage = await backend.open();
  const opts = { storeLocation: false, locationDecimals: 2 };
  const seedStarted = performance.now();
  for (let start = 0; start < DEVICES; start += 5_000) {
    const batch = [];
    for (let i = start; i < Math.min(DEVICES, start + 5_000); i++) {
      const body = {
        hostname: `pc-${String(i).padStart(6, '0')}`,
        upn: `user${i}@contoso.com`,
        operatingSystem: ['Windows 11 Enterprise', 'Windows 10 Enterprise', 'Windows 11 Pro'][i % 3],
        deviceModel: `Latitude ${7400 + (i % 10)}`,
        systemBootTime: i % 50 === 0 ? undefined : iso((i * 7) % 120),
        lastLogonTime: iso((i * 3) % 30),
        backgroundVersion: `bg${i % 4}`,
        webSignatureVersion: `sig${i % 7}`,
        pendingReboot: i % 10 === 0,
        compliant: i % 20 !== 0,
      };
      batch.push({ beacon: normaliseBeacon(body, opts), receivedAt: iso(((i * 13) % 60) + 0.5) });
      batch.push({ beacon: normaliseBeacon(body, opts), receivedAt: iso((i * 13) % 60) });
    }
    await recordBeacons(storage.db, batch);
  }
  if (backend.name === 'sqlite') await sql`analyze`.execute(storage.db);
  else await sql`analyze device_state; analyze device_beacon`.execute(storage.db);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  console.error(`${backend.name}: seeded in ${seedSeconds.toFixed(1)} s`);

  const clock = new ManualClock(new Date(NOW));
  const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json' } });
  const ctx = { config, storage, log: createLogger('silent'), clock, demo: false, instanceId: 'bench' } as OnrampContext;
  const app = await buildPublicApp(ctx);
  const { token } = await new AuthService(storage.db, config.auth, clock).createApiToken('bench', 'viewer', 'bench');
  const get = async (url: string) => {
    const res = await app.inject({ url, headers: { authorization: `Bearer ${token}` } });
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    return res;
  };
  const baseline = await timed(() => storage.db.selectFrom('device_state').selectAll().orderBy('hostname').orderBy('upn').limit(50).execute());
  const figures: Array<[string, number]> = [];
  for (const url of [
    '/api/fleet/devices',
    '/api/fleet/devices?offset=50000',
    '/api/fleet/devices?staleDays=30&sort=last_seen_at&desc=true',
    '/api/fleet/devices?notRebootedDays=14&nonCompliant=true&sort=system_boot_time',
    '/api/fleet/devices?pendingReboot=true&os=Windows%2010%20Enterprise&sort=upn',
    '/api/fleet/devices?model=Latitude%207405&sort=last_logon_time&offset=500',
    '/api/fleet/devices?outOfDate=true&sort=out_of_date',
    '/api/fleet/devices?search=pc-0123',
    '/api/fleet/devices?search=user99',
    '/api/fleet/devices/pc-012345/user12345@contoso.com',
    '/api/fleet/devices/pc-012345/user12345@contoso.com/beacons',
    '/api/fleet/devices/charts',
  ]) {
    figures.push([url, await timed(() => get(url))]);
    console.error(`${backend.name}: ${figures.at(-1)![1].toFixed(1)} ms ${url}`);
  }
  const exportSeconds = (await timed(() => get('/api/fleet/devices/export.csv'), 1)) / 1000;
  console.log(
    `\n${backend.name}: ${DEVICES.toLocaleString('en-US')} devices (seeded in ${seedSeconds.toFixed(1)} s); baseline bare PK page ${baseline.toFixed(2)} ms`,
  );
  for (const [url, ms] of figures) console.log(`${ms.toFixed(1).padStart(8)} ms  ×${(ms / baseline).toFixed(1).padStart(6)}  ${url}`);
  console.log(`${exportSeconds.toFixed(2).padStart(8)} s   CSV export of every device (${DEVICES.toLocaleString('en-US')} rows)`);
  await app.close();
  await storage.close();
}
