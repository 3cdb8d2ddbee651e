import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { RecurringJob } from '../db/recurring-job.js';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { startTestTenant } from '../../test/support/simulator.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOnramp } from '../main.js';
import { loadConfig } from '../onramp-config.js';
import { ephemeralServeEnv } from '../../test/support/process.js';
import { installHttpTracing, startTracing, tracingActive } from './tracing.js';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

/** A tiny OTLP/HTTP receiver: keeps the spans of every JSON export it is sent. */
async function startReceiver() {
  const spans: ExportedSpan[] = [];
  const contentTypes = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      contentTypes.add(String(req.headers['content-type']));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: ExportedSpan[] }> }>;
      };
      for (const r of body.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, spans, contentTypes, close: () => new Promise((r) => server.close(r)) };
}

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

test('off by default, and then nothing of OpenTelemetry is loaded: only tracing.ts imports it, at start, dynamically', () => {
  assert.equal(tracingActive(), false);
  const runtimeImports: string[] = [];
  for (const file of sources('src')) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*import\s+(type\s+)?[^;]*?from\s+'(@opentelemetry\/[^']+)'/gm)) if (!m[1]) runtimeImports.push(`${file}: ${m[2]}`);
    if (!file.endsWith('observability/tracing.ts') && /import\('@opentelemetry\//.test(text)) runtimeImports.push(`${file}: dynamic`);
  }
  assert.deepEqual(runtimeImports, []);
});

test('spans reach an OTLP receiver; Graph calls are children of the job run and of the HTTP request', async () => {
  const receiver = await startReceiver();
  const tenant = await startTestTenant({ users: 5 });
  const stop = await startTracing({ endpoint: receiver.url, serviceName: 'onramp-test', instanceId: 'test-1' });
  try {
    const app = Fastify();
    installHttpTracing(app, 'public');
    app.post('/probe', async (req) => {
      const { upn } = req.body as { upn: string };
      return { found: (await tenant.graph.getUsersByUpn([upn])).size };
    });
    const job = new RecurringJob({
      name: 'trace-probe',
      schedule: () => null,
      run: () => tenant.graph.getUsersByUpn(['someone@contoso.com']),
      log: createLogger('silent'),
      clock: systemClock,
    });
    await job.runNow();
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await app.inject({
      method: 'POST',
      url: '/probe',
      headers: { traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` },
      payload: { upn: 'nobody@contoso.com' },
    });
    assert.equal(res.statusCode, 200);
    await app.close();
  } finally {
    await stop();
    await tenant.stop();
  }
  await receiver.close();

  assert.deepEqual([...receiver.contentTypes], ['application/json']);
  const { spans } = receiver;
  const jobSpan = spans.find((s) => s.name === 'job trace-probe');
  assert.ok(jobSpan, `no job span in ${spans.map((s) => s.name).join(', ')}`);
  const graphSpans = spans.filter((s) => s.name.startsWith('graph '));
  assert.ok(
    graphSpans.some((s) => s.parentSpanId === jobSpan.spanId && s.traceId === jobSpan.traceId),
    'a Graph call made by the job is its child',
  );
  const httpSpan = spans.find((s) => s.name === 'POST /probe');
  assert.ok(httpSpan);
  assert.equal(httpSpan.traceId, '4bf92f3577b34da6a3ce929d0e0e4736', "the caller's traceparent is the parent");
  assert.equal(httpSpan.parentSpanId, '00f067aa0ba902b7');
  assert.ok(
    graphSpans.some((s) => s.parentSpanId === httpSpan.spanId),
    'the Graph call the handler made (after its JSON body was parsed) is a child of the request span',
  );
  const status = httpSpan.attributes.find((a) => a.key === 'http.response.status_code');
  assert.deepEqual(status?.value, { intValue: 200 });
  assert.equal(tracingActive(), false, 'stopped');
});

test('with telemetry.otlpEndpoint set, a serving instance exports a span per request at its route pattern', async () => {
  const receiver = await startReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'onramp-traces-'));
  const env = { ...ephemeralServeEnv(), ONRAMP_DATA_DIR: dir, ONRAMP_CONFIG_FILE: join(dir, 'none.json'), ONRAMP_OTLP_ENDPOINT: receiver.url };
  const running = await startOnramp({ config: loadConfig({ env }), log: createLogger('silent') });
  try {
    assert.equal(tracingActive(), true);
    assert.equal((await fetch(`${running.publicUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${running.publicUrl}/api/admin/users/42`)).status, 401);
  } finally {
    // close() stops tracing, which flushes the spans still buffered.
    await running.close();
    rmSync(dir, { recursive: true, force: true });
  }
  await receiver.close();
  assert.equal(tracingActive(), false);
  const names = receiver.spans.map((s) => s.name);
  assert.ok(names.includes('GET /healthz'), names.join(', '));
  const admin = receiver.spans.find((s) => s.name === 'GET /api/admin/users/:id');
  assert.ok(admin, 'named by the route pattern, not the URL');
  assert.deepEqual(admin.attributes.find((a) => a.key === 'http.response.status_code')?.value, { intValue: 401 });
});
