/** An SMTP server on loopback that accepts and counts mail, discarding it (the bench's mail relay). */
import { SMTPServer } from 'smtp-server';
import type { AddressInfo, Socket } from 'node:net';

export interface CountingSink {
  port: number;
  accepted(): number;
  stop(): Promise<void>;
}

export async function startCountingSink(): Promise<CountingSink> {
  let accepted = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        accepted++;
        callback();
      });
    },
  });
  // A relay answers each SMTP command at once: without TCP_NODELAY its small replies wait for delayed
  // ACKs (tens of ms per command on loopback), and the figures would measure that.
  server.server.on('connection', (socket: Socket) => socket.setNoDelay(true));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    accepted: () => accepted,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
