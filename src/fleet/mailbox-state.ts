/**
 * A mailbox's signature state across the places it lands: what the planner expects now against the
 * Exchange push, each of its user's devices (beacon versions) and the Outlook add-in (its reports per
 * platform and kind of mail), each with a state and a sentence saying why. Domain logic only: the
 * facts come from the signatures' deployment state and the add-in's read module.
 */
import type { MailboxState as DeployedState } from '../signatures/deployment.schemas.js';
import type { AddinSignatureReport } from '../addin/addin-states.js';
import { SIGNATURE_STATES, type MailboxSignatureState, type SignatureState } from './people.schemas.js';

type Part = { state: SignatureState; reason: string | null };

const short = (version: string) => version.slice(0, 12);
const worse = (a: SignatureState, b: SignatureState): SignatureState => (SIGNATURE_STATES.indexOf(a) >= SIGNATURE_STATES.indexOf(b) ? a : b);

function exchangePart(s: DeployedState): Part & { result: string | null; at: string | null } {
  const row = s.exchange;
  const result = row?.result ?? null;
  const at = row ? (row.pushedAt ?? row.attemptedAt) : null;
  const roamingOn = s.roaming.enabled === true;
  const part = (state: SignatureState, reason: string | null) => ({ state, reason, result, at });
  if (!s.expected) return part(row?.pushedAt ? 'differs' : 'upToDate', row?.pushedAt ? 'Exchange holds a signature no rule gives any more' : null);
  if (row?.result === 'failed') return part('failed', `push failed: ${row.reason ?? 'no reason given'}`);
  // Even a copy pushed earlier is ignored by Outlook while roaming signatures are on.
  if (roamingOn) return part('failed', 'roaming signatures on: Exchange ignores pushed signatures');
  if (row?.upToDate) return part('upToDate', null);
  if (row?.result === 'blocked') return part('missing', 'not pushed since roaming signatures were turned off; the next push sets it');
  if (row?.result === 'gone') return part('missing', 'the mailbox is no longer in Exchange');
  if (!row?.pushedAt) return part('missing', 'not pushed to Exchange yet');
  return part('differs', 'Exchange holds an older version; the next push replaces it');
}

/** The hash a place should show for new mail and for replies ('' where no signature is the default). */
function expectedVersions(s: DeployedState): { new: string; reply: string } {
  const of = (use: 'new' | 'reply') => s.expected?.signatures.find((x) => x.defaultFor.includes(use))?.hash ?? '';
  return { new: of('new'), reply: of('reply') };
}

function devicePart(s: DeployedState, d: DeployedState['devices'][number]): Part {
  const want = expectedVersions(s);
  if (d.newSignatureVersion === want.new && d.replySignatureVersion === want.reply) return { state: 'upToDate', reason: null };
  // The beacon reports versions only; an empty one is all it says when Outlook has no profile or the agent wrote nothing.
  if (d.newSignatureVersion === '' && d.replySignatureVersion === '')
    return { state: 'missing', reason: `no signature on ${d.hostname} (no Outlook profile, or the agent has not written one yet)` };
  const which =
    d.newSignatureVersion !== want.new ? `new mail ${short(d.newSignatureVersion) || 'none'}` : `replies ${short(d.replySignatureVersion) || 'none'}`;
  return { state: 'differs', reason: `${d.hostname} reports an older version (${which})` };
}

function addinPart(s: DeployedState, r: AddinSignatureReport): Part {
  if (r.outcome === 'failed') return { state: 'failed', reason: `add-in reported failure on ${r.platform}: ${r.reason ?? 'no reason given'}` };
  const want = expectedVersions(s);
  // Appointments take the new-mail signature.
  const expected = r.compose === 'reply' ? want.reply : want.new;
  if (r.outcome === 'none')
    return expected === '' ? { state: 'upToDate', reason: null } : { state: 'missing', reason: `add-in inserted no signature on ${r.platform} (${r.compose})` };
  if (r.version === expected) return { state: 'upToDate', reason: null };
  return { state: 'differs', reason: `add-in inserted an older version on ${r.platform} (${r.compose})` };
}

export function mailboxSignatureState(s: DeployedState, addin: readonly AddinSignatureReport[]): MailboxSignatureState {
  const exchange = exchangePart(s);
  const devices = s.devices.map((d) => ({
    hostname: d.hostname,
    ...devicePart(s, d),
    newVersion: d.newSignatureVersion,
    replyVersion: d.replySignatureVersion,
    webVersion: d.webSignatureVersion,
    lastSeenAt: d.lastSeenAt,
  }));
  const reports = addin.map((r) => ({
    platform: r.platform,
    compose: r.compose,
    ...addinPart(s, r),
    version: r.version,
    hostVersion: r.hostVersion,
    reportedAt: r.reportedAt,
  }));
  const parts: Part[] = [exchange, ...devices, ...reports];
  let state: SignatureState = s.expected ? parts.reduce<SignatureState>((w, p) => worse(w, p.state), 'upToDate') : 'missing';
  const reasons = parts
    .filter((p) => p.reason !== null)
    .sort((a, b) => SIGNATURE_STATES.indexOf(b.state) - SIGNATURE_STATES.indexOf(a.state))
    .map((p) => p.reason!);
  if (!s.expected) {
    reasons.unshift('no rule gives this mailbox a signature');
    state = worse(state, exchange.state);
  }
  return {
    mailbox: s.mailbox,
    userPrincipalName: s.userPrincipalName,
    state,
    reasons,
    expected: s.expected,
    exchange,
    devices,
    addin: reports,
    roaming: { enabled: s.roaming.enabled, fix: s.roaming.fix },
  };
}
