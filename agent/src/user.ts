/**
 * Whose sync this is: the config's `upn`, or with `upn: "auto"` the signed-in user's, which the
 * platform finds (whoami /upn on Windows). One config then serves every user of a shared device; the
 * SYSTEM part (`machine`) needs no user. Whatever the source, the gateway binds the UPN to the
 * client certificate's, so a wrong guess is refused (ONRAMP_ERR_IDENTITY_MISMATCH), never served.
 */
import { AUTO_UPN, type AgentConfig } from './config.js';
import type { Platform, SignedInUser } from './platform.js';

/** Why a session without a UPN gets no per-user elements (both platforms say it this way). */
export const LOCAL_ACCOUNT = 'the signed-in account is a local account with no UPN (not Entra ID or AD): per-user elements skipped';

/** A UPN as the agent accepts one from the OS (not `DOMAIN\user`, which Wine's whoami prints for /upn). */
export function asUpn(text: string | undefined | null): string | null {
  const candidate = text?.trim() ?? '';
  return /^[^@\s\\/]+@[^@\s\\/]+\.[^@\s\\/]+$/.test(candidate) && candidate.length <= 256 ? candidate.toLowerCase() : null;
}

export async function userOf(config: AgentConfig, platform: Platform): Promise<SignedInUser> {
  if (config.upn !== AUTO_UPN) return { upn: config.upn, source: 'the config' };
  return platform.signedInUser();
}
