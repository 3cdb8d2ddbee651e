/**
 * HTTP to Graph and Exchange: app-only tokens from an @azure/identity credential, a dedicated undici
 * Agent (trusting an extra CA when configured, for the tenant simulator), a concurrency limit,
 * Retry-After and exponential backoff with jitter on 429/503/504 within a bounded total time, JSON
 * batching with per-item retries, and counters.
 */
import type { TokenCredential } from '@azure/identity';
import { Agent, request, type Dispatcher } from 'undici';
import { UpstreamError, type GraphCounters } from './graph-port.js';
import { inSpan } from '../observability/tracing.js';

const RETRYABLE = new Set([429, 503, 504]);
/** Answers that say the request was not carried out. */
const NOT_ACTED_ON = new Set([429, 503]);
export const BATCH_LIMIT = 20;

export interface RetryPolicy {
  /**
   * Most attempts that fail other than by throttling (network errors, 503, 504). A 429 with its
   * Retry-After is not counted: under sustained throttling the budget is time (maxRetryMs), as
   * Microsoft's throttling guidance asks; counted, 8 of them took 8 s and the run gave up.
   */
  maxAttempts: number;
  /** Longest total wait across retries of one request (or one batch item). */
  maxRetryMs: number;
  /** First backoff step when no Retry-After is given; doubles each attempt, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface GraphResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface BatchRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the version root, e.g. `/users?$filter=…`. */
  url: string;
  body?: unknown;
}

interface ODataErrorBody {
  error?: { code?: string; message?: string; innerError?: { 'request-id'?: string } };
}

export function errorOf(res: GraphResponse): { code: string; message: string } {
  const e = (res.body as ODataErrorBody | null)?.error;
  return { code: e?.code ?? `HTTP${res.status}`, message: e?.message ?? `HTTP ${res.status}` };
}

export function upstreamError(res: GraphResponse, what: string): UpstreamError {
  const { code, message } = errorOf(res);
  return new UpstreamError(`${what}: ${res.status} ${code}: ${message}`, res.status, code, res.headers['request-id']);
}

/**
 * How many requests may be in flight, adapting to throttling (additive increase, multiplicative
 * decrease, as TCP does): a 429 halves the limit (at most once per second, since the requests in flight
 * when the tenant starts throttling all come back 429 together), and each `limit` answers in a row
 * without one raise it by one, up to the configured maximum. FIFO.
 */
