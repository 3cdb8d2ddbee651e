/**
 * Prometheus metrics (prom-client), one Registry per running instance: tests start several apps in
 * one process, and prom-client's global default registry would mix them. Request counts and latency
 * are recorded per request at the route's pattern (never the raw URL); everything that already has a
 * state somewhere (jobs, Graph counters, the outbox, directory sync, the pool) is read at scrape time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobBoard } from '../db/recurring-job.js';
import type { Storage } from '../db/dialect.js';
import type { GraphCounters } from '../graph/graph-port.js';
import type { Clock } from '../lib/clock.js';
import { OnrampError } from '../errors.js';

/** State the scrape reads from the features; the assembly wires them (src/main.ts). */
export interface MetricsSources {
  storage: Storage;
  clock: Clock;
  jobs?: JobBoard | undefined;
  graph?: { counters(): GraphCounters } | undefined;
  /** Emails waiting to be sent (pending or being sent) and when the oldest of them was queued. */
  outboxBacklog?: () => Promise<{ queued: number; oldestQueuedAt: string | null }>;
  /** When the local directory copy last finished a sync round with Graph. */
  directorySyncedAt?: () => Promise<string | null>;
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const UNMATCHED = '(unmatched)';

/** The series of one route and method, kept so a request costs a lookup and two increments. */
interface RouteSeries {
  latency: Histogram.Internal<string>;
  byStatus: Map<number, Counter.Internal>;
}

export class OnrampMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'listener' | 'method' | 'route' | 'status'>;
  readonly #latency: Histogram<'listener' | 'method' | 'route'>;
  readonly #refusals: Counter<'code'>;
  readonly #jobDuration: Histogram<'job' | 'outcome'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.#requests = new Counter({
      name: 'onramp_http_requests_total',
      help: 'HTTP requests answered, by listener, route pattern and status.',
      labelNames: ['listener', 'method', 'route', 'status'],
      registers,
    });
    this.#latency = new Histogram({
      name: 'onramp_http_request_duration_seconds',
      help: 'Time from request to response, by listener and route pattern.',
      labelNames: ['listener', 'method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.#refusals = new Counter({
      name: 'onramp_gateway_refusals_total',
      help: 'Device listener requests refused by the gateway or the route, by error code (docs/ERRORS.md).',
      labelNames: ['code'],
      registers,
    });
    this.#jobDuration = new Histogram({
      name: 'onramp_job_duration_seconds',
      help: 'Duration of recurring job runs, by job and outcome.',
      labelNames: ['job', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
      registers,
    });
    sources.jobs?.observeRuns((status, seconds, ok) => this.#jobDuration.observe({ job: status.name, outcome: ok ? 'ok' : 'failed' }, seconds));
    registerScrapeMetrics(registers, sources);
  }

  /**
   * Counts and times every request of `app` as `listener`. Call before the routes are registered: each
   * route gets its own hook holding its series, so a request costs no lookup of its route (Fastify's
   * `req.routeOptions` builds an object per read); the one root hook counts only unmatched URLs.
   */
  instrument(app: FastifyInstance, listener: string): void {
    const record = (byMethod: Record<string, RouteSeries>, route: string, method: string, status: number, ms: number) => {
      const known = KNOWN_METHODS.has(method) ? method : 'OTHER';
      let series = byMethod[known];
      if (!series) {
        series = { latency: this.#latency.labels({ listener, method: known, route }), byStatus: new Map() };
        byMethod[known] = series;
      }
      let counter = series.byStatus.get(status);
      if (!counter) {
        counter = this.#requests.labels({ listener, method: known, route, status: String(status) });
        series.byStatus.set(status, counter);
      }
      counter.inc();
      series.latency.observe(ms / 1000);
    };
    app.addHook('onRoute', (route) => {
      const byMethod: Record<string, RouteSeries> = {};
      const url = route.url;
      const hook: onResponseHookHandler = (req, reply, done) => {
        record(byMethod, url, req.method, reply.statusCode, reply.elapsedTime);
        done();
      };
      const existing = route.onResponse;
      route.onResponse = existing === undefined ? [hook] : [...(Array.isArray(existing) ? existing : [existing]), hook];
    });
    const unmatched: Record<string, RouteSeries> = {};
    app.addHook('onResponse', (req, reply, done) => {
      if (req.is404) record(unmatched, UNMATCHED, req.method, reply.statusCode, reply.elapsedTime);
      done();
    });
  }

  /** A device request the gateway (or the route behind it) refused; `code` is a catalogue code. */
  gatewayRefused(code: string): void {
    this.#refusals.inc({ code });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function registerScrapeMetrics(registers: Registry[], s: MetricsSources): void {
  const jobs = () => s.jobs?.statuses() ?? [];
  new Counter({
    name: 'onramp_job_runs_total',
    help: 'Recurring job runs since this instance started, failed ones included.',
    labelNames: ['job'],
    registers,
    collect() {
      this.reset();
      for (const j of jobs()) this.inc({ job: j.name }, j.runs);
    },
  });
  new Counter({
    name: 'onramp_job_failures_total',
    help: 'Recurring job runs that failed.',
    labelNames: ['job'],
    registers,
    collect() {
      this.reset();
      for (const j of jobs()) this.inc({ job: j.name }, j.failures);
    },
  });
  new Gauge({
    name: 'onramp_job_consecutive_failures',
    help: 'Failures in a row of each recurring job (0 once a run succeeds).',
    labelNames: ['job'],
    registers,
    collect() {
      this.reset();
      for (const j of jobs()) this.inc({ job: j.name }, j.consecutiveFailures);
    },
  });
  new Gauge({
    name: 'onramp_job_running',
    help: '1 while the job runs on this instance.',
    labelNames: ['job'],
    registers,
    collect() {
      this.reset();
      for (const j of jobs()) this.inc({ job: j.name }, j.state === 'running' ? 1 : 0);
    },
  });

  const graphCounter = (name: string, help: string, read: (c: GraphCounters) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        if (s.graph) this.inc(read(s.graph.counters()));
      },
    });
  new Counter({
    name: 'onramp_graph_responses_total',
    help: 'HTTP answers from Microsoft Graph and Exchange Online by status (429 = throttled; "error" = no answer: network, timeout).',
    labelNames: ['api', 'status'],
    registers,
    collect() {
      this.reset();
      for (const [key, n] of s.graph?.counters().responses ?? []) {
        const [api = '', status = ''] = key.split(' ');
        this.inc({ api, status }, n);
      }
    },
  });
  graphCounter('onramp_graph_batched_items_total', 'Sub-requests carried inside Graph $batch requests.', (c) => c.batchedItems);
  graphCounter('onramp_graph_throttled_total', '429/503/504 answers from Graph and Exchange, whole responses and $batch items.', (c) => c.throttled);
  graphCounter('onramp_graph_retries_total', 'Requests sent again after throttling or a failure.', (c) => c.retries);

  const ageSeconds = (iso: string | null) => (iso ? Math.max(0, (s.clock.now().getTime() - Date.parse(iso)) / 1000) : 0);
  if (s.outboxBacklog) {
    const backlog = s.outboxBacklog;
    let last: Promise<{ queued: number; oldestQueuedAt: string | null }> | undefined;
    // Both gauges read one query per scrape.
    const read = () => (last ??= backlog().finally(() => setImmediate(() => (last = undefined))));
    new Gauge({
      name: 'onramp_outbox_queued',
      help: 'Emails in the outbox waiting to be sent (pending or being sent).',
      registers,
      async collect() {
        this.set((await read()).queued);
      },
    });
    new Gauge({
      name: 'onramp_outbox_oldest_queued_age_seconds',
      help: 'Age of the oldest email still waiting in the outbox; 0 when none waits.',
      registers,
      async collect() {
        this.set(ageSeconds((await read()).oldestQueuedAt));
      },
    });
  }
  if (s.directorySyncedAt) {
    const syncedAt = s.directorySyncedAt;
    new Gauge({
      name: 'onramp_directory_sync_lag_seconds',
      help: 'Time since the directory copy last finished a sync round with Graph; -1 before the first.',
      registers,
      async collect() {
        const at = await syncedAt();
        this.set(at ? ageSeconds(at) : -1);
      },
    });
  }
  const pool = s.storage.poolStats;
  if (pool) {
    const poolGauge = (name: string, help: string, read: (p: { total: number; idle: number; waiting: number }) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(pool()));
        },
      });
    poolGauge('onramp_db_pool_connections', 'PostgreSQL connections open in the pool.', (p) => p.total);
    poolGauge('onramp_db_pool_idle_connections', 'PostgreSQL connections idle in the pool.', (p) => p.idle);
    poolGauge('onramp_db_pool_waiting_requests', 'Queries waiting for a PostgreSQL connection.', (p) => p.waiting);
  }
  new Counter({
    name: 'onramp_db_store_failures_total',
    help: 'Statements that failed because of the store itself (disk full, read-only, connection lost).',
    registers,
    collect() {
      this.reset();
      this.inc(s.storage.health.storeFailures);
    },
  });
}

/** `Authorization: Bearer <token>` against the configured token, compared in constant time. */
function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const digest = (t: string) => createHash('sha256').update(t).digest();
  return timingSafeEqual(digest(header.slice('Bearer '.length)), digest(token));
}

/** GET /metrics on the public listener, for callers holding `telemetry.metricsToken`. */
export function metricsRoute(app: FastifyInstance, metrics: OnrampMetrics, token: string): void {
  app.get('/metrics', { logLevel: 'warn' }, async (req, reply) => {
    if (!bearerMatches(req.headers.authorization, token)) throw new OnrampError('ONRAMP_ERR_UNAUTHENTICATED');
    return reply.type(metrics.contentType).send(await metrics.text());
  });
}
