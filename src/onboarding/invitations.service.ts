import type { Static } from '@sinclair/typebox';
import type { Transaction } from 'kysely';
import type { Storage } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import { UpstreamError, type DirectoryUser, type GraphPort, type MfaRegistration } from '../graph/graph-port.js';
import { HOUR_MS, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { everyMs, RecurringJob, type JobBoard } from '../db/recurring-job.js';
import { enqueueEmails, type GivenUpEmail, type GiveUpHandler, type QueuedEmail } from '../mail/outbox.js';
import {
  emailTexts,
  escalationEmail,
  storedTemplatesByLanguage,
  userEmail,
  type Branding,
  type EmailKind,
  type EmailSubjects,
  type EmailTexts,
} from './email-templates.js';
import { currentTemplateVersions } from './email-templates.queries.js';
import type { EmailTemplate } from './messages/index.js';
import { languageOf, type Language } from './languages.js';
import type { invitationsConfig } from './invitations.config.js';
import {
  campaignGroups,
  dueUsers,
  knownDirectoryUpn,
  latestEvents,
  markEmailFailed,
  updateCheckedUsers,
  type CheckedUserPatch,
  type TrackedUser,
} from './invitations.queries.js';
import { decide, isRegistered, WORKFLOW_EVENT, type Decision, type WorkflowEventType } from './invitations.rules.js';
import { appendEvents, updateUser, type BulkDialect, type NewUserEvent } from './onboarding.queries.js';
import { ACTOR_SYSTEM, linkTokenOf, MFA_STATE, USER_STATUS } from './onboarding.domain.js';

export type InvitationSettings = Static<typeof invitationsConfig>;

export interface InvitationServiceDeps {
  storage: Storage;
  graph: GraphPort;
  clock: Clock;
  log: Logger;
  instanceId: string;
  settings: InvitationSettings;
  /** Group the enrol link adds to, for campaigns without their own. */
  defaultGroupId: string;
  branding: Branding;
  /** Emails of users (and managers) whose directory language onramp has no catalogue for. */
  defaultLanguage: Language;
  publicUrl: string;
  mailFrom: string;
  /** Told after a run queued emails, so they leave at once. */
  onEmailsQueued?: () => void;
  /** Where the run's job status is shown (readiness, metrics). */
  jobs?: JobBoard | undefined;
}

export interface RunSummary {
  processed: number;
  invited: number;
  reminded: number;
  escalated: number;
  activated: number;
  excluded: number;
  overdue: number;
  /** Users changed by someone else during the run; the next run handles them. */
  skipped: number;
  /** Users of chunks whose directory calls failed past their retries; still due, so the next run takes them again. */
  failed: number;
  /** Users whose own lookup failed in `maxLookupFailures` runs in a row, now in Error. */
  errored: number;
}

/**
 * Where a run's time went, in milliseconds. Chunks run in parallel, so a phase is the sum over the
 * chunks that ran it and the phases add up to more than `wall`; `wall` is the run's own length.
 */
export interface RunPhases {
  /** Reading the due users, page by page. */
  dueReads: number;
  /** Users looked up by UPN (with their managers). */
  directory: number;
  /** MFA registration state of the enabled users found. */
  registrations: number;
  /** Reading the campaign groups' members (once per group and run). */
  groupMembers: number;
  /** Adding registered users to their group. */
  groupAdds: number;
  /** Deciding per user and writing their emails (CPU). */
  planning: number;
  /** Each chunk's status changes and history, written in its transaction. */
  writes: number;
  /** The chunk's emails written into the outbox, inside the same transaction. */
  enqueue: number;
  wall: number;
}

type PhaseName = Exclude<keyof RunPhases, 'wall'>;

/** Adds the time `work` takes to its phase. */
async function timed<T>(phases: RunPhases, phase: PhaseName, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    phases[phase] += performance.now() - started;
  }
}

type GroupOf = (campaignId: number) => string;
type MembersOf = (groupId: string) => Promise<Set<string>>;