export class AdaptiveLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  #limit: number;
  #cleanStreak = 0;
  #lastDecrease = 0;

  constructor(private readonly max: number) {
    this.#limit = max;
  }

  get limit(): number {
    return this.#limit;
  }

  /** A 429: fewer requests at once. */
  throttled(): void {
    this.#cleanStreak = 0;
    const now = Date.now();
    if (now - this.#lastDecrease < 1000) return;
    this.#lastDecrease = now;
    this.#limit = Math.max(1, Math.floor(this.#limit / 2));
  }

  /** An answer without throttling: slowly back towards the maximum. */
  succeeded(): void {
    if (this.#limit >= this.max) return;
    if (++this.#cleanStreak >= this.#limit) {
      this.#cleanStreak = 0;
      this.#limit++;
      this.#wakeWaiting();
    }
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.#limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.#wakeWaiting();
    }
  }

  #wakeWaiting(): void {
    while (this.active < this.#limit && this.waiting.length > 0) {
      this.active++;
      this.waiting.shift()!();
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seconds (Graph's form) or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(value: string | undefined): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

export function backoffMs(attempt: number, policy: RetryPolicy): number {
  const base = policy.baseDelayMs ?? 500;
  const cap = policy.maxDelayMs ?? 30_000;
  const step = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  // "Equal jitter": half fixed, half random, so retries of many clients spread out but still back off.
  return step / 2 + Math.random() * (step / 2);
}

export function createAgent(caPem: string | undefined, timeoutMs: number): Agent {
  return new Agent({
    connect: caPem ? { ca: caPem, timeout: timeoutMs } : { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 10_000,
  });
}

export interface TransportOptions {
  credential: TokenCredential;
  /** e.g. https://graph.microsoft.com/.default */
  scope: string;
  /** Root the relative paths are resolved against, e.g. https://graph.microsoft.com/v1.0 */
  root: string;
  agent: Dispatcher;
  limiter: AdaptiveLimiter;
  retry: RetryPolicy;
  counters: GraphCounters;
  /** Names the API in metrics and spans. Default graph. */
  api?: 'graph' | 'exchange';
}

export function createLimiter(limit: number): AdaptiveLimiter {
  return new AdaptiveLimiter(limit);
}

export class Transport {
  private readonly origin: string;
  /** Span attributes of every attempt, made once. */
  private readonly spanAttributes: Record<string, string>;

  constructor(private readonly o: TransportOptions) {
    this.origin = new URL(o.root).origin;
    this.spanAttributes = { 'server.address': new URL(o.root).host, 'onramp.api': o.api ?? 'graph' };
  }

  get root(): string {
    return this.o.root;
  }

  /** One attempt, counted by its answer's status and traced as a client span when tracing is on. */
  private once(method: string, url: string, body: unknown, headers: Record<string, string>, binary: boolean): Promise<GraphResponse> {
    const api = this.o.api ?? 'graph';
    return inSpan(`${api} ${method}`, this.spanAttributes, async (span) => {
      span?.setAttribute('http.request.method', method);
      let status = 'error';
      try {
        const res = await this.attempt(method, url, body, headers, binary);
        status = String(res.status);
        span?.setAttribute('http.response.status_code', res.status);
        return res;
      } finally {
        const responses = this.o.counters.responses;
        if (responses) responses.set(`${api} ${status}`, (responses.get(`${api} ${status}`) ?? 0) + 1);
      }
    });
  }

  private async attempt(method: string, url: string, body: unknown, headers: Record<string, string>, binary: boolean): Promise<GraphResponse> {
    // The credential's own pipeline already retried transient token-endpoint failures; what reaches
    // here (bad secret, unregistered certificate) will not heal by retrying.
    let token: Awaited<ReturnType<TokenCredential['getToken']>>;
    try {
      token = await this.o.credential.getToken(this.o.scope);
    } catch (err) {
      throw new UpstreamError(`could not get a token for ${this.o.scope}: ${(err as Error).message}`, 401, 'AuthenticationFailed', undefined, { cause: err });
    }
    if (!token) throw new UpstreamError(`no token for ${this.o.scope}`, 401, 'AuthenticationFailed');
    this.o.counters.requests++;
    const res = await request(url, {
      method: method as Dispatcher.HttpMethod,
      dispatcher: this.o.agent,
      headers: {
        authorization: `Bearer ${token.token}`,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    // Media (a photo's $value) stays bytes; error answers are JSON either way.
    if (binary && res.statusCode >= 200 && res.statusCode < 300)
      return { status: res.statusCode, headers: flat, body: Buffer.from(await res.body.arrayBuffer()) };
    const text = await res.body.text();
    let parsed: unknown = null;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.statusCode, headers: flat, body: parsed };
  }

  /**
   * One request with retries on 429/503/504 and network errors. Returns the final answer (any status);
   * throws UpstreamError when retries run out. Absolute URLs must stay on this transport's origin
   * (nextLink/deltaLink), so a crafted link cannot carry our token elsewhere.
   *
   * `refusalsOnly`: for a request that must not be done twice (sending mail), retried only when Graph
   * answered that it did not act (429, 503); a timeout, a dropped connection or a 504 may have come
   * after it acted, so they go back to the caller, whose own retry (the outbox's) knows the risk.
   */
  async send(
    method: string,
    pathOrUrl: string,
    body?: unknown,
    headers: Record<string, string> = {},
    options: { refusalsOnly?: boolean; binary?: boolean; onAnswer?: (res: GraphResponse | null) => void } = {},
  ): Promise<GraphResponse> {
    const url = /^https:\/\//.test(pathOrUrl) ? pathOrUrl : `${this.o.root}${pathOrUrl}`;
    if (new URL(url).origin !== this.origin) throw new UpstreamError(`refusing to follow a link outside ${this.origin}`, 400, 'ForeignLink');
    const started = Date.now();
    let unguided = 0;
    for (let attempt = 1; ; attempt++) {
      let res: GraphResponse | null = null;
      let failure: unknown = null;
      try {
        res = await this.o.limiter.run(() => this.once(method, url, body, headers, options.binary ?? false));
      } catch (err) {
        if (err instanceof UpstreamError) throw err;
        failure = err;
      }
      options.onAnswer?.(res);
      if (res?.status === 429) this.o.limiter.throttled();
      else if (res) this.o.limiter.succeeded();
      if (res && !RETRYABLE.has(res.status)) return res;
      if (options.refusalsOnly && !(res && NOT_ACTED_ON.has(res.status))) {
        if (res) return res;
        throw new UpstreamError(`${method} ${new URL(url).pathname} failed: ${(failure as Error)?.message}`, 503, 'NetworkError', undefined, {
          cause: failure,
        });
      }
      if (res) this.o.counters.throttled++;
      const retryAfter = res ? retryAfterMs(res.headers['retry-after']) : null;
      // Only throttling (429 with a Retry-After above 0) is free: a failing service (503/504) spends attempts.
      const guided = res?.status === 429 && retryAfter ? retryAfter : null;
      if (guided === null) unguided++;
      const wait = guided ?? retryAfter ?? backoffMs(unguided, this.o.retry);
      if (unguided >= this.o.retry.maxAttempts || Date.now() - started + wait > this.o.retry.maxRetryMs) {
        if (res) throw upstreamError(res, `${method} ${new URL(url).pathname} gave up after ${attempt} attempts`);
        throw new UpstreamError(
          `${method} ${new URL(url).pathname} failed after ${attempt} attempts: ${(failure as Error)?.message}`,
          503,
          'NetworkError',
          undefined,
          { cause: failure },
        );
      }
      this.o.counters.retries++;
      await sleep(wait);
    }
  }

  /** Like send, but non-2xx answers throw. */
  async json<T>(method: string, pathOrUrl: string, body?: unknown, what = `${method} ${pathOrUrl.split('?')[0]}`): Promise<T> {
    const res = await this.send(method, pathOrUrl, body);
    if (res.status < 200 || res.status >= 300) throw upstreamError(res, what);
    return res.body as T;
  }

  /** Every item of a collection, following @odata.nextLink. */
  async *pages<T>(pathOrUrl: string): AsyncGenerator<T[]> {
    let next: string | undefined = pathOrUrl;
    while (next) {
      const page: { value?: T[]; '@odata.nextLink'?: string } = await this.json('GET', next);
      yield page.value ?? [];
      next = page['@odata.nextLink'];
    }
  }

  /**
   * Runs any number of requests as $batch calls of at most 20, concurrently within the limiter.
   * Items answered 429/503/504 are sent again (after their Retry-After, or backoff) in a later batch;
   * once an item's attempts or time run out its last answer is returned as it is. Results are in
   * the order of `requests`.
   */
  async batch(requests: readonly BatchRequest[]): Promise<GraphResponse[]> {
    const results = new Array<GraphResponse>(requests.length);
    const chunks: number[][] = [];
    for (let i = 0; i < requests.length; i += BATCH_LIMIT) chunks.push(requests.slice(i, i + BATCH_LIMIT).map((_, k) => i + k));
    await Promise.all(chunks.map((indexes) => this.batchChunk(requests, indexes, results)));
    // An item the batch answer left out is reported as failed rather than silently missing.
    for (let i = 0; i < results.length; i++) {
      results[i] ??= { status: 502, headers: {}, body: { error: { code: 'MissingBatchItem', message: `$batch answer had no response for item ${i}` } } };
    }
    return results;
  }

  private async batchChunk(requests: readonly BatchRequest[], indexes: number[], results: GraphResponse[]): Promise<void> {
    const started = Date.now();
    let pending = indexes;
    let unguided = 0;
    while (pending.length > 0) {
      const body = {
        requests: pending.map((i) => {
          const r = requests[i]!;
          return {
            id: String(i),
            method: r.method,
            url: r.url,
            ...(r.body !== undefined ? { body: r.body, headers: { 'Content-Type': 'application/json' } } : {}),
          };
        }),
      };
      this.o.counters.batchedItems += pending.length;
      const res = await this.send('POST', '/$batch', body);
      if (res.status !== 200) throw upstreamError(res, 'POST /$batch');
      const items = (res.body as { responses?: Array<{ id: string; status: number; headers?: Record<string, string>; body?: unknown }> }).responses ?? [];
      // Only the items answered 429/503/504 go again; the others keep their answers.
      const retry: number[] = [];
      let guidedWait = 0;
      let anyUnguided = false;
      for (const item of items) {
        const index = Number(item.id);
        const headers = Object.fromEntries(Object.entries(item.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
        results[index] = { status: item.status, headers, body: item.body ?? null };
        if (RETRYABLE.has(item.status)) {
          this.o.counters.throttled++;
          retry.push(index);
          const retryAfter = retryAfterMs(headers['retry-after']);
          if (item.status !== 429 || !retryAfter) anyUnguided = true;
          guidedWait = Math.max(guidedWait, retryAfter ?? 0);
        }
      }
      if (items.some((item) => item.status === 429)) this.o.limiter.throttled();
      if (retry.length === 0) return;
      if (anyUnguided) unguided++;
      const wait = Math.max(guidedWait, anyUnguided ? backoffMs(unguided, this.o.retry) : 0);
      if (unguided >= this.o.retry.maxAttempts || Date.now() - started + wait > this.o.retry.maxRetryMs) return;
      this.o.counters.retries++;
      await sleep(wait);
      pending = retry;
    }
  }
}
