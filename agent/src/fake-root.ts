/**
 * The platform for Linux tests and dry runs: every Windows folder under one root directory, the registry
 * recorded in `<root>/registry.json` (keys and value names compared case-insensitively, as Windows does),
 * device facts from Node's `os` module. Everything above the Platform interface runs unchanged on it.
 */
import { readFile } from 'node:fs/promises';
import { hostname, release, type, uptime } from 'node:os';
import { join } from 'node:path';
import { exists, readJson, writeJsonAtomic } from './files.js';
import { LOCAL_ACCOUNT } from './user.js';
import type { DeviceFacts, KnownFolders, Platform, Registry, RegistryKey, RegistryValue, SignedInUser } from './platform.js';

/** How a value is stored in registry.json: REG_BINARY as base64, so the file stays readable. */
type RecordedValue = { type: 'REG_SZ'; data: string } | { type: 'REG_DWORD'; data: number } | { type: 'REG_BINARY'; base64: string };
/** Key path (as first written) → value name (as first written) → value. */
export type RecordedRegistry = Record<string, Record<string, RecordedValue>>;

function findName<T>(record: Record<string, T>, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(record).find((k) => k.toLowerCase() === lower);
}

function toRecorded(value: RegistryValue): RecordedValue {
  return value.type === 'REG_BINARY' ? { type: 'REG_BINARY', base64: Buffer.from(value.data).toString('base64') } : value;
}

function fromRecorded(value: RecordedValue): RegistryValue {
  return value.type === 'REG_BINARY' ? { type: 'REG_BINARY', data: new Uint8Array(Buffer.from(value.base64, 'base64')) } : value;
}

export class RecordedRegistryFile implements Registry {
  /** Serialises writes: two appliers writing at once must not lose each other's values. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  async load(): Promise<RecordedRegistry> {
    return ((await readJson(this.file)) as RecordedRegistry | undefined) ?? {};
  }

  async read(key: RegistryKey, name: string): Promise<RegistryValue | null> {
    const all = await this.load();
    const keyName = findName(all, key);
    const values = keyName === undefined ? undefined : all[keyName];
    const valueName = values && findName(values, name);
    return values && valueName !== undefined ? fromRecorded(values[valueName]!) : null;
  }

  write(key: RegistryKey, name: string, value: RegistryValue): Promise<void> {
    const next = this.#queue.then(async () => {
      const all = await this.load();
      const keyName = findName(all, key) ?? key;
      const values = all[keyName] ?? {};
      all[keyName] = values;
      values[findName(values, name) ?? name] = toRecorded(value);
      await writeJsonAtomic(this.file, all);
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  async subkeys(key: RegistryKey): Promise<string[]> {
    const prefix = `${key.toLowerCase()}\\`;
    const names = new Set<string>();
    for (const path of Object.keys(await this.load())) {
      if (path.toLowerCase().startsWith(prefix)) names.add(path.slice(prefix.length).split('\\')[0]!);
    }
    return [...names];
  }
}

export interface FakeRootOptions {
  root: string;
  elevated?: boolean;
  /** The signed-in user's UPN; absent, the fake user is a local account, which has none. */
  upn?: string;
  /** Facts to report instead of this machine's (tests pin them). */
  facts?: Partial<DeviceFacts>;
}

export class FakeRootPlatform implements Platform {
  readonly kind = 'fake-root';
  readonly registry: RecordedRegistryFile;
  /** How often the shell was told settings changed: a real Windows would re-read the wallpaper then. */
  refreshes = 0;
  readonly #options: FakeRootOptions;

  constructor(options: FakeRootOptions) {
    this.#options = options;
    this.registry = new RecordedRegistryFile(join(options.root, 'registry.json'));
  }

  async folders(): Promise<KnownFolders> {
    const root = this.#options.root;
    return {
      appData: join(root, 'Users', 'user', 'AppData', 'Roaming'),
      localAppData: join(root, 'Users', 'user', 'AppData', 'Local'),
      agentData: join(root, 'Users', 'user', 'AppData', 'Local', 'onramp-agent'),
      programData: join(root, 'ProgramData', 'onramp'),
    };
  }

  async facts(): Promise<DeviceFacts> {
    const model = await readFile('/sys/class/dmi/id/product_name', 'utf8').then(
      (text) => text.trim() || null,
      () => null,
    );
    return {
      hostname: hostname(),
      operatingSystem: `${type()} ${release()}`,
      deviceModel: model,
      systemBootTime: new Date(Date.now() - uptime() * 1000).toISOString(),
      lastLogonTime: null,
      // Debian and Ubuntu's marker; the Windows platform reads Windows' own.
      pendingReboot: await exists('/var/run/reboot-required'),
      compliant: null,
      ...this.#options.facts,
    };
  }

  async signedInUser(): Promise<SignedInUser> {
    const upn = this.#options.upn;
    return upn ? { upn, source: 'the fake root (fakeRoot.upn)' } : { upn: null, reason: LOCAL_ACCOUNT };
  }

  async isElevated(): Promise<boolean> {
    return this.#options.elevated ?? false;
  }

  async refreshUserSettings(): Promise<void> {
    this.refreshes += 1;
  }
}
