/**
 * Scenario 11: the device manifest (issue 21). GET /api/manifest over mTLS keep-alive, ≥ 5,000 req/s
 * next to the bare mTLS route; and 10,000 agents' idle syncs (If-None-Match with the version they
 * have, answered 304): the server process's CPU time per 1,000 syncs (utime + stime from /proc, every
 * thread), < 1 s. The idle pass is measured twice: with every device new to the manifest cache (what
 * an hourly sync meets in production, where the cache keeps manifests for a minute: a full plan each,
 * signature set rendered; this is the figure) and again with the cache warm (the note). All devices use the bench certificate (one user, 10,000 host
 * names): issuing and handshaking 10,000 certificates would measure TLS, which bench/tls-handshakes.ts
 * reports on its own; connections are kept alive, so no handshake is counted here.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { assertClean, broken, figure, load, repeat, warmUp, type Figure, type LoadRequest, type Target } from '../harness.js';
import { createApiToken, startOnrampServer, type OnrampServer } from '../onramp.js';
import { mtlsRequest } from '../support.js';
import type { ScenarioContext } from './context.js';

const THROUGHPUT: Target = { op: '>=', value: 5_000 };
const IDLE_CPU: Target = { op: '<=', value: 1 };
const SCENARIO = '12 device manifest';

/** CPU seconds the process has used, all threads (Linux /proc; clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function admin(server: OnrampServer, token: string, method: string, path: string, body?: unknown, multipart?: Buffer): Promise<unknown> {
  const boundary = 'benchboundary';
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(multipart ? { 'content-type': `multipart/form-data; boundary=${boundary}` } : body ? { 'content-type': 'application/json' } : {}),
    },
    body: multipart
      ? Buffer.concat([
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="wallpaper.png"\r\nContent-Type: image/png\r\n\r\n`),
          multipart,
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ])
      : body
        ? JSON.stringify(body)
        : undefined,
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** A wallpaper and a lock screen for everyone, and a signature for everyone: a manifest with content to plan. */
async function seed(server: OnrampServer): Promise<void> {
  const token = await createApiToken(server);
  const image = await sharp({ create: { width: 1920, height: 1080, channels: 3, background: { r: 0, g: 90, b: 160 } } })
    .png()
    .toBuffer();
  const asset = (await admin(server, token, 'POST', '/api/branding/assets', undefined, image)) as { sha256: string };
  const everyone = { enabled: true, conditions: {}, exclusions: {}, window: null };
  await admin(server, token, 'POST', '/api/branding/assignments', { ...everyone, name: 'Wallpaper', element: 'wallpaper', assets: [asset.sha256] });
  await admin(server, token, 'POST', '/api/branding/assignments', { ...everyone, name: 'Lock screen', element: 'lockScreen', assets: [asset.sha256] });
  const template = (await admin(server, token, 'POST', '/api/signatures/templates', {
    name: 'Contoso',
    source: '<p><b>{{ user.displayName }}</b></p>\n<p>{{ user.jobTitle }} · {{ user.department }}</p>\n',
  })) as { id: number };
  await admin(server, token, 'POST', '/api/signatures/rules', {
    ...everyone,
    name: 'Everyone',
    kind: 'signature',
    templateId: template.id,
    defaults: 'both',
  });
}

