/**
 * The command line (agent/src/main.ts runs it):
 *   onramp-agent sync --now [--config <file>]   one sync at once (on demand)
 *   onramp-agent sync [--config <file>]         one sync after a random delay of up to the jitter (logon/boot tasks)
 *   onramp-agent run [--config <file>]          the loop: a sync, then every interval plus jitter
 *   onramp-agent machine [--config <file>]      the SYSTEM part: PersonalizationCSP for wallpaper and lock screen
 *   onramp-agent status [--config <file>]       the last sync's outcome in words (support staff, in the user's session)
 * Exit codes: 0 done, 1 could not run (config, credentials), 2 an element failed, 3 offline (applied from the cache).
 */
import { join } from 'node:path';
import { AgentConfigError, loadAgentConfig, type AgentConfig } from './config.js';
import { applyMachineRequest } from './elements/images.js';
import { FakeRootPlatform } from './fake-root.js';
import { DeviceClient } from './http-client.js';
import type { Platform } from './platform.js';
import { runLoop, startDelayMs } from './scheduler.js';
import { StateStore, type SyncStatus } from './state.js';
import { syncOnce, type SyncResult } from './sync.js';

export const USAGE = `usage: onramp-agent <sync [--now] | run | machine | status> [--config <file>]`;

/** The Windows platform (agent/src/windows/: registry through reg.exe, the user's real folders), loaded only on Windows. */
async function loadWindowsPlatform(_config: AgentConfig): Promise<Platform> {
  const { WindowsPlatform } = await import('./windows/windows-platform.js');
  return new WindowsPlatform();
}

export async function createPlatform(config: AgentConfig): Promise<Platform> {
  if (config.fakeRoot) {
    const { root, elevated, upn } = config.fakeRoot;
    return new FakeRootPlatform({ root, elevated, ...(upn ? { upn } : {}) });
  }
  if (process.platform === 'win32') return loadWindowsPlatform(config);
  throw new AgentConfigError(`on ${process.platform} the agent runs only against a fake root (set fakeRoot in the config)`);
}

function defaultConfigFile(): string {
  return process.platform === 'win32' ? join(process.env.ProgramData ?? 'C:\\ProgramData', 'onramp', 'agent.json') : 'agent.json';
}

function exitCodeOf(result: SyncResult): number {
  if (Object.values(result.elements).some((e) => e?.status === 'failed')) return 2;
  // No user (a local account): nothing was asked of the server, so this is not "offline".
  if (result.user.upn === null) return 0;
  return result.manifestSource === 'server' ? 0 : 3;
}

function summary(result: SyncStatus): string {
  // A status file from before `upn: "auto"` has no user.
  const user = !result.user ? [] : [result.user.upn === null ? `no user — ${result.user.reason}` : `user ${result.user.upn} (from ${result.user.source})`];
  const lines = [
    ...user,
    `manifest ${result.manifestVersion ?? '(none)'} from ${result.manifestSource}${result.serverProblem ? ` — ${result.serverProblem}` : ''}`,
  ];
  for (const [name, report] of Object.entries(result.elements)) {
    lines.push(`  ${name}: ${report!.status}${report!.applied ? ` (${report!.applied})` : ''}${report!.detail ? ` — ${report!.detail}` : ''}`);
  }
  lines.push(`  beacons: ${result.beacons.delivered} delivered, ${result.beacons.queued} queued, ${result.beacons.dropped} dropped`);
  return lines.join('\n');
}

/** Whether a status file has the parts `summary` reads (it may be an older agent's, or edited). */
function isStatus(value: unknown): value is SyncStatus {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<SyncStatus>;
  return (
    typeof v.finishedAt === 'string' &&
    typeof v.manifestSource === 'string' &&
    typeof v.elements === 'object' &&
    v.elements !== null &&
    typeof v.beacons === 'object'
  );
}

/** The last sync in words, with how long ago it finished: what support staff read first on a device. */
async function printStatus(store: StateStore, io: CliIo, now = new Date()): Promise<number> {
  const status = await store.loadStatus();
  if (status === undefined) {
    io.out(`no sync has finished yet for this user (nothing in ${store.dir})`);
    return 1;
  }
  if (!isStatus(status)) {
    io.err(`the status file in ${store.dir} is not one this agent can read: run \`onramp-agent sync --now\``);
    return 1;
  }
  const minutes = Math.max(0, Math.round((now.getTime() - Date.parse(status.finishedAt)) / 60_000));
  io.out(`last sync finished ${status.finishedAt} (${minutes} minute${minutes === 1 ? '' : 's'} ago)\n${summary(status)}`);
  return 0;
}

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Ends `run` (SIGINT/SIGTERM in main.ts). */
  signal?: AbortSignal;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  let configFile = defaultConfigFile();
  let now = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--now') now = true;
    else if (arg === '--config' && rest[i + 1]) configFile = rest[++i]!;
    else {
      io.err(`unknown argument ${arg}\n${USAGE}`);
      return 1;
    }
  }
  if (command !== 'sync' && command !== 'run' && command !== 'machine' && command !== 'status') {
    io.err(USAGE);
    return 1;
  }
  let client: DeviceClient | undefined;
  try {
    const config = loadAgentConfig(configFile);
    const platform = await createPlatform(config);
    if (command === 'machine') {
      for (const outcome of await applyMachineRequest(platform)) io.out(`${outcome.kind}: ${outcome.status}${outcome.detail ? ` — ${outcome.detail}` : ''}`);
      return 0;
    }
    const store = new StateStore((await platform.folders()).agentData);
    if (command === 'status') return printStatus(store, io);
    client = await DeviceClient.fromConfig(config);
    const deps = { config, platform, client, store };
    if (command === 'sync') {
      if (!now) {
        const delay = startDelayMs(config, await store.loadManifest());
        await new Promise((r) => setTimeout(r, delay));
      }
      const result = await syncOnce(deps);
      io.out(summary(result));
      return exitCodeOf(result);
    }
    await runLoop({
      config,
      signal: io.signal ?? new AbortController().signal,
      sync: async () => {
        const result = await syncOnce(deps);
        io.out(summary(result));
        return result;
      },
      onError: (err) => io.err(`sync failed: ${(err as Error).message}`),
    });
    return 0;
  } catch (err) {
    io.err(err instanceof AgentConfigError ? err.message : `onramp-agent: ${(err as Error).message}`);
    return 1;
  } finally {
    client?.close();
  }
}
