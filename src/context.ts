import type { OnrampConfig } from './config/config.js';
import type { Storage } from './db/dialect.js';
import type { Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';

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
}
