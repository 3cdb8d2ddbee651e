/**
 * Outlook classic signatures (Outlook 16, i.e. 2016 through Microsoft 365 Apps):
 * - files `<name>.htm`, `.rtf`, `.txt` and the `<name>_files\` images in `%APPDATA%\Microsoft\<folder>`,
 *   where `<folder>` is the localised name in `HKCU\…\Office\16.0\Common\General\Signatures`;
 * - the defaults `New Signature` / `Reply-Forward Signature` (REG_SZ, the name without extension) on
 *   every account key under `HKCU\…\Outlook\Profiles\<profile>\9375CFF0413111d3B88A00104B2A6676\` whose
 *   `Account Name` is the mailbox (REG_SZ or, as Outlook often stores it, UTF-16LE REG_BINARY).
 * Every .htm onramp writes carries a marker (`<meta name="onramp-signature">`): a signature without it
 * was made (or taken over and edited) by the user and is never overwritten or removed.
 * Before writing, it looks at what Outlook will do with the files: new Outlook ignores them, and
 * classic Outlook with roaming signatures on replaces them with the mailbox's, so in both cases it
 * reports what applies instead of writing.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestSignatures } from '../../../src/branding/manifest.schemas.js';
import type { DeviceSignatureSet } from '../../../src/signatures/deployment.schemas.js';
import { readIfExists, writeIfChanged } from '../files.js';
import type { Registry, RegistryValue } from '../platform.js';
import type { ApplyContext, ElementOutcome } from './element.js';

const OFFICE = 'HKCU\\Software\\Microsoft\\Office\\16.0';
export const SIGNATURE_FOLDER_KEY = `${OFFICE}\\Common\\General`;
export const OUTLOOK_SETUP_KEY = `${OFFICE}\\Outlook\\Setup`;
export const OUTLOOK_PREFERENCES_KEY = `${OFFICE}\\Outlook\\Preferences`;
/**
 * `Send Pictures With Document` = 1 (DWORD) makes classic Outlook embed a signature's images in the
 * message instead of linking them to the local `_files` folder, which recipients cannot open. [community, Set-OutlookSignatures]
 */
export const OUTLOOK_MAIL_OPTIONS_KEY = `${OFFICE}\\Outlook\\Options\\Mail`;
export const SEND_PICTURES_VALUE = 'Send Pictures With Document';
export const OUTLOOK_PROFILES_KEY = `${OFFICE}\\Outlook\\Profiles`;
/** The MAPI service key holding one subkey per mail account. */
export const ACCOUNTS_SUBKEY = '9375CFF0413111d3B88A00104B2A6676';
/** Where the roaming toggles may be: the user's, the machine's, and policy. */
const ROAMING_KEYS = [
  OUTLOOK_SETUP_KEY,
  'HKLM\\SOFTWARE\\Microsoft\\Office\\16.0\\Outlook\\Setup',
  'HKCU\\Software\\Policies\\Microsoft\\Office\\16.0\\Outlook\\Setup',
];
const ROAMING_VALUES = ['DisableRoamingSignaturesTemporaryToggle', 'DisableRoamingSignatures'];

export const SIGNATURE_MARKER = 'onramp-signature';
const MARKER_PATTERN = new RegExp(`<meta\\s+name=["']?${SIGNATURE_MARKER}["']?`, 'i');

