import type { OnrampConfig } from '../onramp-config.js';
import type { Storage } from '../db/dialect.js';
import { OnrampError } from '../errors.js';
import type { GraphPort } from '../graph/graph-port.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import {
  ACTOR_USER,
  addedToGroupPatch,
  canResend,
  clickPatch,
  decideEnrol,
  groupAddFailedPatch,
  isReplacedLink,
  linkOpensFor,
  newLinkSecret,
  parseLinkToken,
  resetForNewCycle,
  upnKey,
  USER_EVENT,
  type TrackedUserPatch,
} from './onboarding.domain.js';
import * as q from './onboarding.queries.js';
import { LinkLookups, type LinkOwner } from './link-lookups.js';
import { openStampWriter } from './open-stamps.js';
import { BatchedWriter } from '../lib/batched-writer.js';
import { isValidAddress, readRoster, RosterSyntaxError, type RosterEntry, type RosterIssue, type UploadResult } from './roster-csv.js';

export type { UploadResult };

/** Told to `onUsersPending` listeners after users became Pending (committed). */
export interface UsersPendingEvent {
  source: 'upload' | 'resend' | 'admin';
  campaignId: number;
  count: number;
  batchId?: string;
}
/** Returns true when it started or scheduled an invitation run. */
export type UsersPendingListener = (event: UsersPendingEvent) => boolean;

/** The invitation run as the portal controls it; attached by the jobs when they start (invitations.scheduler.ts). */
export interface CampaignRunControl {
  /** Starts a run soon (the job's debounced trigger); false when none could be started or scheduled. */
  runNow(): boolean;
  status(): CampaignRunStatus;
}

export interface CampaignRunStatus {
  running: boolean;
  nextRunAt: string | null;
  lastFinishedAt: string | null;
  lastError: string | null;
  /** What the last run on this instance did (another instance's runs are not known here). */
  lastSummary: { finishedAt: string; summary: Record<string, number>; phasesMs: Record<string, number> } | null;
}

/** `language`: the user's stored directory language (BCP-47), which their pages are shown in. */
export type EnrolOutcome =
  | { kind: 'unknown' }
  | { kind: 'already-registered'; upn: string; language: string | null; inGroup: boolean }
  | { kind: 'enrolled'; upn: string; language: string | null; alreadyInGroup: boolean }
  | { kind: 'failed'; upn: string; language: string | null; reason: string };

export interface UserPage {
  total: number;
  items: q.TrackedUserRow[];
}

export interface ListUsersOptions {
  status?: string;
  batchId?: string;
  department?: string;
  search?: string;
  offset?: number;
  limit?: number;
  sort?: q.UserSortColumn;
  descending?: boolean;
}

/** How users are added: to which batch, by whom, whether users already in the campaign start again, or only a preview. */
export interface AddOptions {
  batchId?: string | undefined;
  actor: string;
  resetExisting?: boolean | undefined;
  dryRun?: boolean | undefined;
}

/** Users to add, as a roster file or a group gives them, with the rows left out on the way. */
interface RosterSource {
  entries(): Iterable<RosterEntry>;
  readonly skipped: RosterIssue[];
  readonly invalid: RosterIssue[];
  readonly total: number;
}

export type BulkAction = 'resend' | 'exclude' | 'remove';
export interface BulkOutcome {
  action: BulkAction;
  /** Users the filter selected (the confirmed count). */
  selected: number;
  /** Users changed: Active ones are not resent, Excluded ones not excluded again. */
  changed: number;
}
/** The status reason of users an admin left out. */
export const EXCLUDED_BY_ADMIN = 'left out by an admin';
/** Users per bulk statement. */
const BULK_CHUNK = 5_000;

/** Uploads from this size on refresh the planner's statistics (see Storage.refreshStatistics). */
const BULK_UPLOAD_ROWS = 1_000;
/** Resend requests waiting to be worked on; the form's rate limits keep this far off in practice. */
const MAX_PENDING_RESENDS = 10_000;

