import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';

/** A message the sink accepted (answered 250 to), parsed. */
export interface ReceivedMail {
  envelopeTo: string[];
  parsed: ParsedMail;
  messageId: string;
  subject: string;
}

export interface SmtpSinkOptions {
  /** Return a reply like `{ code: 451, message: '...' }` to refuse the recipient, or undefined to accept. */
  rcptRule?: (address: string) => { code: number; message: string } | undefined;
  /** Called before answering the DATA; the sink answers when the promise settles. */
  beforeAccept?: (mail: ReceivedMail) => Promise<void>;
  /** Requires SMTP AUTH (PLAIN/LOGIN, over the plain connection) with this password; wrong ones get 535. */
  password?: string;
}

/** A real SMTP server on loopback that keeps what it accepts (a message counts once the 250 is sent). */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  #server: SMTPServer;
  #closedSessions = new Set<string>();
  #openSessions = new Set<string>();
  port = 0;

  constructor(private readonly options: SmtpSinkOptions = {}) {
    this.#server = new SMTPServer({
      ...(options.password === undefined
        ? { authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'] }
        : {
            authOptional: false,
            allowInsecureAuth: true,
            disabledCommands: ['STARTTLS'],
            onAuth: (auth, _session, callback) =>
              auth.password === options.password
                ? callback(null, { user: auth.username })
                : callback(Object.assign(new Error('authentication failed'), { responseCode: 535 })),
          }),
      logger: false,
      onConnect: (session, callback) => {
        this.#openSessions.add(session.id);
        callback();
      },
      onClose: (session) => {
        this.#closedSessions.add(session.id);
        this.#openSessions.delete(session.id);
      },
      onRcptTo: (address: SMTPServerAddress, _session, callback) => {
        const refusal = this.options.rcptRule?.(address.address);
        if (!refusal) return callback();
        const err = new Error(refusal.message) as Error & { responseCode: number };
        err.responseCode = refusal.code;
        callback(err);
      },
      onData: (stream, session, callback) => {
        simpleParser(stream).then(
          async (parsed) => {
            const mail: ReceivedMail = {
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              parsed,
              messageId: parsed.messageId ?? '',
              subject: parsed.subject ?? '',
            };
            await this.options.beforeAccept?.(mail);
            // A client that vanished while we held the reply never learns of acceptance: not counted.
            if (this.#closedSessions.has(session.id)) return callback(new Error('client gone'));
            this.received.push(mail);
            callback();
          },
          (err: Error) => callback(err),
        );
      },
    });
    this.#server.on('error', () => {});
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.server.address() as AddressInfo).port;
    return this;
  }

  /** Client connections currently open. */
  get openSessions(): number {
    return this.#openSessions.size;
  }

  to(address: string): ReceivedMail[] {
    return this.received.filter((m) => m.envelopeTo.some((a) => a.toLowerCase() === address.toLowerCase()));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
