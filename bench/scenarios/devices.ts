/**
 * Scenario 4: the device API over mTLS keep-alive: getUserAttributes ≥ 5,000 req/s and beacon
 * ≥ 3,000 req/s, each next to the bare mTLS Fastify route.
 */
import { assertClean, broken, figure, load, repeat, warmUp, type Figure, type LoadRequest, type Target } from '../harness.js';
import { startOnrampServer, type OnrampServer } from '../onramp.js';
import { mtlsRequest } from '../support.js';
import type { ScenarioContext } from './context.js';

const ATTRIBUTES: Target = { op: '>=', value: 5_000 };
const BEACON: Target = { op: '>=', value: 3_000 };
/** Issue 23 (wave 2): the share of the bare mTLS route's throughput each route keeps, same run. */
const ATTRIBUTES_SHARE: Target = { op: '>=', value: 0.8 };
const BEACON_SHARE: Target = { op: '>=', value: 0.5 };
const SCENARIO = '4 device API';

function beaconBody(upn: string): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    upn,
    hostname: 'BENCH-PC-001',
    operatingSystem: 'Windows 11 Enterprise 24H2',
    deviceModel: 'Latitude 7450',
    beaconLaunchTime: now,
    lastUseTime: now,
    systemBootTime: now,
    lastLogonTime: now,
    backgroundVersion: '1.4.2',
    lockScreenVersion: '1.1.0',
    newSignatureVersion: '3.0.1',
    replySignatureVersion: '3.0.1',
    webSignatureVersion: '3.0.1',
    screensaverVersion: '1.0.0',
    teamsBackgroundVersion: '2.2.0',
    pendingReboot: false,
    compliant: true,
  };
}

async function measure(ctx: ScenarioContext, server: OnrampServer, route: string, body: unknown, target: Target, share: Target): Promise<Figure[]> {
  const metric = `POST ${route} throughput, mTLS keep-alive`;
  const url = `https://127.0.0.1:${server.devicePort}${route}`;
  let probe = await mtlsRequest(ctx.pki, url, 'POST', body);
  // The directory cache fills from Graph (the simulator) after start; attributes are served once it has.
  for (const deadline = Date.now() + (ctx.sizes.quick ? 20_000 : 60_000); probe.status === 503 && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 250));
    probe = await mtlsRequest(ctx.pki, url, 'POST', body);
  }
  if (probe.status !== 200) throw new Error(`POST ${route} answered ${probe.status}: ${probe.text.slice(0, 300)}`);
  const req: LoadRequest = {
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    tls: { cert: ctx.pki.client.cert, key: ctx.pki.client.key, ca: ctx.pki.caPem },
  };
  await warmUp(req, ctx.sizes);
  const runs = await repeat(ctx.sizes.repeats, async () => {
    const r = await load(req, ctx.sizes.loadSeconds);
    assertClean(`POST ${route}`, r);
    return r.rps;
  });
  return [
    figure(SCENARIO, metric, 'req/s', runs, target, { name: 'bare mTLS Fastify', value: ctx.baselines.mtlsRps }),
    figure(
      SCENARIO,
      `POST ${route} throughput ÷ bare mTLS Fastify's`,
      '×',
      runs.map((r) => r / ctx.baselines.mtlsRps),
      share,
      null,
    ),
  ];
}

export async function devicesScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const upn = ctx.pki.client.upn;
  const out: Figure[] = [];
  // A server of its own: the device listener with the bench CA, and Graph (the simulator) as the source
  // of the directory sync that getUserAttributes answers from.
  const server = await startOnrampServer({ workDir: ctx.workDir, name: 'devices', pki: ctx.pki, env: ctx.tenant.graphEnv });
  try {
    // Each route on its own: one breaking must not hide the other's figure.
    for (const [route, body, target, share] of [
      ['/api/getUserAttributes', { upn }, ATTRIBUTES, ATTRIBUTES_SHARE],
      ['/api/beacon', beaconBody(upn), BEACON, BEACON_SHARE],
    ] as const) {
      try {
        out.push(...(await measure(ctx, server, route, body, target, share)));
      } catch (err) {
        out.push(broken(SCENARIO, `POST ${route} throughput, mTLS keep-alive`, 'req/s', target, err));
      }
    }
  } finally {
    await server.stop();
  }
  return out;
}
