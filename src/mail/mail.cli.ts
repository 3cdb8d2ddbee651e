import type { Command } from 'commander';
import type { OnrampConfig } from '../onramp-config.js';
import { openStorage } from '../db/dialect.js';
import { migrateToLatest } from '../db/migrations/index.js';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import type { Storage } from '../db/dialect.js';
import type { GraphConnector } from '../graph/connect.js';
import { OutboxSender, type GiveUpHandler } from './outbox.js';
import { outboxCounts } from './outbox.queries.js';
import { createMailTransport } from './transports.js';

/**
 * `onramp mail deliver`: delivers the outbox from the command line (operations, recovery), as the server
 * would. `giveUp` is what the server does with an email it gives up on (onboarding puts its user in Error).
 */
export function registerMailCommands(
  program: Command,
  loadConfig: () => OnrampConfig,
  connect: GraphConnector,
  giveUp: (storage: Storage) => GiveUpHandler,
): void {
  program
    .command('mail')
    .description('outgoing email')
    .command('deliver')
    .description('deliver the emails due in the outbox (over mail.transport); with --wait, until none is pending or being sent')
    .option('--wait', 'keep going (retries, claims of a crashed sender expiring) until the outbox is settled')
    .action(async (opts: { wait?: boolean }) => {
      const config = loadConfig();
      const log = createLogger(config.log.level);
      const storage = await openStorage({ ...config.database, dataDir: config.dataDir });
      // Graph only when the mail goes through it: an SMTP-only deployment needs no tenant for this.
      const graph = config.mail.transport === 'graph' ? await connect(config.graph) : undefined;
      const transport = createMailTransport(config.mail, graph?.graph);
      try {
        await migrateToLatest(storage);
        const onGiveUp = giveUp(storage);
        const sender = new OutboxSender({ db: storage.db, clock: systemClock, log, settings: config.mail, transport, onGiveUp });
        for (;;) {
          const round = await sender.deliverDue();
          log.info(round, 'delivery round');
          const counts = await outboxCounts(storage.db);
          if (!opts.wait || ((counts.pending ?? 0) === 0 && (counts.sending ?? 0) === 0)) {
            process.stdout.write(JSON.stringify(counts) + '\n');
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, config.mail.pollIntervalMs));
        }
      } finally {
        await transport.close();
        await graph?.close();
        await storage.close();
      }
    });
}
