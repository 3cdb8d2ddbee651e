/**
 * Reading what reg.exe prints, without running it: `reg query` listings and `reg export` files. Pure
 * functions over text, so they are tested on Linux against outputs recorded from a real reg.exe
 * (fixtures/, recorded under Wine 8.0; Windows prints the same layout).
 *
 * `reg query` writes through the console's OEM code page: any character outside it comes out as `?`
 * (Wine and Windows alike), so a listing is exact only when it is plain ASCII. `reg export` writes
 * UTF-16LE and is always exact; the registry module falls back to it when a listing is not ASCII.
 */
import type { RegistryValue } from '../platform.js';

/** Hive names as reg.exe prints them, by the short names the agent uses. */
const HIVES: Record<string, string> = {
  HKCU: 'HKEY_CURRENT_USER',
  HKLM: 'HKEY_LOCAL_MACHINE',
  HKU: 'HKEY_USERS',
  HKCR: 'HKEY_CLASSES_ROOT',
};

/** `HKCU\Software\X` → `HKEY_CURRENT_USER\Software\X` (what reg.exe prints), trailing backslashes gone. */
export function longKeyName(key: string): string {
  const trimmed = key.replace(/\\+$/, '');
  const [hive, ...rest] = trimmed.split('\\');
  const long = HIVES[hive!.toUpperCase()] ?? hive!.toUpperCase();
  return [long, ...rest].join('\\');
}

/** One value line of a listing: its type and data as printed (data is text, hex or `0x…`). */
export interface ListedValue {
  name: string;
  type: string;
  data: string;
}

export interface Listing {
  values: ListedValue[];
  /** Direct subkeys' names. */
  subkeys: string[];
}

// Four spaces, the name, four spaces, the type, then four spaces and the data (nothing after an empty string).
const VALUE_LINE = /^ {4}(.*?) {4}(REG_[A-Z_]+)(?: {4}(.*))?$/;

/**
 * A `reg query <key>` (or `/v name`, `/ve`) listing: the values under the queried key's own header and
 * the subkeys printed as full paths below it. The default value's name is localised ("(Default)",
 * "(Standard)"…), so callers read it with `/ve` and take the only line, never by name.
 */
export function parseQuery(output: string, key: string): Listing {
  const own = longKeyName(key).toLowerCase();
  const values: ListedValue[] = [];
  const subkeys: string[] = [];
  let inOwnKey = false;
  for (const line of output.split(/\r?\n/)) {
    if (line.startsWith('HKEY_')) {
      const header = line.trimEnd();
      inOwnKey = header.toLowerCase() === own;
      if (!inOwnKey && header.toLowerCase().startsWith(`${own}\\`)) {
        const child = header.slice(own.length + 1);
        if (!child.includes('\\')) subkeys.push(child);
      }
      continue;
    }
    const m = inOwnKey ? VALUE_LINE.exec(line) : null;
    if (m) values.push({ name: m[1]!, type: m[2]!, data: m[3] ?? '' });
  }
  return { values, subkeys };
}

/** A listed value as the agent's value kinds; `null` for kinds it does not write (REG_MULTI_SZ, REG_QWORD…). */
export function listedToValue(listed: ListedValue): RegistryValue | null {
  switch (listed.type) {
    // An expandable string reads as the string it holds (Windows shows it unexpanded, and so do we).
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      return { type: 'REG_SZ', data: listed.data };
    case 'REG_DWORD': {
      const n = Number.parseInt(listed.data.replace(/^0x/i, ''), 16);
      return Number.isFinite(n) ? { type: 'REG_DWORD', data: n } : null;
    }
    case 'REG_BINARY':
      return /^([0-9a-fA-F]{2})*$/.test(listed.data) ? { type: 'REG_BINARY', data: Uint8Array.from(Buffer.from(listed.data, 'hex')) } : null;
    default:
      return null;
  }
}

/** Whether a listing's bytes can be trusted as printed: plain ASCII without the `?` an unmappable character becomes. */
export function isExactListing(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b > 0x7e || b === 0x3f) return false;
  return true;
}

