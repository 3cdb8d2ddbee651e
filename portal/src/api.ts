/** The admin API as the portal uses it: same-origin, session cookie, CSRF token on every change. */
import { getCsrfToken, setCsrfToken } from './csrf.ts';

export { setCsrfToken };

export interface SessionInfo {
  signedIn: boolean;
  user: { subject: string; displayName: string; role: 'admin' | 'viewer'; kind: string } | null;
  csrfToken: string | null;
  methods: { local: boolean; oidc: boolean };
  setupRequired: boolean;
  demo: boolean;
  /** The demo's Mailbox screen exists (tenant simulator in-process). */
  mailbox: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}


export async function api<T>(path: string, init: { method?: string; body?: unknown; raw?: BodyInit; contentType?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const method = init.method ?? 'GET';
  const csrfToken = getCsrfToken();
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let body: BodyInit | undefined;
  if (init.raw !== undefined) {
    body = init.raw;
    if (init.contentType) headers['content-type'] = init.contentType;
  } else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(path, { method, headers, body, credentials: 'same-origin' });
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
  if (!res.ok) throw new ApiError(res.status, data.code ?? 'ERROR', data.message ?? res.statusText);
  return data as T;
}

export function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