function batchIdFor(now: Date): string {
  return `batch-${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;
}

export interface OnboardingServiceDeps {
  storage: Storage;
  config: OnrampConfig;
  clock: Clock;
  log: Logger;
  /** Microsoft Graph (or the tenant simulator); without it enrolment reports a failure. */
  graph?: GraphPort | undefined;
}

/**
 * The onboarding use cases the HTTP routes, the CLI and the portal call: upload, the links users click,
 * the resend form, and the read API. SQL stays in onboarding.queries.ts, rules in onboarding.domain.ts.
 */
export class OnboardingService {
  readonly #deps: OnboardingServiceDeps;
  readonly #listeners = new Set<UsersPendingListener>();
  readonly #background = new Set<Promise<unknown>>();
  readonly #opens: BatchedWriter<q.OpenStamp>;
  readonly #resends: BatchedWriter<string>;
  readonly #links: LinkLookups;

  constructor(deps: OnboardingServiceDeps) {
    this.#deps = deps;
    this.#opens = openStampWriter(deps.storage, deps.log);
    this.#resends = new BatchedWriter<string>({
      what: 'resend requests',
      log: deps.log,
      maxBuffered: MAX_PENDING_RESENDS,
      keyOf: (address) => address,
      // One address failing must not fail (and so retry) the others: a retried batch would send again.
      write: async (addresses) => {
        for (const address of addresses) {
          await this.requestResend(address).catch((err) => deps.log.error({ err }, 'a resend request failed'));
        }
      },
    });
    this.#links = new LinkLookups(deps.storage);
  }

  #runControl: CampaignRunControl | undefined;

  /** The jobs hand over their control of the invitation run; returns the detach function. */
  attachRunControl(control: CampaignRunControl): () => void {
    this.#runControl = control;
    return () => {
      if (this.#runControl === control) this.#runControl = undefined;
    };
  }

  /** The invitation run's control, when the jobs run in this process (not in a test app or the CLI). */
  get runControl(): CampaignRunControl | undefined {
    return this.#runControl;
  }

  /** Subscribe to "users became Pending" (upload, resend); returns the unsubscribe function. */
  onUsersPending(listener: UsersPendingListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(event: UsersPendingEvent): boolean {
    let triggered = false;
    for (const listener of this.#listeners) {
      try {
        triggered = listener(event) || triggered;
      } catch (err) {
        this.#deps.log.error({ err }, 'users-pending listener failed');
      }
    }
    return triggered;
  }

  /** Runs work after the caller has answered; errors are logged. `idle()` waits for it (tests, shutdown). */
  runInBackground(work: () => Promise<unknown>): void {
    const p = work()
      .catch((err) => this.#deps.log.error({ err }, 'onboarding background work failed'))
      .finally(() => this.#background.delete(p));
    this.#background.add(p);
  }

  /** Waits for background work and writes the buffered open stamps (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#background.size > 0) await Promise.all([...this.#background]);
    await Promise.all([this.#opens.flush(), this.#resends.flush()]);
  }

  #now(): string {
    return this.#deps.clock.now().toISOString();
  }

  /**
   * Reads and stores a roster in ONE transaction: nothing is half-written. Users new to the campaign are
   * added (Pending); users already in it stay as they are, their link working, unless `resetExisting`
   * asks for a new invitation cycle for them (a new link; the old one then offers a fresh link). Uploads
   * to the campaign take turns; each chunk's keys are looked up in the campaign (none when it had no
   * users), and chunked bulk statements write the users and their events while the rest of the file is
   * still being read (see q.storeUpload), and a
   * file that stops being CSV halfway rolls all of it back. `dryRun` answers the same without writing
   * (the portal's per-row preview).
   */
  async upload(csv: string, options: AddOptions): Promise<UploadResult> {
    const roster = readRoster(csv);
    if (!roster.ok) throw new OnrampError('ONRAMP_ERR_CSV_UNREADABLE', [roster.line, roster.reason]);
    return this.#add(roster, options);
  }

  /**
   * Targets an Entra group: its user members, nested groups' included (transitiveMembers, through
   * Graph), are added as an upload of them would add them, with their names, departments and job
   * titles. Run again, it adds only those who joined the group since; the others stay as they are
   * (unless `resetExisting`). Batch: `group-<id>` unless given.
   */
  async addGroup(groupId: string, options: AddOptions): Promise<UploadResult> {
    const graph = this.#deps.graph;
    if (!graph) throw new OnrampError('ONRAMP_ERR_VALIDATION', ['Microsoft Graph is not configured, so groups cannot be read']);
    const members = await graph.listTransitiveUsers(groupId);
    if (!members) throw new OnrampError('ONRAMP_ERR_GROUP_NOT_FOUND', [groupId]);
    const skipped: RosterIssue[] = [];
    const invalid: RosterIssue[] = [];
    const source: RosterSource = {
      skipped,
      invalid,
      total: members.length,
      *entries() {
        const seen = new Set<string>();
        for (const [i, m] of members.entries()) {
          const key = upnKey(m.userPrincipalName);
          // A member reached through two nested groups is one user.
          if (seen.has(key)) continue;
          seen.add(key);
          if (!isValidAddress(m.userPrincipalName)) {
            invalid.push({ upn: m.userPrincipalName, row: i + 1, reason: 'not a valid address (expected name@domain)' });
            continue;
          }
          yield {
            upn: m.userPrincipalName,
            key,
            row: i + 1,
            profile: { displayName: m.displayName, department: m.department, jobTitle: m.jobTitle, managerUpn: null },
          };
        }
      },
    };
    return this.#add(source, { ...options, batchId: options.batchId ?? `group-${groupId.slice(0, 36)}` });
  }

  async #add(roster: RosterSource, options: AddOptions): Promise<UploadResult> {
    const now = this.#now();
    const batchId = options.batchId ?? batchIdFor(this.#deps.clock.now());
    const { db, dialect } = this.#deps.storage;
    const added: string[] = [];
    const unchanged: string[] = [];
    const reset: string[] = [];
    // The answer's lists fill chunk by chunk, as the campaign's keys are looked up.
    const select = (chunk: readonly q.UploadEntry[], existing: ReadonlySet<string>): q.UploadEntry[] => {
      const write: q.UploadEntry[] = [];
      for (const e of chunk) {
        if (!existing.has(e.upn_key)) added.push(e.upn);
        else if (options.resetExisting) reset.push(e.upn);
        else {
          unchanged.push(e.upn);
          continue;
        }
        write.push(e);
      }
      return write;
    };
    const entries = (function* () {
      for (const e of roster.entries()) yield { upn: e.upn, upn_key: e.key, row: e.row, profile: e.profile };
    })();
    const unreadable = (err: unknown): never => {
      if (err instanceof RosterSyntaxError) throw new OnrampError('ONRAMP_ERR_CSV_UNREADABLE', [err.line, err.message]);
      throw err;
    };
    const answer = (triggered: boolean): UploadResult => ({
      batchId,
      added,
      unchanged,
      reset,
      skipped: roster.skipped,
      errors: roster.invalid.map((i) => ({ upn: i.upn, row: i.row, error: i.reason })),
      total: roster.total,
      triggered,
      dryRun: options.dryRun === true,
    });
    if (options.dryRun) {
      const campaign = await q.defaultCampaign(db);
      const empty = !(await q.campaignHasUsers(db, campaign.id));
      try {
        // Reading the entries is the work: the lists fill as they are classified.
        for await (const { chunk, existing } of q.withExistingKeys(db, dialect, campaign.id, entries, empty)) select(chunk, existing);
      } catch (err) {
        unreadable(err);
      }
      return answer(false);
    }
    const campaignId = await db
      .transaction()
      .execute(async (trx) => {
        const campaign = await q.defaultCampaign(trx);
        await q.lockCampaignForUpload(trx, dialect, campaign.id);
        const campaignWasEmpty = !(await q.campaignHasUsers(trx, campaign.id));
        await q.storeUpload(trx, dialect, { campaignId: campaign.id, batchId, now, actor: options.actor, entries, campaignWasEmpty, select });
        return campaign.id;
      })
      .catch(unreadable);
    const count = added.length + reset.length;
    if (count >= BULK_UPLOAD_ROWS) this.runInBackground(() => this.#deps.storage.refreshStatistics(['tracked_user']));
    return answer(count > 0 && this.#notify({ source: 'upload', campaignId, count, batchId }));
  }

  /** The user a link belongs to, or undefined (malformed tokens never reach the database). */
  async userForToken(token: unknown): Promise<q.TrackedUserRow | undefined> {
    const link = parseLinkToken(token);
    if (!link) return undefined;
    const user = await q.findById(this.#deps.storage.db, link.id);
    return user && linkOpensFor(user, link) ? user : undefined;
  }

  /**
   * Whether a link that no longer opens is its user's link from before their last new cycle: the page
   * then offers a fresh link (sent to the address on file) instead of a dead end.
   */
  async isReplacedLink(token: unknown): Promise<boolean> {
    const link = parseLinkToken(token);
    if (!link) return false;
    const user = await q.previousLinkOf(this.#deps.storage.db, link.id);
    return user !== undefined && isReplacedLink(user, link);
  }

  /**
   * A fresh link for the holder of a replaced one, worked on later as the resend form's requests are:
   * always to the address on file, so the page asks for nothing and tells nothing.
   */
  async queueFreshLink(token: unknown): Promise<void> {
    const link = parseLinkToken(token);
    if (!link) return;
    const user = await q.previousLinkOf(this.#deps.storage.db, link.id);
    if (user && isReplacedLink(user, link)) this.queueResend(user.upn);
  }

  /** Who a link belongs to, for the confirmation page (which changes nothing). */
  async linkHolder(token: unknown): Promise<LinkOwner | undefined> {
    const link = parseLinkToken(token);
    return link ? this.#links.find(link) : undefined;
  }

  async #apply(user: q.TrackedUserRow, patch: TrackedUserPatch, event: Omit<q.NewUserEvent, 'tracked_user_id' | 'at'>): Promise<q.TrackedUserRow | undefined> {
    const now = this.#now();
    const { db, dialect } = this.#deps.storage;
    return db.transaction().execute(async (trx) => {
      if (!(await q.updateUser(trx, user.id, user.version, patch, now))) return undefined;
      await q.appendEvents(trx, [{ ...event, tracked_user_id: user.id, at: now }], dialect);
      return { ...user, ...patch, updated_at: now, version: user.version + 1 };
    });
  }

  /** The enrol link's action: record the click, add to the MFA group once, stamp the dates. */
  async enrol(token: unknown): Promise<EnrolOutcome> {
    const found = await this.userForToken(token);
    if (!found) return { kind: 'unknown' };
    const language = found.preferred_language;
    const decision = decideEnrol(found);
    if (decision.kind === 'already-registered') return { kind: 'already-registered', upn: found.upn, language, inGroup: found.in_group === 1 };
    const clicked = await this.#apply(found, clickPatch(found, this.#now()), { type: USER_EVENT.Clicked, actor: ACTOR_USER, detail: {} });
    // Lost a race with another click on the same link: that one does the work.
    if (!clicked) return { kind: 'already-registered', upn: found.upn, language, inGroup: found.in_group === 1 };
    if (decision.kind === 'record-click-only') return { kind: 'enrolled', upn: found.upn, language, alreadyInGroup: true };

    const { failure, objectId } = await this.#addToGroup(clicked);
    if (failure !== undefined) {
      await this.#apply(clicked, groupAddFailedPatch(failure), { type: USER_EVENT.GroupAddFailed, actor: ACTOR_USER, detail: { reason: failure } });
      return { kind: 'failed', upn: found.upn, language, reason: failure };
    }
    const fresh = (await q.findById(this.#deps.storage.db, clicked.id)) ?? clicked;
    await this.#apply(
      fresh,
      { ...addedToGroupPatch(fresh, this.#now()), object_id: objectId },
      { type: USER_EVENT.AddedToGroup, actor: ACTOR_USER, detail: {} },
    );
    return { kind: 'enrolled', upn: found.upn, language, alreadyInGroup: false };
  }

  /** Adds the user to the campaign's MFA group, resolving their object id first if the workflow has not yet. */
  async #addToGroup(user: q.TrackedUserRow): Promise<{ failure?: string; objectId?: string | null }> {
    const { graph, config, storage } = this.#deps;
    const campaign = await q.campaignById(storage.db, user.campaign_id);
    const groupId = campaign?.mfa_group_id ?? config.onboarding.mfaGroupId;
    if (!graph || groupId === '') return { failure: 'no MFA group configured' };
    try {
      let objectId = user.object_id;
      if (!objectId) {
        const found = (await graph.getUsersByUpn([user.upn])).get(user.upn_key);
        if (!found) return { failure: 'user not found in the directory' };
        objectId = found.id;
      }
      const result = (await graph.addGroupMembers(groupId, [objectId])).get(objectId);
      if (!result) return { failure: 'no answer from the directory' };
      return result.ok ? { objectId } : { failure: `${result.status} ${result.code}` };
    } catch (err) {
      this.#deps.log.warn({ err, trackedUserId: user.id }, 'adding a user to the MFA group failed');
      return { failure: (err as Error).message || 'directory unavailable' };
    }
  }

  /**
   * The open pixel: stamps the first open only, written with others shortly after (`idle()` writes
   * them at once). Unknown or malformed tokens do nothing.
   */
  recordOpen(token: unknown): void {
    const link = parseLinkToken(token);
    if (link) this.#opens.add({ ...link, at: this.#now() });
  }

  /**
   * The resend form's request, worked on later with others (`idle()` at once). Whether the address is
   * in the campaign decides database work and an email; done right after the answer, that work showed
   * in the answer's timing (it delayed what the server did next, on a loaded machine the client too).
   * Queued, it runs on a timer, at moments unrelated to any one request.
   */
  queueResend(email: string): void {
    this.#resends.add(email.trim().toLowerCase());
  }

  /**
   * Self-service resend: anyone in the campaign who is not Active starts a new invitation cycle with a
   * new token. Says nothing about whether the address was known (callers answer before calling this).
   */
  async requestResend(email: string): Promise<void> {
    const address = email.trim();
    if (!isValidAddress(address)) return;
    const campaign = await q.defaultCampaign(this.#deps.storage.db);
    const user = await q.findByUpnKey(this.#deps.storage.db, campaign.id, upnKey(address));
    if (!user || !canResend(user)) return;
    if (
      await this.#apply(user, resetForNewCycle(newLinkSecret(), user.link_secret), {
        type: USER_EVENT.ResendRequested,
        actor: ACTOR_USER,
        detail: { previousStatus: user.invite_status },
      })
    ) {
      this.#notify({ source: 'resend', campaignId: campaign.id, count: 1 });
    }
  }

  // ---- Read API for the portal ----

  async listUsers(options: ListUsersOptions = {}): Promise<UserPage> {
    const db = this.#deps.storage.db;
    const campaign = await q.defaultCampaign(db);
    const filter: q.UserListFilter = {
      campaignId: campaign.id,
      status: options.status,
      batchId: options.batchId,
      department: options.department,
      search: options.search,
    };
    const [total, items] = await Promise.all([
      q.countUsers(db, filter),
      q.listUsers(db, filter, {
        offset: Math.max(0, options.offset ?? 0),
        limit: Math.min(500, Math.max(1, options.limit ?? 50)),
        sort: options.sort ?? 'upn_key',
        descending: options.descending ?? false,
      }),
    ]);
    return { total, items };
  }

  async getUser(id: number): Promise<{ user: q.TrackedUserRow; events: Array<Omit<q.UserEventRow, 'detail'> & { detail: unknown }> }> {
    const db = this.#deps.storage.db;
    const user = await q.findById(db, id);
    if (!user) throw new OnrampError('ONRAMP_ERR_TRACKED_USER_NOT_FOUND', [id]);
    const events = (await q.userEvents(db, id)).map((e) => ({ ...e, detail: JSON.parse(e.detail) as unknown }));
    return { user, events };
  }

  /**
   * A bulk action on the users a filter selects, all or nothing, in one transaction: `resend` starts a
   * new invitation cycle for each who is not Active, `exclude` leaves them out of the emails (marked
   * Excluded with the reason), `remove` deletes them with their history. `expectedCount` is the count
   * the admin confirmed: when the filter selects another number by now, nothing is changed (409).
   */
  async bulk(action: BulkAction, filter: Omit<q.UserListFilter, 'campaignId'>, expectedCount: number, actor: string): Promise<BulkOutcome> {
    const { db, dialect } = this.#deps.storage;
    const now = this.#now();
    const outcome = await db.transaction().execute(async (trx) => {
      const campaign = await q.defaultCampaign(trx);
      await q.lockCampaignForUpload(trx, dialect, campaign.id);
      const ids = await q.matchingUserIds(trx, { ...filter, campaignId: campaign.id });
      if (ids.length !== expectedCount) throw new OnrampError('ONRAMP_ERR_BULK_COUNT_CHANGED', [ids.length, expectedCount]);
      let changed = 0;
      for (let i = 0; i < ids.length; i += BULK_CHUNK) {
        const chunk = ids.slice(i, i + BULK_CHUNK);
        if (action === 'remove') {
          changed += await q.deleteUsers(trx, dialect, chunk);
          continue;
        }
        const done = action === 'resend' ? await q.resetUsers(trx, dialect, chunk, now) : await q.excludeUsers(trx, dialect, chunk, EXCLUDED_BY_ADMIN, now);
        const event = action === 'resend' ? USER_EVENT.ResendRequested : USER_EVENT.MarkedExcluded;
        await q.appendEvents(
          trx,
          done.map((id) => ({
            tracked_user_id: id,
            at: now,
            type: event,
            actor,
            detail: action === 'resend' ? { bulk: true } : { reason: EXCLUDED_BY_ADMIN },
          })),
          dialect,
        );
        changed += done.length;
      }
      return { campaignId: campaign.id, selected: ids.length, changed };
    });
    if (action === 'resend' && outcome.changed > 0) this.#notify({ source: 'admin', campaignId: outcome.campaignId, count: outcome.changed });
    return { action, selected: outcome.selected, changed: outcome.changed };
  }

  /** Removes the user from the campaign with their history (their links stop working). */
  async removeUser(id: number, actor: string): Promise<void> {
    const removed = await this.#deps.storage.db.transaction().execute((trx) => q.deleteUser(trx, id));
    if (!removed) throw new OnrampError('ONRAMP_ERR_TRACKED_USER_NOT_FOUND', [id]);
    this.#deps.log.info({ trackedUserId: id, actor }, 'tracked user removed from campaign');
  }

  /** Admin "resend now": new cycle and token, whatever the status; the workflow sends the invitation. */
  async resendNow(id: number, actor: string): Promise<q.TrackedUserRow> {
    const user = await q.findById(this.#deps.storage.db, id);
    if (!user) throw new OnrampError('ONRAMP_ERR_TRACKED_USER_NOT_FOUND', [id]);
    const updated = await this.#apply(user, resetForNewCycle(newLinkSecret(), user.link_secret), {
      type: USER_EVENT.ResendRequested,
      actor,
      detail: { previousStatus: user.invite_status },
    });
    if (!updated) return this.resendNow(id, actor);
    this.#notify({ source: 'admin', campaignId: user.campaign_id, count: 1 });
    return updated;
  }
}
