/**
 * `onramp-agent run`: a sync at start (the scheduled task starts it at logon and boot), then one every
 * interval plus a random delay of up to the jitter, so a fleet that logged on at 9:00 does not sync in
 * step. The manifest sets both; the config may override them. A failing sync does not stop the loop.
 */
import { Value } from '@sinclair/typebox/value';
import { DeviceManifest } from '../../src/branding/manifest.schemas.js';
import type { AgentConfig } from './config.js';
import type { SyncResult } from './sync.js';

const MINUTE = 60_000;
/** Before the first manifest says otherwise. */
export const DEFAULT_INTERVAL_MINUTES = 60;
export const DEFAULT_JITTER_MINUTES = 10;

export function nextDelayMs(
  config: Pick<AgentConfig, 'intervalMinutes' | 'jitterMinutes'>,
  last: SyncResult | null,
  random: () => number = Math.random,
): number {
  const interval = config.intervalMinutes ?? last?.manifest?.sync.intervalMinutes ?? DEFAULT_INTERVAL_MINUTES;
  const jitter = config.jitterMinutes ?? last?.manifest?.sync.jitterMinutes ?? DEFAULT_JITTER_MINUTES;
  return Math.round((interval + jitter * random()) * MINUTE);
}

/**
 * `sync` without `--now` (the logon and boot tasks): a random wait of up to the jitter first, so a
 * building's devices starting at 9:00 do not all ask at once. The jitter is the config's, else the
 * cached manifest's, else the default.
 */
export function startDelayMs(config: Pick<AgentConfig, 'jitterMinutes'>, cachedManifest: unknown, random: () => number = Math.random): number {
  const fromManifest = Value.Check(DeviceManifest, cachedManifest) ? cachedManifest.sync.jitterMinutes : undefined;
  return Math.round((config.jitterMinutes ?? fromManifest ?? DEFAULT_JITTER_MINUTES) * MINUTE * random());
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export async function runLoop(options: {
  config: Pick<AgentConfig, 'intervalMinutes' | 'jitterMinutes'>;
  sync: () => Promise<SyncResult>;
  signal: AbortSignal;
  onError: (err: unknown) => void;
  random?: () => number;
}): Promise<void> {
  let last: SyncResult | null = null;
  while (!options.signal.aborted) {
    try {
      last = await options.sync();
    } catch (err) {
      options.onError(err);
    }
    await sleep(nextDelayMs(options.config, last, options.random), options.signal);
  }
}
