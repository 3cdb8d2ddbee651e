/**
 * `serve --demo`'s fleet: branding files and assignments, and a month of devices reporting, so the
 * Devices, device page, Device charts and Branding screens show something on a first start. Everything
 * goes through the features' own code paths (the branding store's upload checks, the manifest planner,
 * the served-manifest recorder, beacon normalisation and the BeaconWriter), so the demo shows what the
 * routes would have written. Deterministic (a seeded sequence) and only into an empty branding store.
 */
import { Readable } from 'node:stream';
import sharp from 'sharp';
import type { BrandingFeature } from './branding/branding.plugin.js';
import { packageVersionsOf } from './branding/served-manifests.js';
import type { OnrampContext } from './context.js';
import { BeaconWriter } from './devices/beacon-writer.js';
import { normaliseBeacon, type BeaconBody } from './devices/beacon.js';
import { lastSyncAt } from './directory/directory.queries.js';
import { DAY_MS, HOUR_MS } from './lib/clock.js';
import type { RunningSimulator } from './simulator/index.js';
import { seededRandom } from './simulator/tenant.js';

/** Devices the demo fleet has. */
export const DEMO_DEVICES = 25;
/** Days of beacon history each device gets. */
const HISTORY_DAYS = 30;
const ACTOR = 'demo';
const COMPANY = 'Contoso';

const MODELS = ['Latitude 7440', 'ThinkPad T14 Gen 4', 'Surface Laptop 5', 'EliteBook 840 G10'];
const SYSTEMS = ['Microsoft Windows 11 Enterprise 23H2', 'Microsoft Windows 11 Enterprise 24H2', 'Microsoft Windows 10 Enterprise 22H2'];

/** A branded gradient with the company name and a caption, as JPEG (sharp renders the SVG; JPEG decodes faster in the upload's check). */
function brandedImage(width: number, height: number, from: string, to: string, caption: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${from}"/><stop offset="1" stop-color="${to}"/></linearGradient></defs>
  <rect width="100%" height="100%" fill="url(#g)"/>
  <text x="${width * 0.06}" y="${height * 0.82}" font-family="Segoe UI, DejaVu Sans, Arial, sans-serif" font-size="${Math.round(height / 9)}" font-weight="bold" fill="#ffffff">${COMPANY}</text>
  <text x="${width * 0.06}" y="${height * 0.9}" font-family="Segoe UI, DejaVu Sans, Arial, sans-serif" font-size="${Math.round(height / 30)}" fill="#ffffffcc">${caption}</text>
</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

/** Names of the demo's files, with what they show. */
const IMAGES = [
  { name: 'contoso-wallpaper.jpg', from: '#0b3d91', to: '#0078d4', caption: 'Desktop wallpaper' },
  { name: 'contoso-lock-screen.jpg', from: '#1b1b3a', to: '#5c2d91', caption: 'Lock screen' },
  { name: 'contoso-teams-blue.jpg', from: '#003966', to: '#00a4ef', caption: 'Teams background · Blue' },
  { name: 'contoso-teams-green.jpg', from: '#0b5a2a', to: '#7fba00', caption: 'Teams background · Green' },
  { name: 'contoso-teams-sunset.jpg', from: '#7a1f1f', to: '#ffb900', caption: 'Teams background · Sunset' },
] as const;

/** Uploads the demo's images and gives them to everyone (one assignment per element: each takes its own files). */
async function seedBranding(branding: BrandingFeature): Promise<void> {
  // Side by side: the upload's check decodes each whole image, the seed's largest cost.
  const hashes = await Promise.all(
    IMAGES.map(async (image) => {
      const bytes = await brandedImage(1920, 1080, image.from, image.to, image.caption);
      return (await branding.store.upload(Readable.from([bytes]), image.name, ACTOR, () => false)).sha256;
    }),
  );
  const [wallpaper, lockScreen, ...teams] = hashes as [string, string, ...string[]];
  const forEveryone = { enabled: true, conditions: {}, exclusions: {}, window: null };
  await branding.store.createAssignment({ ...forEveryone, name: 'Everyone: wallpaper', element: 'wallpaper', assets: [wallpaper] }, ACTOR);
  await branding.store.createAssignment({ ...forEveryone, name: 'Everyone: lock screen', element: 'lockScreen', assets: [lockScreen] }, ACTOR);
  await branding.store.createAssignment({ ...forEveryone, name: 'Everyone: Teams backgrounds', element: 'teamsBackgrounds', assets: teams }, ACTOR);
}

/** The users the demo's devices belong to: enabled members with a mailbox, in UPN order. */
export function demoFleetUsers(sim: RunningSimulator): string[] {
  return [...sim.control.tenant.users.values()]
    .filter((u) => u.accountEnabled && u.userType === 'Member' && u.mail)
    .map((u) => u.userPrincipalName.toLowerCase())
    .sort()
    .slice(0, DEMO_DEVICES);
}

/** Resolves once the directory copy finished its first round (the manifest is planned from it), or false after `timeoutMs`. */
async function directoryReady(ctx: OnrampContext, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await lastSyncAt(ctx.storage.db)) !== null) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** A previous release's version string, as an agent that has not applied the latest still reports ("" stays unmanaged). */
const olderVersion = (current: string) => (current ? `${current.slice(0, 24)}00000000` : '');

