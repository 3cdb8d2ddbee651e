import { connect, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { GraphPort, MailMessage } from '../graph/graph-port.js';
import { UpstreamError } from '../graph/graph-port.js';
import type { Static } from '@sinclair/typebox';
import type { mailConfig } from './mail.config.js';

/** Thrown by a transport. `permanent`: retrying cannot help (5xx from SMTP, 4xx from Graph). */
export class MailDeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MailDeliveryError';
  }
}

export interface MailTransport {
  readonly name: string;
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

export type MailSettings = Static<typeof mailConfig>;

const CONNECTION_TIMEOUT_MS = 15_000;

export class SmtpTransport implements MailTransport {
  readonly name = 'smtp';
  readonly #transporter: nodemailer.Transporter;
  readonly #from: { name: string; address: string };

  constructor(settings: MailSettings, extra: Partial<SMTPTransport.Options> = {}) {
    this.#from = { name: settings.fromName, address: settings.from };
    this.#transporter = nodemailer.createTransport({
      host: settings.smtpHost,
      port: settings.smtpPort,
      secure: settings.smtpSecure,
      ...(settings.smtpUser ? { auth: { user: settings.smtpUser, pass: settings.smtpPassword ?? '' } } : {}),
      // One connection reused for a whole delivery round instead of a handshake per email.
      pool: true,
      maxConnections: settings.concurrency,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
      getSocket: (_options, callback) => openRelaySocket(settings.smtpHost, settings.smtpPort, CONNECTION_TIMEOUT_MS, callback),
      ...extra,
    });
  }

  async send(message: MailMessage): Promise<void> {
    try {
      await this.#transporter.sendMail({
        from: this.#from,
        to: message.to,
        cc: message.cc,
        subject: message.subject,
        html: message.html,
        text: message.text,
        attachments: message.attachments,
        messageId: message.messageId,
      });
    } catch (err) {
      throw classifySmtpError(err);
    }
  }

  async close(): Promise<void> {
    this.#transporter.close();
  }
}

/**
 * The TCP connection to the relay, opened with TCP_NODELAY, which nodemailer does not set: SMTP is a
 * dialogue of small commands, and without it each waited for the relay's delayed ACK (about 40 ms),
 * so a pooled connection sent some 20 emails a second however fast the relay was. nodemailer then
 * speaks SMTP over it as over its own socket (implicit TLS and STARTTLS included).
 */
function openRelaySocket(host: string, port: number, timeoutMs: number, callback: (err: Error | null, socketOptions?: { connection: Socket }) => void): void {
  const socket = connect({ host, port });
  socket.setNoDelay(true);
  let settled = false;
  const settle = (err: Error | null) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (err) {
      socket.destroy();
      callback(err);
      return;
    }
    socket.removeAllListeners('error');
    callback(null, { connection: socket });
  };
  const timer = setTimeout(() => settle(Object.assign(new Error(`connection to ${host}:${port} timed out`), { code: 'ETIMEDOUT' })), timeoutMs);
  socket.once('error', settle);
  socket.once('connect', () => settle(null));
}

/**
 * Replies that refuse onramp itself rather than the recipient: authentication required or failed, a
 * stronger mechanism or encryption required. A misconfigured relay, which an admin can fix, must not
 * fail every queued email at once: these are retried like a 4xx.
 */
const SMTP_SENDER_REFUSED = new Set([530, 534, 535, 538]);

/** SMTP reply 5xx is a refusal (unknown mailbox, policy); 4xx, network failures and relay set-up faults are worth retrying. */
export function classifySmtpError(err: unknown): MailDeliveryError {
  const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const reason = (e.response ?? e.message ?? String(err)).trim().slice(0, 300);
  if (code !== undefined) {
    const refused = code >= 500 && !SMTP_SENDER_REFUSED.has(code) && e.code !== 'EAUTH';
    return new MailDeliveryError(`SMTP ${code}: ${reason}`, refused, { cause: err });
  }
  return new MailDeliveryError(`SMTP ${e.code ?? 'error'}: ${reason}`, false, { cause: err });
}

/** Sends as a shared mailbox through Graph (Mail.Send application permission). */
export class GraphMailTransport implements MailTransport {
  readonly name = 'graph';
  constructor(
    private readonly graph: Pick<GraphPort, 'sendMail'>,
    private readonly mailbox: string,
  ) {}

  async send(message: MailMessage): Promise<void> {
    try {
      await this.graph.sendMail(this.mailbox, message);
    } catch (err) {
      if (err instanceof UpstreamError) {
        // Graph takes a message and bounces undeliverable recipients later, so only a 400 (malformed, a
        // bad address) or a 413 refuses the message itself. 401/403/404 refuse onramp (token, Mail.Send
        // permission, the shared mailbox): set-up faults an admin fixes, retried like throttling.
        const refused = err.status === 400 || err.status === 413;
        throw new MailDeliveryError(`Graph ${err.status} ${err.code}: ${err.message}`.slice(0, 300), refused, { cause: err });
      }
      throw new MailDeliveryError(`Graph: ${(err as Error).message}`.slice(0, 300), false, { cause: err });
    }
  }

  async close(): Promise<void> {}
}

/**
 * The configured transport. With `demoMailbox` (serve --demo) mail goes through Graph to the simulated
 * tenant's shared mailbox, whatever `mail.transport` says, so the demo shows it.
 */
export function createMailTransport(settings: MailSettings, graph: Pick<GraphPort, 'sendMail'> | undefined, demoMailbox?: string): MailTransport {
  if (demoMailbox && graph) return new GraphMailTransport(graph, demoMailbox);
  if (settings.transport === 'graph') {
    if (!graph) throw new Error('mail.transport is graph but Microsoft Graph is not available');
    return new GraphMailTransport(graph, settings.from);
  }
  return new SmtpTransport(settings);
}
