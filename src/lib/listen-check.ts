import { createServer } from 'node:net';
import { PortInUseError } from '../errors.js';

export interface ListenTarget {
  /** The setting that chose the port, named in the error (e.g. server.publicPort). */
  setting: string;
  host: string;
  port: number;
}

/**
 * Binds each target briefly and lets it go, so a port in use stops the start before any of onramp's
 * listeners opens (the device listener's port taken must not leave the public one serving meanwhile).
 * Port 0 is skipped: the system picks a free one at listen. Another process can still take a port in
 * the moment between; listen() then fails the same way (see portInUse).
 */
export async function assertPortsFree(targets: readonly ListenTarget[]): Promise<void> {
  for (const target of targets) {
    if (target.port === 0) continue;
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', (err) => reject(portInUse(err, target) ?? err));
      probe.listen({ host: target.host, port: target.port, exclusive: true }, () => probe.close(() => resolve()));
    });
  }
}

/** The PortInUseError for a listen() failure, or undefined when it failed for another reason. */
export function portInUse(err: unknown, target: ListenTarget): PortInUseError | undefined {
  return (err as NodeJS.ErrnoException)?.code === 'EADDRINUSE' ? new PortInUseError(target.setting, `${target.host}:${target.port}`, err) : undefined;
}
