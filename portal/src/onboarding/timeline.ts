/**
 * A user's history in words: each event type of onboarding.domain.ts (USER_EVENT) and of the invitation
 * run (WORKFLOW_EVENT in invitations.rules.ts) as a sentence, with its details woven in. An event type
 * this list does not know yet is still shown, by its name and details.
 */
import { detailsText } from '../shell/words.ts';

type Detail = Record<string, unknown>;

const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

const SENTENCES: Record<string, (d: Detail) => string> = {
  uploaded: (d) => `Added to the campaign in batch ${text(d.batchId)}${d.row ? ` (line ${text(d.row)} of the file)` : ''}`,
  reuploaded: (d) => `Uploaded again in batch ${text(d.batchId)}: a new invitation cycle with a new link`,
  'link-opened': () => 'Opened the setup link',
  clicked: () => 'Confirmed on the setup page',
  'added-to-group': (d) => (d.by === 'workflow' ? 'Added to the MFA group by the invitation run' : 'Added to the MFA group'),
  'group-add-failed': (d) => `Could not be added to the MFA group: ${text(d.reason)}`,
  'email-opened': () => 'Opened the invitation email',
  'resend-requested': (d) =>
    `A new invitation was asked for${d.previousStatus ? ` (was ${text(d.previousStatus)})` : ''}${d.bulk ? ' for many users at once' : ''}: the old link offers a fresh one`,
  removed: () => 'Removed from the campaign',
  'marked-excluded': (d) => `Excluded: ${text(d.reason)}; no email is sent`,
  invited: (d) => `Invitation sent${d.address ? ` to ${text(d.address)}` : ''}`,
  reminded: (d) => `Reminder ${text(d.reminder)} sent${d.address ? ` to ${text(d.address)}` : ''}`,
  escalated: (d) => `Escalated to their manager${d.manager ? ` (${text(d.manager)})` : ''}`,
  'escalation-skipped': (d) => `Not escalated: ${text(d.reason)}`,
  excluded: (d) => `Excluded: ${text(d.reason)}; no email is sent`,
  activated: () => 'Registered for MFA: Active',
  overdue: (d) => `Overdue: not registered after ${text(d.reminders)} reminders; no more email`,
  'email-failed': (d) =>
    `The ${text(d.kind) || 'email'}${d.to && String(d.to).includes('@') ? ` to ${text(d.to)}` : ''} could not be delivered: ${text(d.reason)}`,
  'lookup-failed': (d) => `Directory lookup failed (attempt ${text(d.attempt)} of ${text(d.of)}): ${text(d.reason)}`,
};

export function eventSentence(type: string, detail: unknown): string {
  const d = detail !== null && typeof detail === 'object' ? (detail as Detail) : {};
  const sentence = SENTENCES[type];
  if (sentence) return sentence(d);
  const rest = detailsText(d);
  return `${type.replaceAll('-', ' ')}${rest ? `: ${rest}` : ''}`;
}

/** Who did it, in words: the user through their link, the invitation run, an API token, or an admin. */
export function actorText(actor: string): string {
  if (actor === 'user') return 'by the user';
  if (actor === 'system') return 'by the invitation run';
  if (actor.startsWith('token:')) return `by API token “${actor.slice(6)}”`;
  if (actor.startsWith('admin:')) return `by ${actor.slice(6)}`;
  return `by ${actor}`;
}
