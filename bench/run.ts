/**
 * `npm run bench` — every performance target of onramp measured side by side, each next to a baseline
 * measured in the same run; writes docs/BENCHMARKS.md and docs/benchmarks.json.
 *
 *   npm run bench                    full sizes (~10 minutes on 2 cores)
 *   npm run bench -- --quick         small sizes, short runs (~1 minute): a smoke test for CI
 *   npm run bench -- --out <dir>     write the report elsewhere (the quick test writes to a temp dir)
 *   npm run bench -- --only 1,5      only these scenarios (while working on one; baselines always run)
 *   npm run bench -- --million       scenario 13 at 1,000,000 users instead of 200,000 (adds ~5–10 minutes)
 *
 * Exit code 1 when any scenario broke (error, wrong count); a missed time target is a finding for
 * the report, not a failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bareHttp, bareMtls, postgresInsert, postgresReachable, sqliteInsert } from './baselines.js';
import { broken, figure, machineFacts, median, sizes, type Baselines, type Figure } from './harness.js';
import { startOnrampServer } from './onramp.js';
import { writeReport, type BenchReport } from './report.js';
import type { Scenario, ScenarioContext } from './scenarios/context.js';
import { devicesScenario } from './scenarios/devices.js';
import { invitationScenario } from './scenarios/invitation.js';
import { memoryScenario } from './scenarios/memory.js';
import { reportsScenario } from './scenarios/reports.js';
import { signatureRenderingScenario } from './scenarios/signature-rendering.js';
import { signatureSanitiserScenario } from './scenarios/signatures.js';
import { signaturePushScenario } from './scenarios/signature-push.js';
import { trackingScenario } from './scenarios/tracking.js';
import { metricsScenario } from './scenarios/metrics.js';
import { outboxScenario } from './scenarios/outbox.js';
import { addinScenario } from './scenarios/addin.js';
import { uploadScenario } from './scenarios/upload.js';
import { scaleScenario } from './scenarios/scale.js';
import { brandingScenario } from './scenarios/branding.js';
import { makePki, ROOT } from './support.js';
import { startBenchTenant } from './tenant.js';

function parseArgs(argv: string[]): { quick: boolean; million: boolean; out: string; only: string[] | null } {
  const quick = argv.includes('--quick');
  const million = argv.includes('--million');
  const at = argv.indexOf('--out');
  const out = at >= 0 && argv[at + 1] ? resolve(argv[at + 1]!) : join(ROOT, 'docs');
  const o = argv.indexOf('--only');
  const only = o >= 0 && argv[o + 1] ? argv[o + 1]!.split(',') : null;
  return { quick, million, out, only };
}

function log(message: string): void {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Scenarios in order: 6 (memory) reads the main server after 1–5 have loaded it. */
const SCENARIOS: Array<[string, Scenario]> = [
  ['1 CSV upload', uploadScenario],
  ['2 invitation run', invitationScenario],
  ['3 tracking links', trackingScenario],
  ['4 device API', devicesScenario],
  ['5 reports', reportsScenario],
  ['6 memory', memoryScenario],
  ['7 signature sanitiser', signatureSanitiserScenario],
  ['8 signature rendering', signatureRenderingScenario],
  ['9 signature push', signaturePushScenario],
  ['10 metrics', metricsScenario],
  ['11 outbox delivery', outboxScenario],
  ['12 device manifest', brandingScenario],
  ['13 scale', scaleScenario],
  ['14 add-in signature fetch', addinScenario],
];

/**
 * onramp runs as `npm start` runs it, from dist/ (a TypeScript loader in the process would add its own
 * memory to scenario 6); dist/ is compiled first so the figures are those of the source at hand.
 */
