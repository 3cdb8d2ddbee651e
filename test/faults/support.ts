/**
 * What the fault tests share: a tenant of N users (every 10th disabled, so not every user is emailed),
 * the environment that points onramp at it and at a real SMTP server, and the checks "nobody lost,
 * duplicates counted".
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import type { SimulatorOptions } from '../../src/simulator/index.js';
import { after, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ephemeralServeEnv } from '../support/process.js';
import { simulatorEnv, startTestTenant, type TestTenant } from '../support/simulator.js';
import type { SmtpSink } from '../support/smtp.js';

export const D = 'contoso.test';
export const upnOf = (i: number) => `user${String(i).padStart(4, '0')}@${D}`;
export const disabled = (i: number) => i % 10 === 0;

export function tenantOf(users: number): NonNullable<SimulatorOptions['tenant']> {
  return {
    domain: D,
    users: Array.from({ length: users }, (_, k) => k + 1).map((i) => ({
      userPrincipalName: upnOf(i),
      displayName: `User ${i}`,
      mail: upnOf(i),
      ...(disabled(i) ? { accountEnabled: false } : {}),
    })),
  };
}

/**
 * A simulated tenant of `users` and a scratch folder for the fault suite whose describe() calls this:
 * started before its tests, removed after them.
 */
export function faultTenant(users: number, prefix: string): { readonly tenant: TestTenant; readonly dir: string } {
  let tenant: TestTenant | undefined;
  let dir: string | undefined;
  before(async () => {
    tenant = await startTestTenant({ tenant: tenantOf(users) });
    dir = mkdtempSync(join(tmpdir(), `onramp-fault-${prefix}-`));
  });
  after(async () => {
    await tenant?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get tenant() {
      return tenant!;
    },
    get dir() {
      return dir!;
    },
  };
}

/**
 * What an onramp under fault runs with, over the caller's storage: ephemeral ports, the simulated tenant,
 * the SMTP sink, chunks of 10 users one Graph call at a time and fast polls, so a fault lands mid-run.
 */
export function faultServeEnv(fixture: { tenant: TestTenant; dir: string }, smtpPort: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...ephemeralServeEnv(),
    ...simulatorEnv(fixture.tenant.sim, fixture.dir),
    ONRAMP_CONFIG_FILE: join(fixture.dir, 'no-config.json'),
    ONRAMP_SMTP_HOST: '127.0.0.1',
    ONRAMP_SMTP_PORT: String(smtpPort),
    ONRAMP_MAIL_FROM: `mfa@${D}`,
    ONRAMP_MAIL_POLL_INTERVAL_MS: '200',
    ONRAMP_MAIL_CLAIM_TTL_MS: '2000',
    ONRAMP_INVITATIONS_CHUNK_SIZE: '10',
    ONRAMP_INVITATIONS_GRAPH_CONCURRENCY: '1',
    ...extra,
  };
}

export function eligibleOf(users: number): string[] {
  return Array.from({ length: users }, (_, k) => k + 1)
    .filter((i) => !disabled(i))
    .map(upnOf);
}

export const rosterCsv = (users: number) => `UPN\n${Array.from({ length: users }, (_, k) => upnOf(k + 1)).join('\n')}\n`;

/** Polls until `check` holds (a condition to wait for, not a timing assertion). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Every eligible user's invitation arrived at least once; returns how many arrived twice or more. */
export function lostAndDuplicates(sink: SmtpSink, eligible: readonly string[]): { lost: string[]; duplicates: number } {
  const lost = eligible.filter((upn) => sink.to(upn).length === 0);
  const duplicates = eligible.reduce((n, upn) => n + Math.max(0, sink.to(upn).length - 1), 0);
  return { lost, duplicates };
}

export async function statusCounts(db: Kysely<Database>): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('tracked_user')
    .select(['invite_status', db.fn.countAll<number>().as('n')])
    .groupBy('invite_status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.invite_status, Number(r.n)]));
}

/** A figure for docs/RELIABILITY.md, printed so the run's own output is the source. */
export function figure(name: string, value: unknown): void {
  process.stdout.write(`FIGURE ${name}: ${JSON.stringify(value)}\n`);
}
