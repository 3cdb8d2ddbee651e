import type { OnrampConfig } from './config/config.js';
import type { Storage } from './db/dialect.js';
import type { Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';
import type { JobBoard } from './lib/recurring-job.js';
import type { ExchangePort, GraphPort } from './graph/graph-port.js';
import type { RunningSimulator } from './simulator/index.js';

/**
 * What every feature is built from. Features take the parts they need in their constructors
 * (pg-boss style `(db, config)`), never reach for globals.
 */
export interface OnrampContext {
  config: OnrampConfig;
  storage: Storage;
  log: Logger;
  clock: Clock;
  /** `serve --demo`: embedded database, in-process simulated tenant, sample data. */
  demo: boolean;
  /** Distinguishes this process among several sharing one database (lease holders, logs). */
  instanceId: string;
  /**
   * Microsoft Graph and Exchange Online. startOnramp always sets them (when `graph` is not configured,
   * to ports whose calls fail with "Microsoft Graph is not configured"); optional only so contexts built
   * by hand in tests need not carry them.
   */
  graph?: GraphPort;
  exchange?: ExchangePort;
  /** Statuses of the process's recurring jobs (readiness, metrics); startOnramp sets it. */
  jobs?: JobBoard;
  /** `serve --demo`: the in-process tenant simulator the Graph client points at (mailbox view, sign-in). */
  simulator?: RunningSimulator;
}
