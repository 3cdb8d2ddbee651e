import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { GraphConnector } from '../graph/connect.js';
import type { OnrampConfig } from '../onramp-config.js';
import { openStorage, type Storage } from '../db/dialect.js';
import { migrateToLatest } from '../db/migrations/index.js';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { countOutbox } from '../mail/outbox.js';
import { createOnboardingJobs, type OnboardingJobs } from './invitations.scheduler.js';

async function withJobs<T>(config: OnrampConfig, connect: GraphConnector, work: (jobs: OnboardingJobs, storage: Storage) => Promise<T>): Promise<T> {
  const log = createLogger(config.log.level);
  const storage = await openStorage({ ...config.database, dataDir: config.dataDir });
  try {
    await migrateToLatest(storage);
    const graph = await connect(config.graph);
    const jobs = createOnboardingJobs(
      { config, storage, log, clock: systemClock, demo: false, instanceId: `cli-${process.pid}-${randomUUID().slice(0, 8)}` },
      { graph: graph.graph, publicUrl: config.server.publicUrl ?? `http://localhost:${config.server.publicPort}` },
    );
    try {
      return await work(jobs, storage);
    } finally {
      await jobs.stop();
      await graph.close();
    }
  } finally {
    await storage.close();
  }
}

/** `onramp campaign run` and `onramp report send`. */
export function registerCampaignCommands(program: Command, loadConfig: () => OnrampConfig, connect: GraphConnector): void {
  program
    .command('campaign')
    .description('MFA onboarding campaign')
    .command('run')
    .description('run the invitation workflow once, then deliver the emails it queued (and any due retries)')
    .option('--wait', 'keep delivering (retries, claims of a crashed sender expiring) until the outbox is settled')
    .action(async (opts: { wait?: boolean }) => {
      const config = loadConfig();
      await withJobs(config, connect, async (jobs, storage) => {
        const run = await jobs.workflow.runOnce();
        if (!run) {
          process.stdout.write('another instance is running the invitation workflow; nothing done\n');
          return;
        }
        // Emails of the run leave while it runs (each chunk wakes the sender): what is reported is
        // everything this process delivered, and what the outbox still holds, not one round's count.
        for (;;) {
          await jobs.sender.deliverDue();
          const outbox = await countOutbox(storage.db);
          if (!opts.wait || ((outbox.pending ?? 0) === 0 && (outbox.sending ?? 0) === 0)) {
            process.stdout.write(
              JSON.stringify({
                run,
                delivery: jobs.sender.delivered,
                outbox: { pending: outbox.pending ?? 0, sending: outbox.sending ?? 0, failed: outbox.failed ?? 0 },
              }) + '\n',
            );
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, config.mail.pollIntervalMs));
        }
      });
    });
  program
    .command('report')
    .description('admin reports')
    .command('send')
    .description('send the admin report now (to reports.recipients, or --to)')
    .option('--to <addresses...>', 'recipients instead of reports.recipients')
    .action(async (opts: { to?: string[] }) => {
      await withJobs(loadConfig(), connect, async (jobs) => {
        const summary = await jobs.reports.send(jobs.transport, opts.to);
        process.stdout.write(`report sent: ${summary.total} users, ${summary.completionRate}% complete\n`);
      });
    });
}