/** Windows file-name rules: none of `\/:*?"<>|` or controls, no trailing dot or space, not a device name. */
function isSafeName(name: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what Windows refuses in names
  if (!name || name.length > 200 || /[\\/:*?"<>|\x00-\x1f]/.test(name) || /[. ]$/.test(name) || name === '.' || name === '..') return false;
  return !/^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i.test(name);
}

function withMarker(htm: string, version: string): string {
  const meta = `<meta name="${SIGNATURE_MARKER}" content="${version.replace(/[^A-Za-z0-9._-]/g, '')}">`;
  const head = /<head[^>]*>/i.exec(htm);
  if (head) return htm.slice(0, head.index + head[0].length) + meta + htm.slice(head.index + head[0].length);
  return meta + htm;
}

function asText(value: RegistryValue | null): string | null {
  if (!value) return null;
  if (value.type === 'REG_SZ') return value.data;
  if (value.type === 'REG_BINARY') return Buffer.from(value.data).toString('utf16le').replace(/\0+$/, '');
  return null;
}

async function dword(registry: Registry, key: string, name: string): Promise<number | null> {
  const value = await registry.read(key, name);
  return value?.type === 'REG_DWORD' ? value.data : null;
}

/** 'off' when any toggle says so, 'on' when one says so explicitly, 'unknown' when none is set. */
async function roamingState(registry: Registry): Promise<'off' | 'on' | 'unknown'> {
  let explicitOn = false;
  for (const key of ROAMING_KEYS) {
    for (const name of ROAMING_VALUES) {
      const value = await dword(registry, key, name);
      if (value === 1) return 'off';
      if (value === 0) explicitOn = true;
    }
  }
  return explicitOn ? 'on' : 'unknown';
}

/** Account keys (full paths) in any profile whose account is `mailbox`. */
async function accountKeysFor(registry: Registry, mailbox: string): Promise<string[]> {
  const keys: string[] = [];
  for (const profile of await registry.subkeys(OUTLOOK_PROFILES_KEY)) {
    const accounts = `${OUTLOOK_PROFILES_KEY}\\${profile}\\${ACCOUNTS_SUBKEY}`;
    for (const sub of await registry.subkeys(accounts)) {
      const name = asText(await registry.read(`${accounts}\\${sub}`, 'Account Name'));
      if (name?.toLowerCase() === mailbox.toLowerCase()) keys.push(`${accounts}\\${sub}`);
    }
  }
  return keys;
}

async function writeDefault(registry: Registry, key: string, name: string, signature: string): Promise<void> {
  const current = await registry.read(key, name);
  if (current?.type === 'REG_SZ' && current.data === signature) return;
  await registry.write(key, name, { type: 'REG_SZ', data: signature });
}

async function isOurs(folder: string, name: string): Promise<boolean | 'absent'> {
  const htm = await readIfExists(join(folder, `${name}.htm`));
  if (!htm) return 'absent';
  return MARKER_PATTERN.test(htm.toString('utf8'));
}

async function removeSignature(folder: string, name: string): Promise<void> {
  for (const ext of ['.htm', '.rtf', '.txt']) await rm(join(folder, `${name}${ext}`), { force: true });
  await rm(join(folder, `${name}_files`), { recursive: true, force: true });
}

/** Writes one signature's files; removes images in its `_files` folder that are no longer in it. */
async function writeSignature(folder: string, signature: DeviceSignatureSet['signatures'][number]): Promise<void> {
  const { name } = signature;
  await writeIfChanged(join(folder, `${name}.htm`), Buffer.from(withMarker(signature.htm, signature.version), 'utf8'));
  await writeIfChanged(join(folder, `${name}.rtf`), Buffer.from(signature.rtf, 'utf8'));
  // Outlook reads the .txt as the system code page unless it starts with a byte order mark.
  await writeIfChanged(join(folder, `${name}.txt`), Buffer.from(`\ufeff${signature.txt}`, 'utf8'));
  const wanted = new Set<string>();
  for (const file of signature.files) {
    wanted.add(file.path);
    await writeIfChanged(join(folder, ...file.path.split('/')), Buffer.from(file.base64, 'base64'));
  }
  const filesFolder = join(folder, `${name}_files`);
  const present = await readdir(filesFolder).catch(() => [] as string[]);
  for (const entry of present) if (!wanted.has(`${name}_files/${entry}`)) await rm(join(filesFolder, entry), { recursive: true, force: true });
}

/** Problems with the set's names and paths: anything that would write outside the signature folder. */
function unsafeParts(set: DeviceSignatureSet): string[] {
  const problems: string[] = [];
  for (const s of set.signatures) {
    if (!isSafeName(s.name)) problems.push(`signature name ${JSON.stringify(s.name)} is not a safe file name`);
    for (const f of s.files) {
      const [first, ...rest] = f.path.split('/');
      if (first !== `${s.name}_files` || rest.length === 0 || !rest.every(isSafeName))
        problems.push(`file ${JSON.stringify(f.path)} is not inside ${s.name}_files/`);
    }
  }
  return problems;
}

export async function applySignatures(desired: ManifestSignatures, set: DeviceSignatureSet, ctx: ApplyContext): Promise<ElementOutcome> {
  const registry = ctx.platform.registry;
  if ((await dword(registry, OUTLOOK_PREFERENCES_KEY, 'UseNewOutlook')) === 1) {
    return {
      status: 'skipped',
      detail: 'new Outlook is in use (UseNewOutlook=1): it does not read signature files; the Outlook add-in or the Exchange push applies there',
    };
  }
  const roaming = await roamingState(registry);
  if (roaming === 'on') {
    return {
      status: 'skipped',
      detail:
        'classic Outlook has roaming signatures on (DisableRoamingSignaturesTemporaryToggle=0): it would replace these files with the mailbox’s; ' +
        'the add-in applies, or set the toggle to 1 to let the agent write them',
    };
  }
  const problems = unsafeParts(set);
  if (problems.length > 0) return { status: 'failed', detail: `signature set refused: ${problems.join('; ')}` };

  const folderValue = asText(await registry.read(SIGNATURE_FOLDER_KEY, 'Signatures'));
  // Outlook's own default when the value is missing (English installations, Outlook never started).
  const folderName = folderValue && isSafeName(folderValue) ? folderValue : 'Signatures';
  const folder = join(ctx.folders.appData, 'Microsoft', folderName);

  const notes: string[] = [];
  const written: string[] = [];
  const conflicts: string[] = [];
  for (const signature of set.signatures) {
    if ((await isOurs(folder, signature.name)) === false) {
      conflicts.push(signature.name);
      continue;
    }
    await writeSignature(folder, signature);
    written.push(signature.name);
  }
  // Only when a signature onramp wrote has images, and only when not already set: a second sync writes nothing.
  const withImages = set.signatures.some((s) => written.includes(s.name) && s.files.length > 0);
  if (withImages && (await dword(registry, OUTLOOK_MAIL_OPTIONS_KEY, SEND_PICTURES_VALUE)) !== 1) {
    await registry.write(OUTLOOK_MAIL_OPTIONS_KEY, SEND_PICTURES_VALUE, { type: 'REG_DWORD', data: 1 });
  }
  const inSet = new Set(set.signatures.map((s) => s.name));
  for (const name of ctx.previous?.owned ?? []) {
    // Names come from the state file: one that is not a plain file name is not followed anywhere.
    if (inSet.has(name) || !isSafeName(name)) continue;
    const ours = await isOurs(folder, name);
    if (ours === true) await removeSignature(folder, name);
    else if (ours === false) notes.push(`"${name}" left the set but was edited by the user: kept`);
  }

  const defaults: Array<[string, string]> = [];
  if (desired.defaultNew && written.includes(desired.defaultNew)) defaults.push(['New Signature', desired.defaultNew]);
  if (desired.defaultReply && written.includes(desired.defaultReply)) defaults.push(['Reply-Forward Signature', desired.defaultReply]);
  let defaultsProblem: string | undefined;
  if (defaults.length > 0) {
    const accounts = await accountKeysFor(registry, set.mailbox);
    if (accounts.length === 0) {
      defaultsProblem = `no Outlook profile has an account named ${set.mailbox} yet (Outlook makes it at its first start): defaults not set, retried at the next sync`;
    }
    for (const key of accounts) for (const [name, signature] of defaults) await writeDefault(registry, key, name, signature);
  }
  if (roaming === 'unknown') notes.push('no roaming toggle is set: if the tenant has roaming signatures on, Outlook may replace these files');

  const owned = [...new Set([...written, ...(ctx.previous?.owned ?? []).filter((n) => inSet.has(n) && !conflicts.includes(n))])];
  if (conflicts.length > 0 || defaultsProblem) {
    const reasons = [
      ...conflicts.map((n) => `a signature named "${n}" exists that onramp did not write: left alone`),
      ...(defaultsProblem ? [defaultsProblem] : []),
    ];
    return { status: 'failed', detail: [...reasons, ...notes].join('; '), owned };
  }
  return {
    status: 'applied',
    owned,
    packages: {
      newSignatureVersion: desired.defaultNew ? desired.newSignatureVersion : '',
      replySignatureVersion: desired.defaultReply ? desired.replySignatureVersion : '',
      webSignatureVersion: desired.webSignatureVersion,
    },
    detail: [`${written.length} signature(s) in ${folder}`, ...notes].join('; '),
  };
}
