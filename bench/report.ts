/** Writes a run's figures as the Markdown table (docs/BENCHMARKS.md) and the raw JSON. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Figure, MachineFacts, Target } from './harness.js';

export interface BenchReport {
  quick: boolean;
  machine: MachineFacts;
  durationSeconds: number;
  figures: Figure[];
  /** How each baseline was measured, keyed by name. */
  baselines: Record<string, string>;
  notes: string[];
}

function num(v: number | null, unit = ''): string {
  if (v === null || !Number.isFinite(v)) return '—';
  const abs = Math.abs(v);
  const text = abs >= 100 ? Math.round(v).toLocaleString('en-US') : abs >= 10 ? v.toFixed(1) : abs >= 0.1 ? v.toFixed(2) : v.toFixed(3);
  return unit ? `${text} ${unit}` : text;
}

const STATUS: Record<Figure['status'], string> = {
  met: '✅ met',
  missed: '❌ missed',
  reported: 'reported',
  broken: '💥 broken',
};

function targetText(t: Target, unit: string): string {
  const parts = [...(t.value !== null ? [`${t.op} ${num(t.value, unit)}`] : []), ...(t.ratio !== undefined ? [`${t.op} ${num(t.ratio)}× baseline`] : [])];
  return parts.join(' and ');
}

export function renderMarkdown(r: BenchReport): string {
  const m = r.machine;
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${r.quick ? ' -- --quick' : ''}\` (bench/run.ts) on ${m.date}; the run took ${Math.round(r.durationSeconds)} s.`,
    r.quick ? '\n**Quick run (small sizes, short durations): a smoke test, not the figures to judge by.**\n' : '',
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node}.`,
    '',
    'Every figure is the median of the runs listed in `docs/benchmarks.json`. The machine is shared with other',
    'work, so each figure is paired with a baseline measured in the same run; the ratio is figure ÷ baseline',
    "(for throughput: the share of bare Fastify's rate onramp keeps; for times: how many times the raw",
    "driver's time onramp takes).",
    '',
    '| Scenario | Figure | Value | Target | Status | Same-run baseline | Ratio | Note |',
    '|---|---|---|---|---|---|---|---|',
    ...r.figures.map((f) =>
      [
        '',
        f.scenario,
        f.metric,
        num(f.value, f.unit),
        f.target ? targetText(f.target, f.unit) : '—',
        STATUS[f.status],
        f.baseline ? `${f.baseline.name}: ${num(f.baseline.value, f.unit)}` : '—',
        f.ratio === null ? '—' : `${num(f.ratio)}×`,
        (f.note ?? '').replaceAll('|', '\\|'),
        '',
      ]
        .join(' | ')
        .trim(),
    ),
    '',
    '## Baselines',
    '',
    ...Object.entries(r.baselines).map(([name, how]) => `- **${name}**: ${how}`),
    '',
    ...(r.notes.length ? ['## Notes', '', ...r.notes.map((n) => `- ${n}`), ''] : []),
  ];
  return lines.join('\n');
}

/**
 * Where the hand-written part of BENCHMARKS.md begins (analyses such as where a scenario's time goes):
 * a run rewrites what is above it and keeps the rest.
 */
export const PROSE_MARKER = '<!-- Written by hand from here on: `npm run bench` keeps it. -->';

/** The hand-written part of the report at `file`, marker included; empty when there is none. */
function keptProse(file: string): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(PROSE_MARKER);
  return at < 0 ? '' : `\n${text.slice(at)}`;
}

export function writeReport(dir: string, r: BenchReport): { markdown: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const markdown = join(dir, 'BENCHMARKS.md');
  const json = join(dir, 'benchmarks.json');
  writeFileSync(markdown, renderMarkdown(r) + keptProse(markdown));
  writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  return { markdown, json };
}
