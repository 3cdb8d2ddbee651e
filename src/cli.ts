#!/usr/bin/env node
import { Command } from 'commander';
import { configReference, loadConfig, redactConfig, type OnrampConfig } from './onramp-config.js';
import { openStorage } from './db/dialect.js';
import { migrateToLatest } from './db/migrations/index.js';
import { isStartupError } from './errors.js';
import { createLogger } from './lib/logger.js';
import { startOnramp } from './main.js';
import { registerMailCommands } from './mail/mail.cli.js';
import { registerCampaignCommands } from './onboarding/campaign.cli.js';
import { connectGraph, type GraphConnector } from './graph/connect.js';
import { registerCertsCommands } from './gateway/certs.command.js';
import { registerAuthCommands } from './auth/auth.cli.js';
import { registerSimCommand } from './simulator/sim.command.js';
import { emailGivenUp } from './onboarding/invitations.service.js';
import { systemClock } from './lib/clock.js';
import { registerBackupCommands } from './db/backup.command.js';
import { registerSignatureCommands } from './signatures/sos-import/import-sos.cli.js';

const program = new Command();
program
  .name('onramp')
  .description('MFA onboarding, Outlook signatures and device telemetry for Microsoft 365, self-hosted.')
  .option('-c, --config <file>', 'configuration file (default ./onramp.config.json if present)')
  .showHelpAfterError();

function config(overrides: Record<string, unknown> = {}): OnrampConfig {
  return loadConfig({ file: program.opts<{ config?: string }>().config, overrides });
}

program
  .command('serve')
  .description('start the public listener (portal, tracking links) and the device listener (mTLS gateway)')
  .option('--demo', 'embedded default for trying onramp: SQLite in ./data and an in-process simulated tenant')
  .action(async (opts: { demo?: boolean }) => {
    const cfg = config();
    const log = createLogger(cfg.log.level);
    const running = await startOnramp({ config: cfg, log, demo: opts.demo ?? false });
    if (opts.demo) {
      const demoTenant = running.ctx.demoTenant;
      const lines = [
        '',
        '  onramp is running (demo)',
        `  Portal and tracking links:  ${running.publicUrl}/`,
        `  Health:                     ${running.publicUrl}/healthz`,
        running.deviceUrl ? `  Device API (mTLS):          ${running.deviceUrl}/` : '  Device API (mTLS):          off (no server certificate)',
        `  Storage:                    ${running.ctx.storage.describe}`,
        ...(demoTenant ? [`  Simulated tenant:           ${demoTenant.url}  (sent mail: the portal's Mailbox, or ${demoTenant.url}/_sim/mail)`] : []),
        ...(demoTenant && !cfg.auth.oidc.issuer
          ? [`  Sign in:                    "Sign in with Microsoft", then pick ${demoTenant.adminName} (Onramp.Admin)`]
          : []),
        ...(running.publicApp.onrampAuth.setupCode
          ? [`  First-run setup code:       ${running.publicApp.onrampAuth.setupCode}  (open the portal to create the local admin)`]
          : []),
        '  Stop with Ctrl+C.',
        '',
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }
    let signals = 0;
    const shutdown = (signal: NodeJS.Signals) => {
      if (++signals > 1) process.exit(1);
      log.info({ signal }, 'shutting down: finishing in-flight requests');
      const force = setTimeout(() => {
        log.warn('grace period over; closing remaining connections');
        running.publicApp.server.closeAllConnections();
        running.deviceApp?.server.closeAllConnections();
      }, cfg.server.shutdownGraceMs);
      force.unref();
      running.close().then(
        () => {
          log.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', shutdown);
    process.on('SIGINT', shutdown);
  });

program
  .command('migrate')
  .description('apply database migrations and exit (serve also does this at start)')
  .action(async () => {
    const cfg = config();
    const storage = await openStorage({ ...cfg.database, dataDir: cfg.dataDir });
    try {
      const applied = await migrateToLatest(storage);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : `up to date (${storage.describe})\n`);
    } finally {
      await storage.close();
    }
  });

registerCertsCommands(program, () => config().dataDir);
registerBackupCommands(program, () => config());

const configCommand = program.command('config').description('inspect configuration');
configCommand
  .command('check')
  .description('validate the configuration and print the effective values, secrets redacted')
  .action(() => {
    process.stdout.write(JSON.stringify(redactConfig(config()), null, 2) + '\n');
  });
configCommand
  .command('reference')
  .description('print the reference of every setting as Markdown (docs/CONFIGURATION.md)')
  .action(() => {
    process.stdout.write(configReference());
  });

registerAuthCommands(program, () => config());
registerSimCommand(program, () => config().dataDir);
const connectTenant: GraphConnector = (graph) => connectGraph(graph, createLogger(config().log.level));
// Given up in `mail deliver` as in the server: the user goes to Error with the reason.
registerMailCommands(
  program,
  () => config(),
  connectTenant,
  (storage) => (trx, email) => emailGivenUp(trx, email, { storage, clock: systemClock }),
);
registerCampaignCommands(program, () => config(), connectTenant);
registerSignatureCommands(program, () => config(), connectTenant);

/** Known start-up failures get one clear line and exit 1; anything else is a bug and shows its stack. */
function fail(err: unknown): never {
  // Compared by name: the Graph client loads lazily, and importing it here would slow every command.
  if (isStartupError(err) || (err as Error)?.name === 'GraphNotConfiguredError') {
    process.stderr.write(`onramp: ${(err as Error).message}\n`);
  } else {
    process.stderr.write(`onramp: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
}

program.parseAsync(process.argv).catch(fail);

/** The simulated tenant's account holding the Onramp.Admin app role, named in the demo's start banner. */
