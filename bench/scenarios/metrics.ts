/**
 * Scenario 10: what metrics cost on a hot path. The email pixel (`GET /api/track-open`) on an instance
 * with the metrics listener on, next to the same route on the main instance (metrics off) measured in
 * the same scenario, runs alternating so the machine's noise falls on both. Both instances serve the
 * same SQLite database, so the same issued tokens answer on either. The scrape after the load must
 * show the requests counted at the route's pattern, or the scenario breaks.
 */
import { assertClean, figure, load, median, repeat, warmUp, type Figure, type LoadRequest } from '../harness.js';
import { startOnrampServer } from '../onramp.js';
import { freePort } from '../support.js';
import type { ScenarioContext } from './context.js';
import { issuedTokens } from './tracking.js';
import { mainToken } from './upload.js';

const SCENARIO = '10 metrics';
const ROUTE = '/api/track-open';

export async function metricsScenario(ctx: ScenarioContext): Promise<Figure[]> {
  await mainToken(ctx);
  const tokens = issuedTokens(ctx.main.dataDir, 20_000);
  if (tokens.length === 0) throw new Error('no tracking tokens issued after the upload');
  const metricsPort = await freePort();
  const instrumented = await startOnrampServer({
    workDir: ctx.workDir,
    name: 'metrics',
    env: { ONRAMP_DATA_DIR: ctx.main.dataDir, ONRAMP_METRICS_PORT: String(metricsPort) },
  });
  try {
    let i = 0;
    const request = (url: string): LoadRequest => ({ url: `${url}${ROUTE}`, nextPath: () => `${ROUTE}?token=${tokens[i++ % tokens.length]}` });
    const on = request(instrumented.url);
    const off = request(ctx.main.url);
    await warmUp(on, ctx.sizes);
    await warmUp(off, ctx.sizes);
    const offRuns: number[] = [];
    let answered = 0;
    const onRuns = await repeat(ctx.sizes.repeats, async () => {
      const withMetrics = await load(on, ctx.sizes.loadSeconds);
      assertClean(`GET ${ROUTE} with metrics`, withMetrics);
      answered += withMetrics.requests;
      const without = await load(off, ctx.sizes.loadSeconds);
      assertClean(`GET ${ROUTE} without metrics`, without);
      offRuns.push(without.rps);
      return withMetrics.rps;
    });

    const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    const text = await scrape.text();
    const counted = Number(/^onramp_http_requests_total\{listener="public",method="GET",route="\/api\/track-open",status="200"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    if (scrape.status !== 200 || counted < answered) throw new Error(`the metrics counted ${counted} track-open requests of at least ${answered} answered`);
    return [
      figure(
        SCENARIO,
        `GET ${ROUTE} throughput, metrics on`,
        'req/s',
        onRuns,
        null,
        { name: 'same route, metrics off (same run)', value: median(offRuns) },
        `scrape counted ${counted.toLocaleString('en-US')} requests`,
      ),
    ];
  } finally {
    await instrumented.stop();
  }
}
