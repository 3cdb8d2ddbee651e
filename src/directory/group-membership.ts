/**
 * Transitive members of the groups other features name (signature rules and variables), kept in
 * `directory_group_member` and read again from Graph by a recurring job: on a schedule, and right after
 * the set of named groups changes. One instance of a cluster refreshes at a time (lease); a group Graph
 * fails on keeps its last members and records the error.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { everyMs, RecurringJob, type JobBoard } from '../db/recurring-job.js';
import type { GraphPort } from '../graph/graph-port.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { markGroupFailed, replaceGroupMembers, trackedGroupIds, trackGroups, untrackGroupsExcept } from './directory.queries.js';

export interface NamedGroup {
  id: string;
  displayName: string;
}

export class GroupMembership {
  readonly job: RecurringJob<number>;
  readonly #listeners: Array<(groupIds: string[]) => void> = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly graph: GraphPort,
    private readonly clock: Clock,
    private readonly log: Logger,
    instanceId: string,
    options: { intervalMs?: number | null; jobs?: JobBoard | undefined } = {},
  ) {
    this.job = new RecurringJob<number>({
      name: 'directory-group-refresh',
      schedule: everyMs(options.intervalMs ?? null),
      run: () => this.#refresh(),
      retryAfterFailureMs: 60_000,
      log,
      clock,
      lease: { db, holder: instanceId, ttlMs: 10 * 60_000, resumeInterrupted: true },
    });
    options.jobs?.add(this.job);
  }

  /**
   * Tracks exactly these groups (the ones rules and variables name now); new ones are read from Graph
   * at once (`await` waits for that refresh when this instance runs it), dropped ones are forgotten.
   * Until a group's first refresh nobody is a member of it.
   */
  async track(groups: readonly NamedGroup[]): Promise<void> {
    const unique = [...new Map(groups.map((g) => [g.id, g])).values()];
    const added = await trackGroups(this.db, unique);
    await untrackGroupsExcept(
      this.db,
      unique.map((g) => g.id),
    );
    // A Graph failure does not fail the caller's save: the job logged it and retries.
    if (added.length > 0) await this.job.runNow().catch(() => undefined);
  }

  /** Told after a refresh which groups' members changed (signatures re-plan the mailboxes). */
  onChanged(listener: (groupIds: string[]) => void): void {
    this.#listeners.push(listener);
  }

  /** Reads every tracked group's members; returns how many groups were refreshed. */
  async #refresh(): Promise<number> {
    const ids = await trackedGroupIds(this.db);
    if (ids.length === 0) return 0;
    const members = await this.graph.listTransitiveUserIds(ids);
    const now = this.clock.now().toISOString();
    const changed: string[] = [];
    for (const id of ids) {
      const users = members.get(id);
      if (users) {
        if (await replaceGroupMembers(this.db, id, users, now)) changed.push(id);
      } else {
        this.log.warn({ groupId: id }, 'a group signature rules name is not in the directory; its members are left as they were');
        await markGroupFailed(this.db, id, 'not found in Microsoft Graph');
      }
    }
    if (changed.length > 0) for (const listener of this.#listeners) listener(changed);
    return ids.length;
  }
}
