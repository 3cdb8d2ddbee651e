/**
 * The signed-in user's UPN on Windows (`upn: "auto"`), in this order:
 * 1. `whoami.exe /upn` [MS]: the token's UPN, for Entra ID and AD accounts alike, with no network. A
 *    local account has none (whoami exits non-zero). Wine's whoami ignores `/upn` and prints
 *    `DOMAIN\user` with exit 0, so only output shaped like a UPN counts.
 * 2. Office's signed-in work identity [community]: `EmailAddress` under
 *    `HKCU\Software\Microsoft\Office\16.0\Common\Identity\Identities\<id>_ADAL` (`_ADAL` keys are work
 *    or school accounts; `_LiveId` keys, personal Microsoft accounts, are not read). It covers a local
 *    Windows account whose Office is signed in to the tenant. Taken only when all work identities name
 *    one address: with two, the agent cannot tell whose session this is.
 * Neither: a local account, and per-user elements are skipped. The certificate's SAN is not a source:
 * a certificate file in the device-wide config is the same for every user of a shared device, so it
 * cannot say who is signed in (the gateway checks the UPN against it anyway).
 */
import { execFile } from 'node:child_process';
import { win32 } from 'node:path';
import type { Registry, SignedInUser } from '../platform.js';
import { asUpn, LOCAL_ACCOUNT } from '../user.js';

export const OFFICE_IDENTITIES_KEY = 'HKCU\\Software\\Microsoft\\Office\\16.0\\Common\\Identity\\Identities';
const WHOAMI_TIMEOUT_MS = 10_000;

/** whoami.exe by its full path, as reg.exe: nothing earlier in PATH is run. */
export function whoamiUpn(env: NodeJS.ProcessEnv): Promise<string | null> {
  const whoami = win32.join(env.SystemRoot ?? env.windir ?? 'C:\\Windows', 'System32', 'whoami.exe');
  return new Promise((resolve) => {
    execFile(whoami, ['/upn'], { windowsHide: true, timeout: WHOAMI_TIMEOUT_MS }, (err, stdout) => resolve(err ? null : asUpn(stdout)));
  });
}

/** The one address Office's work identities name, or null (none, or several different ones). */
export async function officeWorkIdentity(registry: Registry): Promise<string | null> {
  const addresses = new Set<string>();
  for (const id of await registry.subkeys(OFFICE_IDENTITIES_KEY)) {
    if (!/_ADAL$/i.test(id)) continue;
    const value = await registry.read(`${OFFICE_IDENTITIES_KEY}\\${id}`, 'EmailAddress');
    const upn = value?.type === 'REG_SZ' ? asUpn(value.data) : null;
    if (upn) addresses.add(upn);
  }
  return addresses.size === 1 ? [...addresses][0]! : null;
}

export async function windowsSignedInUser(registry: Registry, env: NodeJS.ProcessEnv, whoami = whoamiUpn): Promise<SignedInUser> {
  const fromToken = await whoami(env);
  if (fromToken) return { upn: fromToken, source: 'whoami /upn' };
  const fromOffice = await officeWorkIdentity(registry).catch(() => null);
  if (fromOffice) return { upn: fromOffice, source: `Office's work identity (${OFFICE_IDENTITIES_KEY})` };
  return { upn: null, reason: LOCAL_ACCOUNT };
}