/**
 * A directory answer about these users rather than about the directory: worth splitting the chunk to
 * find the user it is about. Throttling, outages, network and credential failures say nothing about
 * particular users; nor does a database error.
 */
function aboutTheseUsers(err: unknown): boolean {
  return (
    err instanceof UpstreamError &&
    ![401, 403, 429, 503, 504].includes(err.status) &&
    !['NetworkError', 'AuthenticationFailed', 'GraphNotConfigured'].includes(err.code)
  );
}

/** Chunks failing one after another mean the directory is down, not one bad chunk: the run stops. */
const MAX_CONSECUTIVE_CHUNK_FAILURES = 3;

const LEASE = 'onboarding.invitations';

/** What the workflow notes in a user's history; written as the system's, at the run's time. */
type WorkflowEvent = Pick<NewUserEvent, 'tracked_user_id' | 'type' | 'detail'>;

function appendWorkflowEvents(trx: Transaction<Database>, events: readonly WorkflowEvent[], at: string, dialect: BulkDialect): Promise<void> {
  return appendEvents(
    trx,
    events.map((e) => ({ ...e, at, actor: ACTOR_SYSTEM })),
    dialect,
  );
}

/**
 * What any outbox sender (the service's, `onramp mail deliver`'s) does when it gives an email up: the
 * user goes to Error with the reason and an `email-failed` event (see markEmailFailed for when not).
 * A refused escalation is only noted in the history: the manager's mailbox says nothing about the
 * employee, whose reminders go on.
 */
export async function emailGivenUp(trx: Transaction<Database>, email: GivenUpEmail, deps: { storage: Storage; clock: Clock }): Promise<void> {
  if (email.trackedUserId === null) return;
  const nowIso = deps.clock.now().toISOString();
  const failed = { tracked_user_id: email.trackedUserId, type: WORKFLOW_EVENT.EmailFailed };
  if (email.kind === 'escalation') {
    await appendWorkflowEvents(trx, [{ ...failed, detail: { kind: email.kind, to: email.recipient, reason: email.reason } }], nowIso, deps.storage.dialect);
  } else if (await markEmailFailed(trx, email.trackedUserId, email, nowIso)) {
    await appendWorkflowEvents(trx, [{ ...failed, detail: { to: USER_STATUS.Error, kind: email.kind, reason: email.reason } }], nowIso, deps.storage.dialect);
  }
}

/**
 * The invitation workflow (the seed's Logic App): looks due users up in Graph in bulk, decides per user
 * (invitations.rules.ts), adds registered users to the group in batches, and writes each chunk's status
 * changes, history and emails in one transaction. One run at a time across instances (a lease).
 */
export class InvitationService {
  /**
   * Schedule, triggers, the lease and its heartbeat, takeover of a run whose instance died, and the
   * error path are the recurring job's (db/recurring-job.ts); this class is the run itself.
   */
  readonly job: RecurringJob<RunSummary>;

  constructor(private readonly deps: InvitationServiceDeps) {
    const { settings } = deps;
    this.job = new RecurringJob<RunSummary>({
      name: LEASE,
      schedule: everyMs(settings.intervalMinutes * 60_000),
      run: () => this.#run(),
      leftWork: (summary) => summary.failed > 0,
      retryAfterFailureMs: settings.retryAfterFailureSeconds * 1000,
      debounceMs: settings.triggerDebounceMs,
      log: deps.log,
      clock: deps.clock,
      lease: { db: deps.storage.db, holder: deps.instanceId, ttlMs: settings.leaseSeconds * 1000, resumeInterrupted: true },
    });
    deps.jobs?.add(this.job);
  }

  get subjects(): EmailSubjects {
    const s = this.deps.settings;
    return { invitation: s.subjectInvitation, reminder: s.subjectReminder, escalation: s.subjectEscalation };
  }

  /**
   * One run now. Undefined when another instance holds the run. A call during a run waits for it and
   * runs again. The lease is renewed on a timer (a slow, throttled page cannot let it lapse); losing it
   * is safe, merely wasteful: every user's write is conditional on its version.
   */
  runOnce(): Promise<RunSummary | undefined> {
    return this.job.runNow();
  }