function buildServer(): void {
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (tsc.status !== 0) throw new Error(`compiling onramp for the bench failed:\n${tsc.stdout}${tsc.stderr}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const s = sizes(args.quick, args.million);
  log('compiling onramp into dist/ (the bench runs it as npm start does)');
  buildServer();
  const started = performance.now();
  const workDir = mkdtempSync(join(tmpdir(), 'onramp-bench-'));
  const machine = machineFacts();
  log(`${args.quick ? 'quick' : 'full'} run on ${machine.cpuModel} × ${machine.cores}, Node ${machine.node}; scratch ${workDir}`);
  const figures: Figure[] = [];
  const notes: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  try {
    // Room for the invitation roster plus the disabled and guest accounts a generated tenant has.
    const tenant = await startBenchTenant(workDir, Math.ceil(s.invitationUsers * 1.05) + 50);
    stops.push(() => tenant.stop());
    // The device client certificate belongs to a real member of the tenant (getUserAttributes looks it up).
    const pki = await makePki(workDir, tenant.memberUpns[0] ?? 'bench.user@contoso.example');
    const postgres = await postgresReachable();
    if (!postgres) notes.push('PostgreSQL was not reachable: its figures are missing from this run.');
    notes.push(
      `Scenario 13 grew each engine's roster by ${s.scaleUploads} uploads of ${s.scaleRows.toLocaleString('en-US')} rows` +
        (args.million ? ' (--million).' : ': `npm run bench -- --only 13 --million` runs it at 1,000,000 users (five of 200,000).'),
    );

    log('baseline: bare Fastify route (HTTP)');
    const http = await bareHttp(s);
    log('baseline: bare Fastify route (mTLS)');
    const mtls = await bareMtls(s, pki);
    log(`baseline: raw inserts of ${s.uploadRows} rows`);
    const sqlite = await sqliteInsert(s.uploadRows, workDir, s.repeats);
    const pgRuns = postgres ? await postgresInsert(s.uploadRows, s.repeats) : null;
    const baselines: Baselines = {
      httpRps: median(http.rps),
      httpP99Ms: median(http.p99Ms),
      mtlsRps: median(mtls),
      sqliteInsertSeconds: median(sqlite),
      postgresInsertSeconds: pgRuns ? median(pgRuns) : null,
    };
    figures.push(
      figure('0 baseline', 'bare Fastify GET, HTTP keep-alive', 'req/s', http.rps, null, null),
      figure('0 baseline', `bare Fastify GET p99 at ${s.fixedRate} req/s`, 'ms', http.p99Ms, null, null),
      figure('0 baseline', 'bare Fastify POST, mTLS keep-alive', 'req/s', mtls, null, null),
      figure('0 baseline', `raw SQLite insert of ${s.uploadRows.toLocaleString('en-US')} rows`, 's', sqlite, null, null),
      ...(pgRuns ? [figure('0 baseline', `raw PostgreSQL insert of ${s.uploadRows.toLocaleString('en-US')} rows`, 's', pgRuns, null, null)] : []),
    );

    log('starting onramp (SQLite) for scenarios 1, 3, 5, 6');
    const main = await startOnrampServer({ workDir, name: 'main' });
    const ctx: ScenarioContext = { sizes: s, baselines, pki, workDir, postgres, main, tenant };
    try {
      for (const [name, scenario] of SCENARIOS) {
        if (args.only && !args.only.includes(name.split(' ')[0]!)) continue;
        log(`scenario ${name}`);
        try {
          const out = await scenario(ctx);
          for (const f of out) log(`  ${f.metric}: ${f.value ?? '—'} ${f.unit} [${f.status}]${f.note ? ` ${f.note}` : ''}`);
          figures.push(...out);
        } catch (err) {
          log(`  BROKEN: ${(err as Error).stack ?? String(err)}`);
          figures.push(broken(name, 'scenario', '', null, err));
        }
      }
    } finally {
      await main.stop();
    }
  } catch (err) {
    log(`harness failed: ${(err as Error).stack ?? String(err)}`);
    figures.push(broken('harness', 'baselines and set-up', '', null, err));
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    rmSync(workDir, { recursive: true, force: true });
  }

  const report: BenchReport = {
    quick: args.quick,
    machine,
    durationSeconds: (performance.now() - started) / 1000,
    figures,
    baselines: {
      'bare Fastify':
        'a Fastify 5 app with one route and nothing of onramp (bench/servers/bare.ts), in its own process, same autocannon settings (50 keep-alive connections; 10 for fixed-rate runs).',
      'bare mTLS Fastify':
        'the same app over HTTPS requiring and verifying a client certificate from the bench CA (root + intermediate from src/pki/pki.ts), TLS 1.2+.',
      'raw SQLite insert':
        'better-sqlite3, WAL, synchronous=NORMAL, one prepared single-row INSERT per row in one transaction, into a table shaped like a tracking record (upn and token unique).',
      'raw PostgreSQL insert': 'pg, multi-row INSERTs of 1,000 rows in one transaction into the same table shape, in a private schema dropped afterwards.',
      'bare Liquid render':
        'liquidjs 10 rendering the same compiled signature template (its Liquid source, HTML-escaping outputs) for the same subjects, HTML string only, timed by CPU time in the bench process.',
      'Graph floor':
        "what an invitation run's Graph requests cost if nothing else did: the requests the simulator counted during the run × its 30 ms latency ÷ the Graph client's concurrency (4); measured in the same run from the same requests.",
      'bare pooled nodemailer':
        'nodemailer 7 alone, pooled with the same number of connections as the outbox sender, handed every message at once, sending to the same loopback SMTP server (bench/smtp-sink.ts) in the same run.',
    },
    notes,
  };
  const written = writeReport(args.out, report);
  log(`wrote ${written.markdown} and ${written.json}`);
  const bad = figures.filter((f) => f.status === 'broken');
  if (bad.length > 0) {
    log(`${bad.length} figure(s) broken: ${bad.map((f) => `${f.scenario} / ${f.metric}`).join('; ')}`);
    process.exitCode = 1;
  }
}

await main();
