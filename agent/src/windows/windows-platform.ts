/**
 * The Windows platform: the registry through reg.exe, the signed-in user's folders from the
 * environment Windows gives every process, facts from the registry and the OS, elevation by trying
 * the one thing elevation is for here (writing HKLM), and the shell's per-user refresh.
 */
import { execFile } from 'node:child_process';
// Windows paths whatever the host (tests run on Linux).
import { win32 } from 'node:path';
import type { DeviceFacts, KnownFolders, Platform, SignedInUser } from '../platform.js';
import { windowsFacts } from './facts.js';
import { WindowsRegistry } from './registry.js';
import { windowsSignedInUser } from './signed-in-user.js';

/** Where the elevation probe writes: the agent's own machine key (the SYSTEM part keeps its marker here too). */
export const MACHINE_KEY = 'HKLM\\SOFTWARE\\onramp';

/** The folders from the environment; throws when Windows did not set them (a service without a profile). */
export function knownFolders(env: NodeJS.ProcessEnv): KnownFolders {
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`%${name}% is not set: the agent needs a user profile (run it as the user or as SYSTEM, not as a profile-less service)`);
    return value;
  };
  const localAppData = need('LOCALAPPDATA');
  const programData = env.ProgramData ?? env.ALLUSERSPROFILE ?? 'C:\\ProgramData';
  return {
    appData: need('APPDATA'),
    localAppData,
    agentData: win32.join(localAppData, 'onramp-agent'),
    programData: win32.join(programData, 'onramp'),
  };
}

/** Whether this process runs as LocalSystem (the SYSTEM scheduled task), whose HKCU is not a person's. */
export function isSystemAccount(env: NodeJS.ProcessEnv): boolean {
  const profile = env.USERPROFILE ?? '';
  return /\\system32\\config\\systemprofile$/i.test(profile) || (env.USERNAME ?? '').endsWith('$');
}

export class WindowsPlatform implements Platform {
  readonly kind = 'windows' as const;
  readonly registry: WindowsRegistry;
  readonly #env: NodeJS.ProcessEnv;
  #elevated: Promise<boolean> | null = null;

  constructor(options: { env?: NodeJS.ProcessEnv; registry?: WindowsRegistry } = {}) {
    this.#env = options.env ?? process.env;
    this.registry = options.registry ?? new WindowsRegistry();
  }

  async folders(): Promise<KnownFolders> {
    return knownFolders(this.#env);
  }

  facts(): Promise<DeviceFacts> {
    return windowsFacts(this.registry, { systemAccount: isSystemAccount(this.#env) });
  }

  signedInUser(): Promise<SignedInUser> {
    // SYSTEM's HKCU and token are the machine's: no person to find (the machine part needs none).
    if (isSystemAccount(this.#env)) return Promise.resolve({ upn: null, reason: 'running as SYSTEM: no signed-in user here' });
    return windowsSignedInUser(this.registry, this.#env);
  }

  /** Elevation does not change within a process: asked once. */
  isElevated(): Promise<boolean> {
    this.#elevated ??= this.registry.write(MACHINE_KEY, 'ElevationProbe', { type: 'REG_DWORD', data: 1 }).then(
      () => true,
      () => false,
    );
    return this.#elevated;
  }

  /**
   * Asks the shell to re-read per-user settings (wallpaper, screensaver). The rundll32 entry point is
   * community practice, not documented by Microsoft, and does not always repaint the wallpaper; the
   * values still apply at the next logon. Never fails the sync.
   */
  refreshUserSettings(): Promise<void> {
    const rundll32 = win32.join(this.#env.SystemRoot ?? 'C:\\Windows', 'System32', 'rundll32.exe');
    return new Promise((resolve) => {
      execFile(rundll32, ['user32.dll,UpdatePerUserSystemParameters'], { windowsHide: true, timeout: 10_000 }, () => resolve());
    });
  }
}
