/**
 * The one client of the admin API: same-origin, the session cookie, the CSRF token on every change, and
 * errors in the catalogue's shape turned into ApiError. Answer types come from the schemas the server
 * declares on its routes (src/…/*.schemas.ts), so a screen reads exactly what the server sends.
 */
export type { SessionAnswer as SessionInfo, SignedIn } from '../../../src/auth/auth.schemas.ts';

/** The session's CSRF token, held in memory only (never in storage a script of another page could read). */
let csrfToken: string | null = null;
export function setCsrfToken(value: string | null): void {
  csrfToken = value;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The whole error body, for answers that say more than code and message (a template's `problems`). */
    readonly body: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as JSON, or as multipart/form-data when it is FormData (the browser writes the boundary). */
  body?: unknown;
}

function headersFor(method: string, json: boolean): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (json) headers['content-type'] = 'application/json';
  return headers;
}

/** JSON, or an empty object for a body that is not (a proxy's error page, an empty answer). */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

/** An error answer as ApiError: the catalogue's code and message when the body has them, else the status line. */
function errorFrom(status: number, statusText: string, text: string): ApiError {
  const answer = parsed(text);
  const body = (answer !== null && typeof answer === 'object' ? answer : {}) as Record<string, unknown>;
  return new ApiError(status, typeof body.code === 'string' ? body.code : 'ERROR', typeof body.message === 'string' ? body.message : statusText, body);
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const form = options.body instanceof FormData;
  const json = options.body !== undefined && !form;
  const res = await fetch(path, {
    method,
    headers: headersFor(method, json),
    body: form ? (options.body as FormData) : json ? JSON.stringify(options.body) : undefined,
    credentials: 'same-origin',
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (!res.ok) throw errorFrom(res.status, res.statusText, text);
  return parsed(text) as T;
}

/** A JSON POST whose upload progress is reported (fetch has no upload progress events, XHR does). */
export function postWithProgress<T>(path: string, body: unknown, onProgress: (percent: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    for (const [name, value] of Object.entries(headersFor('POST', true))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100));
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(parsed(xhr.responseText) as T);
      else reject(errorFrom(xhr.status, xhr.statusText, xhr.responseText));
    };
    xhr.onerror = () => reject(new Error('network error'));
    xhr.send(JSON.stringify(body));
  });
}

export function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
