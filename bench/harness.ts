/**
 * The benchmark harness: what a figure is, medians, HTTP load through autocannon (as a library),
 * and the facts about the machine a run happened on.
 */
import autocannon from 'autocannon';
import { cpus, totalmem, platform, release } from 'node:os';

export type Comparison = '<=' | '>=';

export interface Target {
  op: Comparison;
  /** The figure's bound; null when only the ratio is the target. */
  value: number | null;
  /** A bound on figure ÷ same-run baseline too (the machine is shared: the ratio is what carries over). */
  ratio?: number;
}

/**
 * One line of the results table.
 * - met / missed: measured, compared with the target.
 * - reported: measured, no target (e.g. emails queued per second).
 * - broken: the scenario failed (error, wrong count, a feature it measures missing): the run fails on it.
 */
export type FigureStatus = 'met' | 'missed' | 'reported' | 'broken';

export interface Figure {
  scenario: string;
  metric: string;
  unit: string;
  value: number | null;
  target: Target | null;
  /** Name of the same-run baseline and its figure, in the same unit. */
  baseline: { name: string; value: number } | null;
  /** value / baseline.value. */
  ratio: number | null;
  status: FigureStatus;
  /** Every run's figure; value is their median. */
  runs: number[];
  note?: string;
}

export interface Baselines {
  /** Bare Fastify GET over plain HTTP keep-alive. */
  httpRps: number;
  /** p99 (ms) of the bare Fastify route at the fixed rate. */
  httpP99Ms: number;
  /** Bare Fastify POST over mTLS keep-alive. */
  mtlsRps: number;
  /** Seconds for raw prepared-statement inserts of the upload size, in one transaction. */
  sqliteInsertSeconds: number;
  postgresInsertSeconds: number | null;
}

export interface BenchSizes {
  quick: boolean;
  /** Rows of the upload scenario, and the tracked users the main server holds for scenarios 3, 5 and 6. */
  uploadRows: number;
  invitationUsers: number;
  /** Seconds of each throughput run. */
  loadSeconds: number;
  /** Seconds of each fixed-rate latency run. */
  latencySeconds: number;
  fixedRate: number;
  /** Runs whose median is reported. */
  repeats: number;
  /** Scenario 13: uploads growing a fresh server's roster, of `scaleRows` each. */
  scaleUploads: number;
  scaleRows: number;
}

/** `million`: scenario 13 at 1,000,000 users (five uploads of 200,000; about as long as the rest of the bench). */
export function sizes(quick: boolean, million = false): BenchSizes {
  const scaleRows = quick ? 500 : million ? 200_000 : 40_000;
  return quick
    ? { quick, uploadRows: 2_000, invitationUsers: 200, loadSeconds: 1, latencySeconds: 1, fixedRate: 1_000, repeats: 1, scaleUploads: 2, scaleRows }
    : { quick, uploadRows: 100_000, invitationUsers: 10_000, loadSeconds: 5, latencySeconds: 5, fixedRate: 1_000, repeats: 3, scaleUploads: 5, scaleRows };
}

export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function repeat(times: number, run: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) out.push(await run());
  return out;
}

export function judge(value: number, target: Target | null, ratio: number | null = null): FigureStatus {
  if (!target) return 'reported';
  const within = (v: number, bound: number) => (target.op === '<=' ? v <= bound : v >= bound);
  if (target.value !== null && !within(value, target.value)) return 'missed';
  if (target.ratio !== undefined && (ratio === null || !within(ratio, target.ratio))) return 'missed';
  return 'met';
}

export function figure(
  scenario: string,
  metric: string,
  unit: string,
  runs: number[],
  target: Target | null,
  baseline: { name: string; value: number } | null,
  note?: string,
): Figure {
  const value = median(runs);
  const ratio = baseline && baseline.value > 0 ? value / baseline.value : null;
  return {
    scenario,
    metric,
    unit,
    value,
    target,
    baseline,
    ratio,
    status: judge(value, target, ratio),
    runs,
    ...(note ? { note } : {}),
  };
}

export function broken(scenario: string, metric: string, unit: string, target: Target | null, err: unknown): Figure {
  const message = err instanceof Error ? err.message : String(err);
  return { scenario, metric, unit, value: null, target, baseline: null, ratio: null, status: 'broken', runs: [], note: `BROKEN: ${message.split('\n')[0]}` };
}

export interface LoadRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Client certificate and trust for mTLS (autocannon passes these to tls.connect). */
  tls?: { cert: string; key: string; ca: string };
  /** A fresh path per request (e.g. rotating through users' tokens). */
  nextPath?: () => string;
}

export interface LoadResult {
  rps: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx/3xx answers plus socket errors and timeouts. */
  failures: number;
  statusCounts: Record<string, number>;
}

/**
 * Drives `req` with autocannon over keep-alive connections. `rate` (requests per second for the
 * whole run) turns it into a fixed-rate latency run; without it, as fast as the server answers.
 * `amount` sends exactly that many requests instead of running for `seconds`.
 */
export async function load(req: LoadRequest, seconds: number, options: { connections?: number; rate?: number; amount?: number } = {}): Promise<LoadResult> {
  const connections = options.connections ?? 50;
  const result = await autocannon({
    url: req.url,
    method: req.method ?? 'GET',
    headers: req.headers,
    body: req.body,
    connections,
    pipelining: 1,
    ...(options.amount ? { amount: options.amount } : { duration: seconds }),
    timeout: 10,
    ...(options.rate ? { overallRate: options.rate } : {}),
    ...(req.nextPath ? { requests: [{ setupRequest: (r: autocannon.Request) => ({ ...r, path: req.nextPath!() }) }] } : {}),
    ...(req.tls ? { tlsOptions: { cert: req.tls.cert, key: req.tls.key, ca: req.tls.ca } } : {}),
  } as autocannon.Options);
  const statusCounts: Record<string, number> = {};
  for (const [k, v] of Object.entries(result.statusCodeStats ?? {})) statusCounts[k] = (v as { count: number }).count;
  return {
    rps: result.requests.average,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
    statusCounts,
  };
}

/** A short unmeasured run first, so JIT and connection set-up stay out of the figure (full runs only). */
export async function warmUp(req: LoadRequest, s: BenchSizes): Promise<void> {
  if (!s.quick) await load(req, 1);
}

/** A load run that answered anything other than success is a broken scenario, not a slow one. */
export function assertClean(what: string, r: LoadResult): void {
  if (r.requests === 0) throw new Error(`${what}: no request completed`);
  if (r.failures > 0) throw new Error(`${what}: ${r.failures} of ${r.requests} requests failed (status counts ${JSON.stringify(r.statusCounts)})`);
}

export interface MachineFacts {
  date: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
}

export function machineFacts(): MachineFacts {
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}
