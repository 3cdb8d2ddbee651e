import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from './client.ts';

export interface ApiData<T> {
  /** The last answer; kept while a newer one loads or fails, so a screen does not flash empty. */
  data: T | undefined;
  /** The last failure's message, cleared by the next success. */
  error: string | null;
  /** Asks again (after a change, or on a timer); settles once the answer is shown (or its error). */
  reload: () => Promise<void>;
}

/** How often screens that follow a running campaign ask again (live updates). */
export const LIVE_REFRESH_MS = 5_000;

/**
 * The one data hook of the portal: GET `path` whenever it changes (null: nothing yet). An answer that
 * arrives after the path moved on is dropped, so a slow answer to an old filter never overwrites the
 * current one. With `refreshMs` it asks again on that period while the tab is visible (live updates:
 * statuses change as the invitation run and the users' clicks go on).
 */
export function useApi<T>(path: string | null, options: { refreshMs?: number } = {}): ApiData<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const current = useRef(path);
  current.current = path;

  const load = useCallback(async (asked: string) => {
    try {
      const answer = await api<T>(asked);
      if (current.current !== asked) return;
      setData(answer);
      setError(null);
    } catch (err) {
      if (current.current === asked) setError((err as Error).message);
    }
  }, []);
  useEffect(() => {
    if (path !== null) void load(path);
  }, [path, load]);
  const reload = useCallback(async () => {
    if (current.current !== null) await load(current.current);
  }, [load]);
  const { refreshMs } = options;
  useEffect(() => {
    if (!refreshMs || path === null) return;
    const timer = setInterval(() => {
      if (!document.hidden) void load(path);
    }, refreshMs);
    return () => clearInterval(timer);
  }, [path, refreshMs, load]);
  return { data, error, reload };
}