  /** Each language's emails, compiled at most once per run (at its first user in that language). */
  #texts = new Map<Language, EmailTexts>();
  /** The admins' current template versions, read once at the start of each run. */
  #stored = new Map<Language, Partial<Record<EmailKind, EmailTemplate>>>();

  #textsFor(directoryLanguage: string | null | undefined): EmailTexts {
    const language = languageOf(directoryLanguage, this.deps.defaultLanguage);
    let texts = this.#texts.get(language);
    if (!texts) {
      texts = emailTexts(language, { subjects: this.subjects, stored: this.#stored.get(language) ?? {} });
      this.#texts.set(language, texts);
    }
    return texts;
  }

  async #run(): Promise<RunSummary> {
    const { storage, clock, log, settings } = this.deps;
    this.#texts = new Map();
    this.#stored = storedTemplatesByLanguage(await currentTemplateVersions(storage.db));
    const db = storage.db;
    const summary: RunSummary = {
      processed: 0,
      invited: 0,
      reminded: 0,
      escalated: 0,
      activated: 0,
      excluded: 0,
      overdue: 0,
      skipped: 0,
      failed: 0,
      errored: 0,
    };
    const phases: RunPhases = { dueReads: 0, directory: 0, registrations: 0, groupMembers: 0, groupAdds: 0, planning: 0, writes: 0, enqueue: 0, wall: 0 };
    const progress = { directoryAnswered: false, probed: false };
    const groups = await campaignGroups(db);
    const members = new Map<string, Promise<Set<string>>>();
    const membersOf = (groupId: string) => {
      let m = members.get(groupId);
      if (!m) {
        const listing = timed(phases, 'groupMembers', () => this.deps.graph.listGroupMemberIds(groupId));
        m = listing;
        members.set(groupId, listing);
        // A failed listing is not kept: the next chunk asks again instead of failing on the same error.
        listing.catch(() => members.get(groupId) === listing && members.delete(groupId));
      }
      return m;
    };
    const started = clock.now();
    const startedAt = performance.now();
    const checkedBefore = new Date(started.getTime() - settings.checkIntervalHours * HOUR_MS).toISOString();
    let afterId = 0;
    let consecutiveFailures = 0;
    for (;;) {
      const page = await timed(phases, 'dueReads', () =>
        dueUsers(db, { checkedBeforeIso: checkedBefore, afterId, limit: settings.chunkSize * settings.graphConcurrency }),
      );
      if (page.length === 0) break;
      afterId = page[page.length - 1]!.id;
      const chunks: TrackedUser[][] = [];
      for (let i = 0; i < page.length; i += settings.chunkSize) chunks.push(page.slice(i, i + settings.chunkSize));
      const outcomes = await Promise.all(
        chunks.map((chunk) =>
          this.#processIsolating(chunk, (campaignId) => groups.get(campaignId) || this.deps.defaultGroupId, membersOf, summary, phases, progress),
        ),
      );
      // A failing chunk is split until the users it fails on are alone (see #processIsolating); each
      // of those is noted, and goes to Error after maxLookupFailures runs in a row. A chunk that fails
      // as a whole is left for the next run, which finds its users still due.
      const isolated: Array<{ user: TrackedUser; reason: string }> = [];
      // Asked once per run: a directory that failed the probe is not asked again for every page.
      if (!progress.directoryAnswered && !progress.probed && outcomes.some((o) => o.isolated.length > 0)) {
        progress.probed = true;
        progress.directoryAnswered = await this.#directoryAnswers();
      }
      for (const [i, outcome] of outcomes.entries()) {
        // A user failing alone is the user's problem only if the directory answered for others.
        if (progress.directoryAnswered) isolated.push(...outcome.isolated);
        else outcome.unprocessed.push(...outcome.isolated.map((f) => f.user));
        if (outcome.unprocessed.length === 0) {
          if (outcome.isolated.length < chunks[i]!.length) consecutiveFailures = 0;
          continue;
        }
        summary.failed += outcome.unprocessed.length;
        log.warn(
          { err: outcome.error, users: outcome.unprocessed.length, firstUserId: outcome.unprocessed[0]!.id },
          'invitation run: a chunk failed; its users wait for the next run',
        );
        if (++consecutiveFailures >= MAX_CONSECUTIVE_CHUNK_FAILURES) {
          if (isolated.length > 0) await this.#noteLookupFailures(isolated, summary);
          throw outcome.error;
        }
      }
      if (isolated.length > 0) await this.#noteLookupFailures(isolated, summary);
    }
    phases.wall = performance.now() - startedAt;
    for (const phase of Object.keys(phases) as Array<keyof RunPhases>) phases[phase] = Math.round(phases[phase]);
    log.info({ ...summary, ms: clock.now().getTime() - started.getTime(), phasesMs: phases }, 'invitation run finished');
    this.lastRun = { finishedAt: clock.now().toISOString(), summary, phasesMs: phases };
    return summary;
  }