export async function brandingScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const upn = ctx.pki.client.upn;
  // The quick run (part of the test suite) only checks the scenario works.
  const AGENTS = ctx.sizes.quick ? 300 : 10_000;
  const out: Figure[] = [];
  // Planned manifests kept for 10 minutes (default 1): the warm pass must find what the cold pass planned on a loaded machine.
  const server = await startOnrampServer({
    workDir: ctx.workDir,
    name: 'branding',
    pki: ctx.pki,
    env: { ...ctx.tenant.graphEnv, ONRAMP_BRANDING_MANIFEST_CACHE_MS: '600000' },
  });
  try {
    await seed(server);
    const base = `https://127.0.0.1:${server.devicePort}/api/manifest?upn=${encodeURIComponent(upn)}`;
    let probe = await mtlsRequest(ctx.pki, `${base}&hostname=BENCH-PC-0`, 'GET');
    // The directory copy fills from Graph (the simulator) after start; the user is known once it has.
    for (const deadline = Date.now() + (ctx.sizes.quick ? 20_000 : 60_000); probe.status === 404 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 250));
      probe = await mtlsRequest(ctx.pki, `${base}&hostname=BENCH-PC-0`, 'GET');
    }
    if (probe.status !== 200) throw new Error(`GET /api/manifest answered ${probe.status}: ${probe.text.slice(0, 300)}`);
    const manifest = JSON.parse(probe.text) as { version: string; elements: Record<string, unknown> };
    if (!manifest.elements.wallpaper || !manifest.elements.signatures) throw new Error(`the bench manifest lacks its elements: ${probe.text.slice(0, 300)}`);
    const tls = { cert: ctx.pki.client.cert, key: ctx.pki.client.key, ca: ctx.pki.caPem };

    const metric = 'GET /api/manifest throughput, mTLS keep-alive';
    try {
      const req: LoadRequest = { url: `${base}&hostname=BENCH-PC-0`, tls };
      await warmUp(req, ctx.sizes);
      const runs = await repeat(ctx.sizes.repeats, async () => {
        const r = await load(req, ctx.sizes.loadSeconds);
        assertClean('GET /api/manifest', r);
        return r.rps;
      });
      out.push(figure(SCENARIO, metric, 'req/s', runs, THROUGHPUT, { name: 'bare mTLS Fastify', value: ctx.baselines.mtlsRps }));
    } catch (err) {
      out.push(broken(SCENARIO, metric, 'req/s', THROUGHPUT, err));
    }

    const idle = `server CPU per 1,000 idle syncs (${AGENTS.toLocaleString('en-US')} devices, If-None-Match → 304, each new to the cache)`;
    try {
      const pid = server.server.child.pid!;
      const pass = async (prefix: string): Promise<{ cpu: number; wall: number }> => {
        let next = 0;
        const req: LoadRequest = {
          url: `${base}&hostname=${prefix}-0`,
          headers: { 'if-none-match': `"${manifest.version}"` },
          tls,
          nextPath: () => `/api/manifest?upn=${encodeURIComponent(upn)}&hostname=${prefix}-${next++ % AGENTS}`,
        };
        const cpuBefore = cpuSeconds(pid);
        const started = performance.now();
        // Fewer connections than the throughput run: agents trickle in, and a loaded machine must not time them out.
        const r = await load(req, 0, { amount: AGENTS, connections: 10 });
        const wall = (performance.now() - started) / 1000;
        const cpu = cpuSeconds(pid) - cpuBefore;
        // autocannon counts a 304 as non-2xx: every answer must be one.
        if ((r.statusCounts['304'] ?? 0) < AGENTS || Object.keys(r.statusCounts).some((s) => s !== '304'))
          throw new Error(`idle sync: status counts ${JSON.stringify(r.statusCounts)}`);
        return { cpu: (cpu * 1000) / AGENTS, wall };
      };
      // One pass each: a pass is already 10,000 requests, and CPU time summed over it varies little.
      const cold = await pass('AGENT');
      const warm = await pass('AGENT');
      const note = `cache warm (the same devices again within a minute): ${warm.cpu.toFixed(3)} s per 1,000; wall time per pass ${cold.wall.toFixed(1)} s cold, ${warm.wall.toFixed(1)} s warm`;
      out.push(figure(SCENARIO, idle, 's', [cold.cpu], IDLE_CPU, null, note));
    } catch (err) {
      out.push(broken(SCENARIO, idle, 's', IDLE_CPU, err));
    }
  } finally {
    await server.stop();
  }
  return out;
}
