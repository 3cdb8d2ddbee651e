import type { OnrampContext } from '../context.js';
import type { GraphPort } from '../graph/graph-port.js';
import { OutboxSender } from '../mail/outbox.js';
import { createMailTransport, type MailTransport } from '../mail/transports.js';
import type { Branding } from './email-templates.js';
import { InvitationService } from './invitations.service.js';
import { languageOf } from './languages.js';
import type { OnboardingService } from './onboarding.service.js';
import { ReportService } from './reports.service.js';

export interface OnboardingJobs {
  workflow: InvitationService;
  sender: OutboxSender;
  reports: ReportService;
  transport: MailTransport;
  /** Recurring workflow run, outbox polling, scheduled report; subscribes to uploads/resends. */
  start(onboarding?: OnboardingService): void;
  /** Stops timers, lets the run and delivery in flight finish, closes the transport. */
  stop(): Promise<void>;
}

export function brandingFrom(config: OnrampContext['config']): Branding {
  const b = config.onboarding.branding;
  return {
    companyName: b.companyName,
    ...(b.logoUrl ? { logoUrl: b.logoUrl } : {}),
    supportTeam: b.supportTeam,
    supportEmail: b.supportAddress || config.mail.from,
    primaryColor: b.primaryColor,
    accentColor: b.accentColor,
  };
}

/** The admin reports as a process builds them: once per server (registerOnboarding), once per CLI command. */
export function createReportService(ctx: Omit<OnrampContext, 'graph'>): ReportService {
  const { config, storage, clock, log } = ctx;
  return new ReportService({
    db: storage.db,
    dialect: storage.dialect,
    clock,
    log,
    settings: config.reports,
    branding: brandingFrom(config),
    instanceId: ctx.instanceId,
    jobs: ctx.jobs,
  });
}

/**
 * The background side of onboarding (workflow, outbox sender, reports), built from the context.
 * `demoRegistrations`: in the demo, subscribes to the simulated tenant's MFA registrations so the check
 * runs at once rather than at the next interval (a real tenant announces nothing; onramp polls).
 */
export function createOnboardingJobs(
  ctx: Omit<OnrampContext, 'graph'>,
  options: {
    graph: GraphPort;
    publicUrl: string;
    demoMailbox?: string | undefined;
    demoRegistrations?: ((listener: () => void) => () => void) | undefined;
    /** The server's one ReportService (`app.onboardingReports`); the CLI, which has no app, gets its own. */
    reports?: ReportService | undefined;
  },
): OnboardingJobs {
  const { config, storage, clock, log } = ctx;
  const branding = brandingFrom(config);
  const transport = createMailTransport(config.mail, options.graph, options.demoMailbox);
  let sender: OutboxSender | undefined;
  const workflow = new InvitationService({
    storage,
    graph: options.graph,
    clock,
    log,
    instanceId: ctx.instanceId,
    settings: config.invitations,
    defaultGroupId: config.onboarding.mfaGroupId,
    branding,
    defaultLanguage: languageOf(config.onboarding.defaultLanguage, 'en'),
    publicUrl: config.server.publicUrl ?? options.publicUrl,
    mailFrom: config.mail.from,
    onEmailsQueued: () => sender?.wake(),
    jobs: ctx.jobs,
  });
  sender = new OutboxSender({ db: storage.db, clock, log, settings: config.mail, transport, onGiveUp: workflow.onEmailGivenUp });
  const reports = options.reports ?? createReportService(ctx);
  let unsubscribe: Array<() => void> = [];
  const jobs: OnboardingJobs = {
    workflow,
    sender,
    reports,
    transport,
    start(onboarding) {
      const trigger = () => workflow.trigger();
      const control = onboarding?.attachRunControl({
        runNow: trigger,
        status: () => {
          const job = workflow.job.status();
          return {
            running: job.state === 'running',
            nextRunAt: job.nextRunAt,
            lastFinishedAt: job.lastFinishedAt,
            lastError: job.lastError,
            lastSummary: workflow.lastRun
              ? { finishedAt: workflow.lastRun.finishedAt, summary: { ...workflow.lastRun.summary }, phasesMs: { ...workflow.lastRun.phasesMs } }
              : null,
          };
        },
      });
      unsubscribe = [onboarding?.onUsersPending(trigger), options.demoRegistrations?.(trigger), control].filter((u) => u !== undefined);
      workflow.start();
      jobs.sender.start();
      reports.start(transport);
    },
    async stop() {
      for (const u of unsubscribe) u();
      unsubscribe = [];
      await reports.stop();
      await workflow.stop();
      await jobs.sender.stop();
      await transport.close();
    },
  };
  return jobs;
}
