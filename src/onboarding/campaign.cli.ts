import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { GraphConnector } from '../graph/connect.js';
import type { OnrampConfig } from '../onramp-config.js';
import { openStorage } from '../db/dialect.js';
import { migrateToLatest } from '../db/migrations/index.js';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { createOnboardingJobs, type OnboardingJobs } from './invitations.scheduler.js';


async function withJobs<T>(config: OnrampConfig, connect: GraphConnector, work: (jobs: OnboardingJobs) => Promise<T>): Promise<T> {
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
      return await work(jobs);
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
    .action(async () => {
      await withJobs(loadConfig(), connect, async (jobs) => {
        const run = await jobs.workflow.runOnce();
        if (!run) {
          process.stdout.write('another instance is running the invitation workflow; nothing done\n');
          return;
        }
        const delivery = await jobs.sender.deliverDue();
        process.stdout.write(JSON.stringify({ run, delivery }) + '\n');
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
