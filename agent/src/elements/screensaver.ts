/**
 * Screensaver: the idle timeout and password-on-resume under `HKCU\Control Panel\Desktop` (REG_SZ, as
 * Windows writes them), and the file itself at `<agentData>\screensaver\current<ext>` with
 * `screensaver.json` beside it naming it, for a player to show.
 *
 * onramp ships no player. Windows' own Photos screensaver (PhotoScreensaver.scr) takes its folder from
 * an encrypted shell item id list (`EncryptedPIDL`), not a path one can write, and Windows has no video
 * screensaver. So SCRNSAVE.EXE is set only when `screensaverPlayer` names the organisation's .scr (one
 * that reads screensaver.json); without it the element sets the timeout and lock and says the picture is
 * not shown. A policy (`HKCU\Software\Policies\…\Control Panel\Desktop`) overrides all of it; that is
 * reported, not fought.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Screensaver } from '../../../src/branding/manifest.schemas.js';
import { isInside, writeIfChanged } from '../files.js';
import type { RegistryValue } from '../platform.js';
import { extensionOf, type ApplyContext, type ElementOutcome } from './element.js';

export const DESKTOP_KEY = 'HKCU\\Control Panel\\Desktop';
export const DESKTOP_POLICY_KEY = 'HKCU\\Software\\Policies\\Microsoft\\Windows\\Control Panel\\Desktop';

export async function applyScreensaver(desired: Screensaver, ctx: ApplyContext): Promise<ElementOutcome> {
  const folder = join(ctx.folders.agentData, 'screensaver');
  const media = join(folder, `current${extensionOf(desired.file.fileName)}`);
  await writeIfChanged(media, await ctx.asset(desired.file));
  const pointer = { path: media, contentType: desired.file.contentType, sha256: desired.file.sha256, version: desired.version };
  await writeIfChanged(join(folder, 'screensaver.json'), Buffer.from(`${JSON.stringify(pointer, null, 2)}\n`));

  const values: Array<[string, string]> = [
    ['ScreenSaveActive', '1'],
    ['ScreenSaveTimeOut', String(desired.timeoutSeconds)],
    ['ScreenSaverIsSecure', desired.secure ? '1' : '0'],
  ];
  if (ctx.config.screensaverPlayer) values.push(['SCRNSAVE.EXE', ctx.config.screensaverPlayer]);
  const registry = ctx.platform.registry;
  let changed = false;
  for (const [name, data] of values) {
    const current = await registry.read(DESKTOP_KEY, name);
    const value: RegistryValue = { type: 'REG_SZ', data };
    if (current?.type === 'REG_SZ' && current.data === data) continue;
    await registry.write(DESKTOP_KEY, name, value);
    changed = true;
  }
  const notes: string[] = [];
  if (!ctx.config.screensaverPlayer) notes.push(`no screensaverPlayer configured: SCRNSAVE.EXE left as it is, the file waits at ${media}`);
  const policy = await registry.read(DESKTOP_POLICY_KEY, 'ScreenSaveTimeOut');
  if (policy) notes.push('a policy sets the screensaver (Software\\Policies\\…\\Control Panel\\Desktop) and wins over these values');
  // Old files under other extensions are not left behind when the type changes.
  const owned = [media];
  for (const path of ctx.previous?.owned ?? []) if (path !== media && isInside(folder, path)) await rm(path, { force: true });
  return {
    status: 'applied',
    owned,
    packages: { screensaverVersion: desired.version },
    changedUserSettings: changed,
    ...(notes.length ? { detail: notes.join('; ') } : {}),
  };
}
