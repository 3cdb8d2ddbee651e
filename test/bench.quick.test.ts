// The quick benchmark (`npm run bench -- --quick`) as part of the suite: every scenario must run to the
// end without errors or wrong counts. Time figures are never asserted here; they live in the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from '../bench/report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('the quick benchmark runs every scenario without breaking and writes its report', { timeout: 300_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'onramp-bench-quick-'));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/run.ts'), '--quick', '--out', out], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));

    const report = JSON.parse(readFileSync(join(out, 'benchmarks.json'), 'utf8')) as BenchReport;
    const broken = report.figures.filter((f) => f.status === 'broken');
    assert.deepEqual(
      broken.map((f) => `${f.scenario} / ${f.metric}: ${f.note}`),
      [],
      `broken scenarios; bench log:\n${log}`,
    );
    assert.equal(code, 0, `bench exited ${code}; log:\n${log}`);
    assert.equal(report.quick, true);

    // Every scenario is in the table, every figure measured.
    const scenarios = new Set(report.figures.map((f) => f.scenario.split(' ')[0]));
    for (const n of ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14'])
      assert.ok(scenarios.has(n), `scenario ${n} missing from the report`);
    for (const f of report.figures) assert.ok(f.value !== null && Number.isFinite(f.value) && f.value >= 0, `${f.metric}: no figure`);
    // The baselines always run: without them no ratio means anything.
    const baselines = report.figures.filter((f) => f.scenario === '0 baseline');
    assert.ok(baselines.length >= 4);
    for (const f of baselines) assert.ok((f.value ?? 0) > 0, `${f.metric} is zero`);

    const markdown = readFileSync(join(out, 'BENCHMARKS.md'), 'utf8');
    for (const f of report.figures) assert.ok(markdown.includes(f.metric), `${f.metric} not in BENCHMARKS.md`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