/**
 * ~Daily beacons of the past month from `DEMO_DEVICES` devices of these users, with the manifest each was
 * last served. Some devices went quiet (stale), some wait for a reboot, some are non-compliant, and some
 * still report an older wallpaper or Teams set (out of date).
 */
async function seedDevices(ctx: OnrampContext, branding: BrandingFeature, upns: readonly string[]): Promise<number> {
  const random = seededRandom(2026);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const now = ctx.clock.now().getTime();
  const writer = new BeaconWriter(ctx.storage.db, { retentionDays: ctx.config.devices.beaconRetentionDays, instanceId: ctx.instanceId }, ctx.clock, ctx.log);
  let seeded = 0;
  try {
    for (let i = 0; i < DEMO_DEVICES && i < upns.length; i++) {
      const upn = upns[i]!;
      const hostname = `CON-${i % 5 === 4 ? 'DT' : 'LT'}-${String(1001 + i)}`;
      // Quiet for 8–20 days: the "stale" filter and the boot-age chart's older buckets show it.
      const quietDays = i % 7 === 3 ? 8 + Math.floor(random() * 12) : 0;
      const lastSeen = now - quietDays * DAY_MS - Math.floor(random() * 6 * HOUR_MS);
      const servedAt = lastSeen - HOUR_MS;
      const { manifest } = await branding.manifests.plan(upn, hostname, new Date(servedAt));
      branding.served.record(manifest, iso(servedAt));
      const applied = packageVersionsOf(manifest);
      const outOfDate = i % 4 === 1;
      if (outOfDate) {
        applied.backgroundVersion = olderVersion(applied.backgroundVersion);
        if (random() < 0.5) applied.teamsBackgroundVersion = olderVersion(applied.teamsBackgroundVersion);
      }
      const model = pick(MODELS);
      const system = pick(SYSTEMS);
      const pendingReboot = i % 6 === 2;
      const compliant = i % 9 !== 5;
      // Boots every few days (some rarely), logons most working mornings: the charts get spread.
      const bootEveryDays = i % 8 === 0 ? 40 : 1 + Math.floor(random() * 10);
      let boot = now - HISTORY_DAYS * DAY_MS - Math.floor(random() * bootEveryDays * DAY_MS);
      for (let day = HISTORY_DAYS; day >= 0; day--) {
        const dayStart = lastSeen - day * DAY_MS;
        if (day > 0 && random() < 0.25) continue; // days off
        const logon = dayStart - Math.floor((1 + random() * 3) * HOUR_MS);
        if (logon - boot > bootEveryDays * DAY_MS) boot = logon - Math.floor(random() * HOUR_MS);
        const body: BeaconBody = {
          upn,
          hostname,
          operatingSystem: system,
          deviceModel: model,
          beaconLaunchTime: iso(dayStart),
          lastUseTime: iso(dayStart - 5 * 60_000),
          systemBootTime: iso(boot),
          lastLogonTime: iso(logon),
          // Until the last beacon each device reported the previous release: it applies the latest on its final day.
          ...(day === 0 ? applied : Object.fromEntries(Object.entries(applied).map(([field, v]) => [field, olderVersion(v)]))),
          pendingReboot: day === 0 && pendingReboot,
          compliant: day === 0 ? compliant : true,
        };
        writer.record(normaliseBeacon(body, ctx.config.devices), iso(dayStart));
      }
      seeded++;
    }
  } finally {
    // Written before the seed returns, so the first screen the admin opens shows them.
    await writer.close();
    await branding.served.flush();
  }
  return seeded;
}

/**
 * Seeds the demo's branding and fleet into an empty branding store (an admin's own files and
 * assignments are never touched; a second start seeds nothing). The devices wait for the directory
 * copy's first round, as their manifests are planned from it.
 */
export async function seedDemoFleet(ctx: OnrampContext, branding: BrandingFeature, upns: readonly string[]): Promise<void> {
  const [assets, assignments] = await Promise.all([branding.store.listAssets(), branding.store.listAssignments()]);
  if (assets.length > 0 || assignments.length > 0) return;
  const started = Date.now();
  await seedBranding(branding);
  if (!(await directoryReady(ctx, 30_000))) {
    ctx.log.warn('demo: the directory copy is not synced yet, so no demo devices were seeded');
    return;
  }
  const devices = await seedDevices(ctx, branding, upns);
  ctx.log.info({ devices, ms: Date.now() - started }, 'demo: branding and devices seeded');
}
