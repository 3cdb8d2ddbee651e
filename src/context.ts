import type { OnrampConfig } from './onramp-config.js';
import type { Storage } from './db/dialect.js';
import type { Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';
import type { JobBoard } from './db/recurring-job.js';
import type { ExchangePort, GraphPort } from './graph/graph-port.js';
import type { DemoMail } from './portal/mailbox.routes.js';
import type { OnrampMetrics } from './observability/metrics.js';

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
  /** Prometheus metrics of this instance, when `telemetry` asks for them (docs/OPERATIONS.md). */
  metrics?: OnrampMetrics;
  /** `serve --demo`: the in-process simulated tenant the Graph clients point at (wired in src/demo.ts). */
  demoTenant?: DemoTenant;
}

/** What features may use of the demo's simulated tenant; they never see the simulator itself. */
export interface DemoTenant {
  url: string;
  /** Sign-in against the tenant's identity platform (the portal's "Sign in with Microsoft"). */
  signIn: { issuer: string; clientId: string; clientSecret: string; caPem: string };
  /** The mailbox the invitations are sent from. */
  sharedMailbox: string;
  /** Display name of an account holding the Onramp.Admin role, for the start banner. */
  adminName: string;
  /** The mail the tenant received through Graph sendMail (the portal's Mailbox screen). */
  receivedMail(): DemoMail[];
  /** Subscribes to MFA registrations in the tenant; returns the unsubscribe. */
  onRegistration(listener: () => void): () => void;
}
