/**
 * Scenario 3: the links in emails. `GET /api/track-open` and `GET /api/enrol` (the page a scanner or a
 * person sees first): ≥ 5,000 req/s, and p99 ≤ 20 ms at a fixed 1,000 req/s, each next to the bare
 * Fastify route. Requests rotate through the uploaded users' real tokens, so every one is an indexed
 * lookup of a different user.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { assertClean, figure, load, repeat, warmUp, type Figure, type LoadRequest, type Target } from '../harness.js';
import type { ScenarioContext } from './context.js';
import { mainToken } from './upload.js';

const RPS: Target = { op: '>=', value: 5_000 };
const P99: Target = { op: '<=', value: 20 };
/** Issue 23 (wave 2): each route keeps at least this share of the bare route's throughput, same run. */
const SHARE_OF_BARE: Target = { op: '>=', value: 0.75 };
const SCENARIO = '3 tracking links';

/** The link tokens onramp issued (`<id>.<secret>`), read from its embedded database (the bench is not a client of SQL otherwise). */
export function issuedTokens(dataDir: string, limit: number): string[] {
  const db = new Database(join(dataDir, 'onramp.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("select id || '.' || link_secret as t from tracked_user limit ?").all(limit) as Array<{ t: string }>).map((r) => r.t);
  } finally {
    db.close();
  }
}

export async function trackingScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const out: Figure[] = [];
  const routes = ['/api/track-open', '/api/enrol'];
  await mainToken(ctx);
  const tokens = issuedTokens(ctx.main.dataDir, 20_000);
  if (tokens.length === 0) throw new Error('no tracking tokens issued after the upload');
  for (const route of routes) {
    const rpsMetric = `GET ${route} throughput`;
    const p99Metric = `GET ${route} p99 at ${ctx.sizes.fixedRate.toLocaleString('en-US')} req/s`;
    let i = 0;
    const req: LoadRequest = { url: `${ctx.main.url}${route}`, nextPath: () => `${route}?token=${tokens[i++ % tokens.length]}` };
    const first = await fetch(`${ctx.main.url}${route}?token=${tokens[0]}`);
    await first.arrayBuffer();
    if (first.status !== 200) throw new Error(`GET ${route} with an issued token answered ${first.status}`);
    await warmUp(req, ctx.sizes);
    const rps = await repeat(ctx.sizes.repeats, async () => {
      const r = await load(req, ctx.sizes.loadSeconds);
      assertClean(`GET ${route}`, r);
      return r.rps;
    });
    const p99 = await repeat(ctx.sizes.repeats, async () => {
      const r = await load(req, ctx.sizes.latencySeconds, { rate: ctx.sizes.fixedRate, connections: 10 });
      assertClean(`GET ${route} at a fixed rate`, r);
      return r.p99Ms;
    });
    out.push(
      figure(SCENARIO, rpsMetric, 'req/s', rps, RPS, { name: 'bare Fastify', value: ctx.baselines.httpRps }),
      figure(SCENARIO, p99Metric, 'ms', p99, P99, { name: 'bare Fastify', value: ctx.baselines.httpP99Ms }),
      figure(
        SCENARIO,
        `GET ${route} throughput ÷ bare Fastify's`,
        '×',
        rps.map((r) => r / ctx.baselines.httpRps),
        SHARE_OF_BARE,
        null,
      ),
    );
  }
  return out;
}
