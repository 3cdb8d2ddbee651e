/**
 * A small SignaturePlanner over the directory copy, for the deployment's tests and bench until the
 * store's planner (rules, templates, the template engine) is wired in: every enabled user with mail is
 * in scope, and gets one template rendered from their profile, the default for new mail and replies
 * (or, with `replyTemplate`, a second one for replies). It counts what it rendered, per mailbox.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import type { DirectoryProfile } from '../../src/graph/graph-port.js';
import { escapeHtml } from '../../src/lib/html.js';
import type { ExpectedMailboxSignatures, ExpectedSignature, RenderedSignature, SignaturePlanner } from '../../src/signatures/model.js';

type Users = { sorted: Array<{ mailbox: string; profile: DirectoryProfile }>; byMailbox: Map<string, { mailbox: string; profile: DirectoryProfile }> };

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function renderProfile(profile: DirectoryProfile, template: string): RenderedSignature {
  const fill = (encode: (s: string) => string) =>
    template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      const value = (profile as unknown as Record<string, unknown>)[name];
      return encode(Array.isArray(value) ? String(value[0] ?? '') : String(value ?? ''));
    });
  const webHtml = fill(escapeHtml);
  const txt = fill((s) => s).replace(/<[^>]+>/g, '');
  const htm = `<html><head><meta charset="utf-8"></head><body>${webHtml}</body></html>`;
  const rtf = `{\\rtf1\\ansi ${txt.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0)}?`)}}`;
  return { webHtml, htm, rtf, txt, files: [], hash: sha256(JSON.stringify([webHtml, htm, rtf, txt])) };
}

export class DirectoryPlanner implements SignaturePlanner {
  /** Renders per mailbox, so tests can tell who was re-rendered. */
  readonly rendered = new Map<string, number>();
  template = '<p>{{displayName}}</p><p>{{jobTitle}} · {{department}}</p>';
  replyTemplate: string | null = null;
  templateVersion = 1;

  constructor(private readonly db: Kysely<Database>) {}

  async mailboxesInScope(after: string | null, limit: number): Promise<string[]> {
    const { sorted } = await this.#users();
    return sorted
      .filter((u) => after === null || u.mailbox > after)
      .slice(0, limit)
      .map((r) => r.mailbox);
  }

  async expectedFor(mailbox: string): Promise<ExpectedMailboxSignatures | null> {
    const user = (await this.#users()).byMailbox.get(mailbox.toLowerCase());
    if (!user) return null;
    this.rendered.set(user.mailbox, (this.rendered.get(user.mailbox) ?? 0) + 1);
    const signatures: ExpectedSignature[] = [
      {
        templateId: 1,
        templateVersion: this.templateVersion,
        name: 'Contoso',
        defaultFor: this.replyTemplate ? ['new'] : ['new', 'reply'],
        rendered: renderProfile(user.profile, this.template),
      },
    ];
    if (this.replyTemplate)
      signatures.push({
        templateId: 2,
        templateVersion: 1,
        name: 'Contoso reply',
        defaultFor: ['reply'],
        rendered: renderProfile(user.profile, this.replyTemplate),
      });
    return {
      mailbox: user.mailbox,
      userPrincipalName: user.profile.userPrincipalName,
      signatures,
      verdicts: [],
      setHash: sha256(JSON.stringify(signatures.map((s) => [s.name, s.defaultFor, s.rendered.hash]))),
    };
  }

  #cache: Users | undefined;

  /** Forgets the directory copy read so far: call it after changing the directory. */
  refresh(): void {
    this.#cache = undefined;
  }

  /** The directory copy, read once until refresh() (a 10,000-mailbox run asks once per mailbox). */
  async #users(): Promise<Users> {
    if (this.#cache) return this.#cache;
    const rows = await this.db.selectFrom('directory_user').select(['profile', 'account_enabled']).where('account_enabled', '=', 1).execute();
    const sorted = rows
      .map((r) => JSON.parse(r.profile) as DirectoryProfile)
      .filter((p) => p.mail)
      .map((profile) => ({ mailbox: profile.mail!.toLowerCase(), profile }))
      .sort((a, b) => (a.mailbox < b.mailbox ? -1 : a.mailbox > b.mailbox ? 1 : 0));
    const users = { sorted, byMailbox: new Map(sorted.map((u) => [u.mailbox, u])) };
    this.#cache = users;
    return users;
  }
}
