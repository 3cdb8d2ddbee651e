/**
 * One sync at a time per user: `sync --now` typed while `run` is mid-sync (or the logon task firing
 * during the boot task) would otherwise interleave reads and writes of state.json and the user's files.
 * A lock file in the agent's folder, created exclusively; a lock whose owner is gone (the process no
 * longer exists, or it is older than any sync takes) is taken over.
 */
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

const STALE_MS = 15 * 60_000;

export class SyncBusyError extends Error {
  override readonly name = 'SyncBusyError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How long a lock file may stay empty: its owner creates it, then writes its pid (two steps). */
const UNWRITTEN_MS = 10_000;

async function isStale(path: string): Promise<boolean> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const [pid, at] = text.split(' ').map(Number);
  if (!pid || !at) {
    // Empty: just created by a sync that has not written its pid yet — stale only when it stays so.
    const created = await stat(path)
      .then((s) => s.mtimeMs)
      .catch(() => 0);
    return Date.now() - created > UNWRITTEN_MS;
  }
  return (pid !== process.pid && !alive(pid)) || Date.now() - at > STALE_MS;
}

/** Runs `fn` holding the lock; waits up to `waitMs` for another sync to finish. */
export async function withSyncLock<T>(dir: string, fn: () => Promise<T>, waitMs = 120_000): Promise<T> {
  const path = join(dir, 'sync.lock');
  const deadline = Date.now() + waitMs;
  await mkdir(dir, { recursive: true });
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${process.pid} ${Date.now()}`);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await isStale(path)) {
        await rm(path, { force: true });
        continue;
      }
      if (Date.now() >= deadline) throw new SyncBusyError(`another sync is running (${path}); try again when it has finished`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
