/**
 * The demo's Mailbox: the emails the in-process tenant simulator received through Graph sendMail, so a
 * new user can open an invitation and click through the journey in the browser. Registered only when
 * the simulator runs in-process (`serve --demo`); a real tenant's mail is never readable here.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { OnrampError } from '../errors.js';
import { requireRole } from '../auth/auth.plugin.js';
import { escapeHtml } from '../lib/html.js';
import { MailboxAnswer } from './portal.schemas.js';

/**
 * An email's HTML is foreign content: it is served on its own URL under a CSP sandbox (no scripts, an
 * opaque origin, so no access to the portal or its cookies), shown in a sandboxed iframe. Inline styles
 * and remote images are allowed, as a mail client shows them; links open in a new tab.
 */
const MAIL_CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  'img-src http: https: data:',
  "frame-ancestors 'self'",
  'sandbox allow-popups allow-popups-to-escape-sandbox',
].join('; ');

/** An email as the demo's simulated tenant received it. */
export interface DemoMail {
  id: string;
  from: string;
  to: Array<{ address: string }>;
  subject: string;
  sentAt: string;
  contentType: 'html' | 'text';
  body: string;
  attachments: Array<{ name: string }>;
}

export async function mailboxRoutes(app: FastifyInstance, { receivedMail }: { receivedMail: () => DemoMail[] }): Promise<void> {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  // Invitations carry working sign-up links, so only admins read them.
  const guard = requireRole('admin');

  typed.get(
    '/api/admin/mailbox',
    {
      preHandler: guard,
      schema: { tags: ['demo'], summary: 'Demo only: emails the simulated tenant received, newest first', response: { 200: MailboxAnswer } },
    },
    async () => {
      const messages = receivedMail().reverse();
      return {
        messages: messages.map((m) => ({
          id: m.id,
          from: m.from,
          to: m.to.map((r) => r.address),
          subject: m.subject,
          sentAt: m.sentAt,
          contentType: m.contentType,
          attachments: m.attachments.map((a) => a.name),
        })),
      };
    },
  );

  typed.get(
    '/api/admin/mailbox/:id/body',
    {
      preHandler: guard,
      schema: { tags: ['demo'], summary: "Demo only: one email's body as a sandboxed page", params: Type.Object({ id: Type.String({ maxLength: 200 }) }) },
    },
    async (req, reply) => {
      const mail = receivedMail().find((m) => m.id === req.params.id);
      if (!mail) throw new OnrampError('ONRAMP_ERR_NOT_FOUND', [`mail ${req.params.id}`]);
      const content = mail.contentType === 'html' ? mail.body : `<pre style="white-space:pre-wrap;font-family:inherit">${escapeHtml(mail.body)}</pre>`;
      return reply
        .header('content-security-policy', MAIL_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(`<!doctype html><meta charset="utf-8"><base target="_blank">${content}`);
    },
  );
}
