/**
 * The registry through reg.exe (no native module: the agent is one signed-once executable). Reads take
 * `reg query`'s listing when it is plain ASCII and otherwise `reg export` of that key, which is exact
 * for any character (reg-output.ts says why). Writes pass data as arguments: Node starts reg.exe with
 * CreateProcessW, so text arrives as UTF-16 whatever the code page.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, win32 } from 'node:path';
import type { Registry, RegistryKey, RegistryValue } from '../platform.js';
import {
  addArguments,
  decodeExport,
  exportedKey,
  exportedSubkeys,
  isExactListing,
  type Listing,
  listedToValue,
  parseExport,
  parseQuery,
} from './reg-output.js';

/** reg.exe by its full path, so a reg.exe earlier in PATH is never run (the SYSTEM task runs this too). */
export function regExePath(env: NodeJS.ProcessEnv = process.env): string {
  return win32.join(env.SystemRoot ?? env.windir ?? 'C:\\Windows', 'System32', 'reg.exe');
}

interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** A hung reg.exe must not hold the sync forever. */
const REG_TIMEOUT_MS = 20_000;

function run(file: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'buffer', windowsHide: true, timeout: REG_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (err as NodeJS.ErrnoException & { code?: unknown }).code : 0;
      // A spawn failure (no reg.exe) or a timeout is not an answer about the registry.
      if (err && typeof code !== 'number') return reject(err);
      resolve({ code: typeof code === 'number' ? code : 0, stdout, stderr: stderr.toString('latin1').trim() });
    });
  });
}

export class WindowsRegistry implements Registry {
  readonly #reg: string;

  constructor(reg: string = regExePath()) {
    this.#reg = reg;
  }

  async read(key: RegistryKey, name: string): Promise<RegistryValue | null> {
    const found = await this.#query(key, name);
    if (found === null) return null;
    if (found.exact) return found.listing.values[0] ? listedToValue(found.listing.values[0]) : null;
    const value = (await this.#export(key))?.values.get(name);
    return value && value.type !== 'other' ? value : null;
  }

  async write(key: RegistryKey, name: string, value: RegistryValue): Promise<void> {
    const target = name === '' ? ['/ve'] : ['/v', name];
    const result = await run(this.#reg, ['add', key, ...target, ...addArguments(value), '/f']);
    if (result.code !== 0)
      throw new Error(`reg add ${key} ${name || '(default)'} failed (exit ${result.code}): ${result.stderr || result.stdout.toString('latin1').trim()}`);
  }

  async subkeys(key: RegistryKey): Promise<string[]> {
    const found = await this.#query(key, null);
    if (found === null) return [];
    if (found.exact) return found.listing.subkeys;
    const exported = await this.#exportAll(key);
    return exported ? exportedSubkeys(exported, key) : [];
  }

  /** Whether the key exists (pending-reboot markers are keys without values). */
  async keyExists(key: RegistryKey): Promise<boolean> {
    return (await this.#query(key, null)) !== null;
  }

  /** Whether a value of any kind exists (REG_MULTI_SZ included, which read() does not return). */
  async valueExists(key: RegistryKey, name: string): Promise<boolean> {
    const found = await this.#query(key, name);
    return found !== null && found.listing.values.length > 0;
  }

  /** `null` when reg.exe says the key or value is not there (exit 1; it says nothing more telling, in any language). */
  async #query(key: RegistryKey, name: string | null): Promise<{ listing: Listing; exact: boolean } | null> {
    const target = name === null ? [] : name === '' ? ['/ve'] : ['/v', name];
    const result = await run(this.#reg, ['query', key, ...target]);
    if (result.code !== 0) return null;
    return { listing: parseQuery(result.stdout.toString('latin1'), key), exact: isExactListing(result.stdout) };
  }

  async #exportAll(key: RegistryKey) {
    const dir = await mkdtemp(join(tmpdir(), 'onramp-reg-'));
    try {
      const file = join(dir, 'key.reg');
      const result = await run(this.#reg, ['export', key, file, '/y']);
      if (result.code !== 0) return null;
      return parseExport(decodeExport(await readFile(file)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async #export(key: RegistryKey) {
    const keys = await this.#exportAll(key);
    return keys ? exportedKey(keys, key) : undefined;
  }
}
