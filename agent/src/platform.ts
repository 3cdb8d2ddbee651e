/**
 * What the agent needs of the operating system, and nothing more: the sync loop and the element
 * appliers are written against this interface only. Two implementations: Windows (the registry through
 * reg.exe, the real %APPDATA%/%LOCALAPPDATA% folders, Windows facts) and a fake root for Linux tests
 * and dry runs (every path under one folder, the registry recorded in a JSON file).
 */

/** Registry value kinds the agent writes. REG_BINARY is for Outlook before 16 (UTF-16LE, NUL-terminated). */
export type RegistryValue = { type: 'REG_SZ'; data: string } | { type: 'REG_DWORD'; data: number } | { type: 'REG_BINARY'; data: Uint8Array };

/** A key path with its hive first: `HKCU\Software\Microsoft\Office\16.0\Common\General`. Hives: HKCU, HKLM. */
export type RegistryKey = string;

export interface Registry {
  /** `null` when the key or the value does not exist. */
  read(key: RegistryKey, name: string): Promise<RegistryValue | null>;
  /** Creates the key as needed. */
  write(key: RegistryKey, name: string, value: RegistryValue): Promise<void>;
  /** Names of the direct subkeys (empty when the key does not exist). */
  subkeys(key: RegistryKey): Promise<string[]>;
}

/** Folders the agent writes into, resolved for the signed-in user (or SYSTEM for the machine part). */
export interface KnownFolders {
  /** %APPDATA% (roaming). */
  appData: string;
  /** %LOCALAPPDATA%. */
  localAppData: string;
  /** Where the agent keeps its state, cache and queued beacons (per user). */
  agentData: string;
  /** Machine-wide folder for images the SYSTEM part points PersonalizationCSP at (%ProgramData%\onramp). */
  programData: string;
}

/** The beacon facts only the OS knows (the seed's fields); `null` when not readable here. */
export interface DeviceFacts {
  hostname: string;
  operatingSystem: string;
  deviceModel: string | null;
  systemBootTime: string | null;
  lastLogonTime: string | null;
  pendingReboot: boolean | null;
  compliant: boolean | null;
}

/**
 * Whose session this is, for `upn: "auto"`: the UPN and where it was found, or why there is none (a
 * local account, SYSTEM). The gateway still checks the UPN against the certificate (docs/AGENT.md).
 */
export type SignedInUser = { upn: string; source: string } | { upn: null; reason: string };

export interface Platform {
  readonly kind: 'windows' | 'fake-root';
  readonly registry: Registry;
  folders(): Promise<KnownFolders>;
  facts(): Promise<DeviceFacts>;
  /** The signed-in user's UPN, found by the platform itself (`upn: "auto"`). */
  signedInUser(): Promise<SignedInUser>;
  /** Whether this process may write HKLM (the SYSTEM scheduled task): wallpaper/lock screen via PersonalizationCSP. */
  isElevated(): Promise<boolean>;
  /** Tell the shell a per-user setting changed (wallpaper, screensaver) so it applies without a logoff; best effort. */
  refreshUserSettings(): Promise<void>;
}
