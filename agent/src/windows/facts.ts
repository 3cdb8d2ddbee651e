/**
 * Beacon facts from Windows. Which ones are exact and which best effort (docs/AGENT.md, "Windows"):
 * - hostname (os.hostname), OS name and build (CurrentVersion), model (BIOS key), boot time (os.uptime): exact.
 * - pending reboot: the three markers every reboot check reads (community practice, not a Microsoft
 *   contract); true when any is present.
 * - last logon: the time of the agent's first run in this logon session (the logon task runs it at
 *   logon), kept in `HKCU\Volatile Environment`, which Windows discards at logoff. Best effort.
 * - compliance: Intune keeps no readable local verdict, so `null` (the server can take it from Graph).
 */
import { hostname, uptime } from 'node:os';
import type { DeviceFacts } from '../platform.js';
import type { WindowsRegistry } from './registry.js';

const CURRENT_VERSION = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion';
const BIOS = 'HKLM\\HARDWARE\\DESCRIPTION\\System\\BIOS';
/** Per logon session: Windows creates it at logon and drops it at logoff. */
export const LOGON_SESSION_KEY = 'HKCU\\Volatile Environment';
export const LOGON_SEEN_VALUE = 'OnrampLogonSeen';

/** Keys whose presence means a reboot is pending (Component Based Servicing, Windows Update). */
const REBOOT_KEYS = [
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending',
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired',
];
/** Files queued to be renamed at the next boot. */
const RENAME_QUEUE = { key: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager', name: 'PendingFileRenameOperations' };

export interface VersionValues {
  productName: string | null;
  displayVersion: string | null;
  currentBuild: string | null;
  ubr: number | null;
}

/**
 * "Windows 11 Pro 23H2 (build 22631.4317)". ProductName still says "Windows 10" on Windows 11 (Microsoft
 * never changed the value), so the build decides: 22000 and later is Windows 11.
 */
export function operatingSystemName(v: VersionValues): string {
  const build = v.currentBuild && /^\d+$/.test(v.currentBuild) ? Number(v.currentBuild) : null;
  let name = (v.productName ?? 'Windows').replace(/^Microsoft /, '');
  if (build !== null && build >= 22000) name = name.replace(/^Windows 10\b/, 'Windows 11');
  const parts = [name];
  if (v.displayVersion) parts.push(v.displayVersion);
  if (build !== null) parts.push(`(build ${build}${v.ubr !== null ? `.${v.ubr}` : ''})`);
  return parts.join(' ');
}

/** "LENOVO 20XW0026GE"; null when the firmware leaves both empty (VMs, Wine). */
export function deviceModelName(manufacturer: string | null, product: string | null): string | null {
  const parts = [manufacturer?.trim(), product?.trim()].filter(
    (p): p is string => !!p && !/^(to be filled by o\.e\.m\.|default string|system product name)$/i.test(p),
  );
  return parts.length > 0 ? parts.join(' ') : null;
}

async function text(registry: WindowsRegistry, key: string, name: string): Promise<string | null> {
  const value = await registry.read(key, name);
  return value?.type === 'REG_SZ' && value.data !== '' ? value.data : null;
}

async function pendingReboot(registry: WindowsRegistry): Promise<boolean> {
  for (const key of REBOOT_KEYS) if (await registry.keyExists(key)) return true;
  return registry.valueExists(RENAME_QUEUE.key, RENAME_QUEUE.name);
}

/** The first run's time in this logon session, recorded now if this is the first run. */
async function lastLogon(registry: WindowsRegistry, now: Date): Promise<string | null> {
  const seen = await registry.read(LOGON_SESSION_KEY, LOGON_SEEN_VALUE);
  if (seen?.type === 'REG_SZ' && !Number.isNaN(Date.parse(seen.data))) return seen.data;
  const stamp = now.toISOString();
  try {
    await registry.write(LOGON_SESSION_KEY, LOGON_SEEN_VALUE, { type: 'REG_SZ', data: stamp });
    return stamp;
  } catch {
    return null;
  }
}

export async function windowsFacts(registry: WindowsRegistry, options: { systemAccount: boolean; now?: Date }): Promise<DeviceFacts> {
  const now = options.now ?? new Date();
  const [productName, displayVersion, currentBuild, ubr, manufacturer, product, reboot] = await Promise.all([
    text(registry, CURRENT_VERSION, 'ProductName'),
    text(registry, CURRENT_VERSION, 'DisplayVersion').then(async (v) => v ?? text(registry, CURRENT_VERSION, 'ReleaseId')),
    text(registry, CURRENT_VERSION, 'CurrentBuild'),
    registry.read(CURRENT_VERSION, 'UBR').then((v) => (v?.type === 'REG_DWORD' ? v.data : null)),
    text(registry, BIOS, 'SystemManufacturer'),
    text(registry, BIOS, 'SystemProductName'),
    pendingReboot(registry).catch(() => null),
  ]);
  return {
    hostname: hostname(),
    operatingSystem: operatingSystemName({ productName, displayVersion, currentBuild, ubr }),
    deviceModel: deviceModelName(manufacturer, product),
    // Whole seconds, so two runs in one boot report the same moment.
    systemBootTime: new Date(Math.floor((now.getTime() - uptime() * 1000) / 1000) * 1000).toISOString(),
    // SYSTEM has no logon session of a person: its HKCU is the machine account's.
    lastLogonTime: options.systemAccount ? null : await lastLogon(registry, now),
    pendingReboot: reboot,
    compliant: null,
  };
}
