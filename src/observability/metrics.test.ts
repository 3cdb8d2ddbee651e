import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOnramp, type RunningOnramp } from '../main.js';
import { loadConfig } from '../onramp-config.js';
import { createLogger } from '../lib/logger.js';
import { ManualClock } from '../lib/clock.js';
import { JobBoard, RecurringJob } from '../db/recurring-job.js';
import { insertOutbox } from '../mail/outbox.queries.js';
import { outboxBacklogOf } from '../mail/outbox.js';
import { lastSyncAt, saveSyncState } from '../directory/directory.queries.js';
import { BACKENDS } from '../../test/support/storage.js';
import { ephemeralServeEnv } from '../../test/support/process.js';
import { OnrampMetrics } from './metrics.js';

const TOKEN = 'metrics-token-0123456789abcdef0123456789';

/** One sample line of the text exposition format: name, optional labels, value. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.]+(?:e[+-]?[0-9]+)?|[+-]Inf|NaN)$/;

/** Parses the exposition text, failing on any line that is not a comment or a well-formed sample. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        assert.match(meta[3]!, /^(counter|gauge|histogram|summary|untyped)$/, line);
        typed.add(meta[2]!);
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    assert.ok(m, `not an exposition-format line: ${JSON.stringify(line)}`);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    assert.ok(typed.has(m[1]!) || typed.has(family), `sample before its # TYPE: ${line}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return samples;
}

function seriesOf(samples: Map<string, number>, name: string): string[] {
  return [...samples.keys()].filter((k) => k === name || k.startsWith(`${name}{`));
}

describe('metrics of a running instance (SQLite)', () => {
  let running: RunningOnramp;
  let dir: string;

  test('start with the metrics listener and the token-protected public route', async () => {
    dir = mkdtempSync(join(tmpdir(), 'onramp-metrics-'));
    const env = {
      ...ephemeralServeEnv(),
      ONRAMP_DATA_DIR: dir,
      ONRAMP_CONFIG_FILE: join(dir, 'none.json'),
      ONRAMP_METRICS_PORT: '0',
      ONRAMP_METRICS_TOKEN: TOKEN,
    };
    running = await startOnramp({ config: loadConfig({ env }), log: createLogger('silent') });
    assert.match(running.metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('counters move after real requests, per route pattern and status', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${running.publicUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${running.publicUrl}/api/admin/users`)).status, 401);
    const res = await fetch(`${running.metricsUrl}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const samples = parse(await res.text());
    assert.equal(samples.get('onramp_http_requests_total{listener="public",method="GET",route="/healthz",status="200"}'), 3);
    assert.equal(samples.get('onramp_http_requests_total{listener="public",method="GET",route="/api/admin/users",status="401"}'), 1);
    assert.equal(samples.get('onramp_http_request_duration_seconds_count{listener="public",method="GET",route="/healthz"}'), 3);
    assert.ok(samples.has('onramp_job_runs_total{job="sqlite-optimize"}') || seriesOf(samples, 'onramp_job_runs_total').length > 0);
    assert.equal(samples.get('onramp_outbox_queued'), 0);
    assert.equal(samples.get('onramp_directory_sync_lag_seconds'), -1);
    assert.equal(seriesOf(samples, 'onramp_db_pool_connections').length, 0, 'SQLite has no pool');
  });

  test('the public /metrics answers 401 without the token, and with a wrong one', async () => {
    const none = await fetch(`${running.publicUrl}/metrics`);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { code: string }).code, 'ONRAMP_ERR_UNAUTHENTICATED');
    const wrong = await fetch(`${running.publicUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` } });
    assert.equal(wrong.status, 401);
    const right = await fetch(`${running.publicUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(right.status, 200);
    assert.ok(parse(await right.text()).has('onramp_http_requests_total{listener="public",method="GET",route="/metrics",status="401"}'));
  });

  test('1,000 random unknown URLs add no series: they count under one "(unmatched)" route', async () => {
    await running.publicApp.inject({ url: '/no-such-page' });
    const before = parse(await running.ctx.metrics!.text());
    for (let i = 0; i < 1000; i++) {
      const res = await running.publicApp.inject({ url: `/${Math.random().toString(36).slice(2)}/${i}?q=${i}` });
      assert.equal(res.statusCode, 404);
    }
    const after = parse(await running.ctx.metrics!.text());
    assert.deepEqual(seriesOf(after, 'onramp_http_requests_total'), seriesOf(before, 'onramp_http_requests_total'));
    assert.deepEqual(seriesOf(after, 'onramp_http_request_duration_seconds_bucket'), seriesOf(before, 'onramp_http_request_duration_seconds_bucket'));
    assert.equal(after.get('onramp_http_requests_total{listener="public",method="GET",route="(unmatched)",status="404"}'), 1001);
  });

  test('the metrics listener serves /metrics only', async () => {
    assert.equal((await fetch(`${running.metricsUrl}/`)).status, 404);
    assert.equal((await fetch(`${running.metricsUrl}/metrics`, { method: 'POST' })).status, 404);
  });

  test('close', async () => {
    await running.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

for (const backend of BACKENDS) {
  describe(`metrics read at scrape time (${backend.name})`, { skip: backend.skip }, () => {
    test('outbox backlog and age, directory sync lag, job runs and durations, the pool', async () => {
      const storage = await backend.open();
      const clock = new ManualClock(new Date('2026-03-01T12:00:00Z'));
      const jobs = new JobBoard();
      const metrics = new OnrampMetrics({
        storage,
        clock,
        jobs,
        outboxBacklog: () => outboxBacklogOf(storage.db),
        directorySyncedAt: () => lastSyncAt(storage.db),
      });
      try {
        const email = (n: number) => ({ message_id: `<m${n}@test>`, kind: 'invitation', recipient: `u${n}@contoso.com`, payload: '{}', tracked_user_id: null });
        await insertOutbox(storage.db, [email(1)], '2026-03-01T11:50:00.000Z', 100);
        await insertOutbox(storage.db, [email(2), email(3)], '2026-03-01T11:59:00.000Z', 100);
        await storage.db.updateTable('mail_outbox').set({ status: 'sent' }).where('message_id', '=', '<m3@test>').execute();
        await saveSyncState(storage.db, { deltaLink: null, lastSyncAt: '2026-03-01T11:58:00.000Z', lastError: null });

        let fail = true;
        const job = jobs.add(
          new RecurringJob({
            name: 'metrics-probe',
            schedule: () => null,
            run: async () => {
              if (fail) throw new Error('probe failed');
              return 1;
            },
            log: createLogger('silent'),
            clock,
          }),
        );
        await job.runNow().catch(() => {});
        fail = false;
        await job.runNow();

        const samples = parse(await metrics.text());
        assert.equal(samples.get('onramp_outbox_queued'), 2);
        assert.equal(samples.get('onramp_outbox_oldest_queued_age_seconds'), 600);
        assert.equal(samples.get('onramp_directory_sync_lag_seconds'), 120);
        assert.equal(samples.get('onramp_job_runs_total{job="metrics-probe"}'), 2);
        assert.equal(samples.get('onramp_job_failures_total{job="metrics-probe"}'), 1);
        assert.equal(samples.get('onramp_job_duration_seconds_count{job="metrics-probe",outcome="ok"}'), 1);
        assert.equal(samples.get('onramp_job_duration_seconds_count{job="metrics-probe",outcome="failed"}'), 1);
        if (backend.name === 'postgres') {
          assert.ok((samples.get('onramp_db_pool_connections') ?? 0) >= 1);
          assert.ok(samples.has('onramp_db_pool_waiting_requests'));
          assert.ok((samples.get('onramp_db_pool_idle_connections') ?? -1) >= 0);
        } else {
          assert.equal(seriesOf(samples, 'onramp_db_pool_connections').length, 0);
        }
        jobs.remove(job);
        await job.runNow();
        assert.equal(
          parse(await metrics.text()).get('onramp_job_duration_seconds_count{job="metrics-probe",outcome="ok"}'),
          1,
          'a removed job is no longer observed',
        );
      } finally {
        await storage.close();
      }
    });
  });
}

describe('metrics of the demo: device refusals and Graph answers by status', () => {
  test('a device call without a certificate is counted by its code; a throttled Graph call as a 429', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onramp-metrics-demo-'));
    const env = { ...ephemeralServeEnv(), ONRAMP_DATA_DIR: dir, ONRAMP_CONFIG_FILE: join(dir, 'none.json'), ONRAMP_METRICS_TOKEN: TOKEN };
    const running = await startOnramp({ config: loadConfig({ env }), log: createLogger('silent'), demo: true });
    try {
      assert.ok(running.deviceUrl && running.simulator);
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${running.deviceUrl}/openapi.json`, { rejectUnauthorized: false, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 401);

      running.simulator.control.setFaults({ throttlePerSecond: 1 });
      const graph = running.ctx.graph!;
      // Plain requests (a UPN look-up may ride in a $batch, whose items' 429s count as throttled only).
      await graph.findGroups('Nobody', 5);
      await graph.findGroups('Nobody else', 5);
      running.simulator.control.setFaults({ throttlePerSecond: 0 });

      const samples = parse(await running.ctx.metrics!.text());
      assert.equal(samples.get('onramp_gateway_refusals_total{code="ONRAMP_ERR_CLIENT_CERT_REQUIRED"}'), 1);
      assert.ok((samples.get('onramp_graph_responses_total{api="graph",status="429"}') ?? 0) >= 1, 'the throttled answer is counted');
      assert.ok((samples.get('onramp_graph_responses_total{api="graph",status="200"}') ?? 0) >= 2);
      assert.ok((samples.get('onramp_graph_throttled_total') ?? 0) >= 1);
      assert.equal(samples.get('onramp_http_requests_total{listener="device",method="GET",route="/openapi.json",status="401"}'), 1);
    } finally {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