/** One key of an export: its values by name (`''` is the default value) and nothing of its subkeys. */
export interface ExportedKey {
  key: string;
  values: Map<string, RegistryValue | { type: 'other'; kind: string }>;
}

/** The text of an export file: UTF-16LE with a byte-order mark (REGEDIT5), or UTF-8 when there is none. */
export function decodeExport(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes);
  if (buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString('utf16le');
  return buf.toString('utf8').replace(/^\uFEFF/, '');
}

/** A quoted .reg string starting at `text[start]` (`"`): its value and the index after the closing quote. */
function readQuoted(text: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  while (i < text.length && text[i] !== '"') {
    if (text[i] === '\\' && i + 1 < text.length) i += 1;
    value += text[i];
    i += 1;
  }
  return { value, end: i + 1 };
}

function hexBytes(list: string): Uint8Array {
  const parts = list
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return Uint8Array.from(parts.map((p) => Number.parseInt(p, 16)));
}

/** The export's data part (after `=`) as a value. */
function exportedData(data: string): RegistryValue | { type: 'other'; kind: string } {
  if (data.startsWith('"')) return { type: 'REG_SZ', data: readQuoted(data, 0).value };
  if (data.startsWith('dword:')) return { type: 'REG_DWORD', data: Number.parseInt(data.slice(6), 16) };
  if (data.startsWith('hex:')) return { type: 'REG_BINARY', data: hexBytes(data.slice(4)) };
  const typed = /^hex\(([0-9a-f]+)\):(.*)$/i.exec(data);
  // hex(2) is REG_EXPAND_SZ as UTF-16LE with its NUL: read as a string, as the listing does.
  if (typed?.[1] === '2') return { type: 'REG_SZ', data: Buffer.from(hexBytes(typed[2]!)).toString('utf16le').replace(/\0+$/, '') };
  return { type: 'other', kind: typed ? `hex(${typed[1]})` : data.slice(0, 16) };
}

/** Every key of a `reg export` file, in file order. Hex lists continued over lines (`\` at the end) are joined first. */
export function parseExport(text: string): ExportedKey[] {
  const lines = text.replace(/\\\r?\n\s*/g, '').split(/\r?\n/);
  const keys: ExportedKey[] = [];
  let current: ExportedKey | null = null;
  for (const line of lines) {
    if (line.startsWith('[') && line.trimEnd().endsWith(']')) {
      current = { key: line.trimEnd().slice(1, -1), values: new Map() };
      keys.push(current);
      continue;
    }
    if (!current) continue;
    if (line.startsWith('@=')) current.values.set('', exportedData(line.slice(2)));
    else if (line.startsWith('"')) {
      const { value: name, end } = readQuoted(line, 0);
      if (line[end] === '=') current.values.set(name, exportedData(line.slice(end + 1)));
    }
  }
  return keys;
}

/** The export's entry for `key` (case-insensitive, as the registry is), or undefined. */
export function exportedKey(keys: ExportedKey[], key: string): ExportedKey | undefined {
  const wanted = longKeyName(key).toLowerCase();
  return keys.find((k) => k.key.toLowerCase() === wanted);
}

/** Direct subkeys of `key` named in an export. */
export function exportedSubkeys(keys: ExportedKey[], key: string): string[] {
  const prefix = `${longKeyName(key).toLowerCase()}\\`;
  return keys.filter((k) => k.key.toLowerCase().startsWith(prefix) && !k.key.slice(prefix.length).includes('\\')).map((k) => k.key.slice(prefix.length));
}

/** reg.exe's `/d` argument for a value: text, decimal, or hex bytes. */
export function addArguments(value: RegistryValue): string[] {
  switch (value.type) {
    case 'REG_SZ':
      return ['/t', 'REG_SZ', '/d', value.data];
    case 'REG_DWORD':
      return ['/t', 'REG_DWORD', '/d', String(value.data >>> 0)];
    case 'REG_BINARY':
      return ['/t', 'REG_BINARY', '/d', Buffer.from(value.data).toString('hex')];
  }
}