  /** The last run this instance finished, and what it did (the portal's campaign status). */
  lastRun: { finishedAt: string; summary: RunSummary; phasesMs: RunPhases } | undefined;

  /**
   * Processes a chunk; when Graph fails on it for reasons about its users (aboutTheseUsers), splits it
   * in halves and goes on with each, so one user whose lookup always fails costs a few extra calls
   * (log2 of the chunk size), not the other 499 users their run. When both halves fail and nothing has
   * answered in this run yet, the directory itself is the likelier cause: the chunk is left whole. A
   * user failing alone is returned as `isolated`; the caller decides (see #run).
   */
  async #processIsolating(
    users: TrackedUser[],
    groupOf: GroupOf,
    membersOf: MembersOf,
    summary: RunSummary,
    phases: RunPhases,
    progress: { directoryAnswered: boolean; probed: boolean },
  ): Promise<{ unprocessed: TrackedUser[]; isolated: Array<{ user: TrackedUser; reason: string }>; error?: unknown }> {
    try {
      await this.#processChunk(users, groupOf, membersOf, summary, phases);
      progress.directoryAnswered = true;
      return { unprocessed: [], isolated: [] };
    } catch (err) {
      if (!aboutTheseUsers(err)) return { unprocessed: users, isolated: [], error: err };
      if (users.length === 1) return { unprocessed: [], isolated: [{ user: users[0]!, reason: (err as Error).message }], error: err };
      const half = Math.ceil(users.length / 2);
      const first = await this.#processIsolating(users.slice(0, half), groupOf, membersOf, summary, phases, progress);
      const second = await this.#processIsolating(users.slice(half), groupOf, membersOf, summary, phases, progress);
      const wholeFailed = (r: typeof first, n: number) => r.unprocessed.length + r.isolated.length === n;
      if (!progress.directoryAnswered && wholeFailed(first, half) && wholeFailed(second, users.length - half))
        return { unprocessed: users, isolated: [], error: err };
      return {
        unprocessed: [...first.unprocessed, ...second.unprocessed],
        isolated: [...first.isolated, ...second.isolated],
        error: second.error ?? first.error,
      };
    }
  }

  /**
   * Whether the directory answers lookups at all, asked about one user it answered for before: when
   * only a user failing alone was due, nothing else in the run tells a failing user from a failing
   * directory.
   */
  async #directoryAnswers(): Promise<boolean> {
    const known = await knownDirectoryUpn(this.deps.storage.db);
    if (!known) return false;
    try {
      await this.deps.graph.getUsersByUpn([known]);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Users whose own lookup failed: a `lookup-failed` event each, counting the runs in a row (the count
   * goes on while their latest event is a lookup failure after their last successful check); at
   * maxLookupFailures they go to Error with the reason, in reports and their timeline. "Resend" in the
   * portal starts them over.
   */
  async #noteLookupFailures(isolated: Array<{ user: TrackedUser; reason: string }>, summary: RunSummary): Promise<void> {
    const { storage, clock, settings, log } = this.deps;
    const nowIso = clock.now().toISOString();
    await storage.db.transaction().execute(async (trx) => {
      const latest = await latestEvents(
        trx,
        isolated.map((f) => f.user.id),
      );
      const events: WorkflowEvent[] = [];
      for (const { user, reason } of isolated) {
        const last = latest.get(user.id);
        const previous =
          last?.type === WORKFLOW_EVENT.LookupFailed && (user.last_checked === null || last.at >= user.last_checked)
            ? Number((JSON.parse(last.detail) as { attempt?: number }).attempt ?? 0)
            : 0;
        const attempt = previous + 1;
        if (attempt >= settings.maxLookupFailures) {
          const statusReason = `directory lookup failed in ${attempt} runs in a row: ${reason}`;
          if (
            !(await updateUser(trx, user.id, user.version, { invite_status: USER_STATUS.Error, status_reason: statusReason, last_checked: nowIso }, nowIso))
          ) {
            summary.skipped++;
            continue;
          }
          summary.errored++;
          events.push({
            tracked_user_id: user.id,
            type: WORKFLOW_EVENT.LookupFailed,
            detail: { from: user.invite_status, to: USER_STATUS.Error, attempt, reason },
          });
          log.warn({ trackedUserId: user.id, attempt, reason }, 'invitation run: a user whose lookup keeps failing is now in Error');
        } else {
          summary.failed++;
          events.push({ tracked_user_id: user.id, type: WORKFLOW_EVENT.LookupFailed, detail: { attempt, of: settings.maxLookupFailures, reason } });
        }
      }
      await appendWorkflowEvents(trx, events, nowIso, storage.dialect);
    });
  }

  async #processChunk(users: TrackedUser[], groupOf: GroupOf, membersOf: MembersOf, summary: RunSummary, phases: RunPhases): Promise<void> {
    const { graph, settings, storage, clock } = this.deps;
    const directory = await timed(phases, 'directory', () =>
      graph.getUsersByUpn(
        users.map((u) => u.upn),
        { withManager: true },
      ),
    );
    const found = (u: TrackedUser) => directory.get(u.upn_key) ?? directory.get(u.upn.toLowerCase()) ?? null;
    const lookups = users.map((u) => found(u)).filter((d): d is DirectoryUser => d?.accountEnabled === true);
    const registrations =
      lookups.length > 0 ? await timed(phases, 'registrations', () => graph.getMfaRegistrations(lookups.map((d) => d.id))) : new Map<string, MfaRegistration>();
    // The groups' members first (read once per run and shared), so that planning is CPU only.
    const membersByGroup = new Map<string, Set<string>>();
    for (const user of users) {
      const groupId = groupOf(user.campaign_id);
      if (groupId && !membersByGroup.has(groupId) && found(user)) membersByGroup.set(groupId, await membersOf(groupId));
    }
    const now = clock.now();
    const nowIso = now.toISOString();

    let planningStarted = performance.now();
    const planned: Array<{ user: TrackedUser; dir: DirectoryUser | null; decision: Decision; registered: boolean; inGroup: boolean }> = [];
    for (const user of users) {
      const dir = found(user);
      const groupId = groupOf(user.campaign_id);
      const inGroup = dir ? (groupId ? membersByGroup.get(groupId)!.has(dir.id) : false) || user.in_group === 1 : false;
      const registered = dir ? isRegistered(registrations.get(dir.id), settings.countedMfaMethods) : false;
      planned.push({ user, dir, decision: decide(user, dir, registered, inGroup, now, settings), registered, inGroup });
    }
    phases.planning += performance.now() - planningStarted;

    // Registered but not yet in the group: add them, batched per group.
    const toAdd = new Map<string, string[]>();
    for (const p of planned) {
      if (p.decision.kind === 'activate' && p.decision.needsGroupAdd && p.dir) {
        const groupId = groupOf(p.user.campaign_id);
        if (groupId) toAdd.set(groupId, [...(toAdd.get(groupId) ?? []), p.dir.id]);
      }
    }
    const addResults = new Map<string, { ok: boolean; message?: string }>();
    for (const [groupId, ids] of toAdd) {
      for (const [id, result] of await timed(phases, 'groupAdds', () => graph.addGroupMembers(groupId, ids)))
        addResults.set(id, result.ok ? { ok: true } : { ok: false, message: `${result.status} ${result.code}: ${result.message}` });
    }

    planningStarted = performance.now();
    const rows: Array<{ user: TrackedUser; patch: CheckedUserPatch; events: WorkflowEvent[]; emails: QueuedEmail[]; count: keyof RunSummary | undefined }> = [];
    for (const p of planned) rows.push({ user: p.user, ...this.#plan(p, addResults, nowIso) });
    phases.planning += performance.now() - planningStarted;

    const writesStarted = performance.now();
    let enqueueMs = 0;
    await storage.db.transaction().execute(async (trx) => {
      const events: WorkflowEvent[] = [];
      const emails: QueuedEmail[] = [];
      const written = await updateCheckedUsers(trx, storage.dialect, rows, nowIso);
      for (const row of rows) {
        if (!written.has(row.user.id)) {
          summary.skipped++;
          continue;
        }
        summary.processed++;
        if (row.count) summary[row.count]++;
        events.push(...row.events);
        emails.push(...row.emails);
      }
      await appendWorkflowEvents(trx, events, nowIso, storage.dialect);
      const enqueueStarted = performance.now();
      await enqueueEmails(trx, emails, { now, from: this.deps.mailFrom, maxParameters: storage.dialect.maxParameters });
      enqueueMs = performance.now() - enqueueStarted;
    });
    phases.enqueue += enqueueMs;
    phases.writes += performance.now() - writesStarted - enqueueMs;
    if (rows.some((r) => r.emails.length > 0)) this.deps.onEmailsQueued?.();
  }

  #plan(
    p: { user: TrackedUser; dir: DirectoryUser | null; decision: Decision; registered: boolean; inGroup: boolean },
    addResults: Map<string, { ok: boolean; message?: string }>,
    nowIso: string,
  ): { patch: CheckedUserPatch; events: WorkflowEvent[]; emails: QueuedEmail[]; count: keyof RunSummary | undefined } {
    const { user, dir, decision } = p;
    const events: WorkflowEvent[] = [];
    const emails: QueuedEmail[] = [];
    const event = (type: WorkflowEventType, detail: Record<string, unknown> = {}) =>
      events.push({ tracked_user_id: user.id, type, detail: { from: user.invite_status, ...detail } });
    const patch: CheckedUserPatch = { last_checked: nowIso };
    if (dir) {
      Object.assign(patch, {
        display_name: dir.displayName,
        department: dir.department,
        job_title: dir.jobTitle,
        manager_upn: dir.managerUpn ?? null,
        preferred_language: dir.preferredLanguage ?? null,
        object_id: dir.id,
        user_type: dir.userType,
        mfa_registration_state: p.registered ? MFA_STATE.Registered : MFA_STATE.NotRegistered,
        in_group: p.inGroup ? 1 : 0,
      });
    }
    const to = { address: dir?.mail || user.upn, ...(dir?.displayName ? { name: dir.displayName } : {}) };
    const mailFor = (reminderNumber?: number) =>
      userEmail({
        displayName: dir?.displayName ?? user.display_name,
        upn: user.upn,
        token: linkTokenOf(user),
        publicUrl: this.deps.publicUrl,
        branding: this.deps.branding,
        texts: this.#textsFor(dir ? dir.preferredLanguage : user.preferred_language),
        ...(reminderNumber !== undefined ? { reminderNumber } : {}),
      });
    switch (decision.kind) {
      case 'exclude':
        if (user.invite_status === USER_STATUS.Excluded && user.status_reason === decision.reason) return { patch, events, emails, count: undefined };
        Object.assign(patch, { invite_status: USER_STATUS.Excluded, status_reason: decision.reason });
        event(WORKFLOW_EVENT.Excluded, { to: USER_STATUS.Excluded, reason: decision.reason });
        return { patch, events, emails, count: 'excluded' };
      case 'activate': {
        if (decision.needsGroupAdd) {
          const added = dir ? addResults.get(dir.id) : undefined;
          if (!added?.ok) {
            const reason = `could not add to the MFA group: ${added?.message ?? 'no group configured'}`;
            patch.notes = reason;
            event(WORKFLOW_EVENT.GroupAddFailed, { reason });
            return { patch, events, emails, count: undefined };
          }
          Object.assign(patch, { in_group: 1, added_to_group_date: user.added_to_group_date ?? nowIso });
          event(WORKFLOW_EVENT.AddedToGroup, { by: 'workflow' });
        }
        Object.assign(patch, { invite_status: USER_STATUS.Active, status_reason: null, mfa_registration_date: user.mfa_registration_date ?? nowIso });
        event(WORKFLOW_EVENT.Activated, { to: USER_STATUS.Active });
        return { patch, events, emails, count: 'activated' };
      }
      case 'invite':
        Object.assign(patch, { invite_status: USER_STATUS.Sent, status_reason: null, invite_sent_date: nowIso, reminder_count: 0, last_reminder_date: null });
        emails.push({ kind: 'invitation', trackedUserId: user.id, message: { to: [to], ...mailFor() } });
        event(WORKFLOW_EVENT.Invited, { to: USER_STATUS.Sent, address: to.address });
        return { patch, events, emails, count: 'invited' };
      case 'remind': {
        Object.assign(patch, { reminder_count: decision.reminderNumber, last_reminder_date: nowIso });
        emails.push({ kind: 'reminder', trackedUserId: user.id, message: { to: [to], ...mailFor(decision.reminderNumber) } });
        event(WORKFLOW_EVENT.Reminded, { reminder: decision.reminderNumber, address: to.address });
        if (decision.escalate) {
          const managerAddress = dir?.managerMail || dir?.managerUpn;
          if (managerAddress) {
            Object.assign(patch, { escalated_to_manager: 1, escalation_date: nowIso });
            const mail = escalationEmail({
              managerName: dir?.managerDisplayName ?? null,
              managerUpn: dir?.managerUpn ?? managerAddress,
              employee: {
                displayName: dir?.displayName ?? user.display_name,
                upn: user.upn,
                department: dir?.department ?? null,
                jobTitle: dir?.jobTitle ?? null,
              },
              remindersSent: decision.reminderNumber,
              inviteSentDate: user.invite_sent_date,
              branding: this.deps.branding,
              // The manager's own language, read with the manager the lookup expands anyway.
              texts: this.#textsFor(dir?.managerPreferredLanguage),
            });
            emails.push({ kind: 'escalation', trackedUserId: user.id, message: { to: [{ address: managerAddress }], ...mail } });
            event(WORKFLOW_EVENT.Escalated, { manager: managerAddress });
          } else {
            patch.notes = 'no manager in the directory: escalation not sent';
            event(WORKFLOW_EVENT.EscalationSkipped, { reason: 'no manager' });
          }
        }
        return { patch, events, emails, count: decision.escalate && patch.escalated_to_manager === 1 ? 'escalated' : 'reminded' };
      }
      case 'overdue':
        Object.assign(patch, { invite_status: USER_STATUS.Overdue, status_reason: `not registered for MFA after ${user.reminder_count} reminders` });
        event(WORKFLOW_EVENT.Overdue, { to: USER_STATUS.Overdue, reminders: user.reminder_count });
        return { patch, events, emails, count: 'overdue' };
      case 'wait':
        return { patch, events, emails, count: undefined };
    }
  }

  /** For the outbox sender: a given-up email puts its user in Error with the reason. */
  readonly onEmailGivenUp: GiveUpHandler = (trx, email) => emailGivenUp(trx, email, this.deps);

  /** Upload/resend hook: a run soon, gathering bursts of uploads into one. */
  trigger(): boolean {
    return this.job.trigger();
  }

  start(): void {
    this.job.start();
  }

  async stop(): Promise<void> {
    await this.job.stop();
  }
}
