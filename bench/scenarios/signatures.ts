/**
 * Scenario 7: the signature sanitiser's worst case (issue 16). The largest inputs the limits still
 * accept (size, nesting depth, element count), in the shapes that cost the sanitiser most, each timed
 * in this process on the function the sanitiser pool's worker runs. The figure is the slowest of them:
 * the longest a sanitiser thread is held by one signature (the server's event loop is not: it runs in
 * a worker, src/signatures/sanitiser-pool.ts).
 */
import { Value } from '@sinclair/typebox/value';
import { signaturesConfig } from '../../src/signatures/signatures.config.js';
import { sanitiseWithinLimits, type StructureLimits } from '../../src/signatures/sanitise.js';
import { figure, type Figure } from '../harness.js';
import type { ScenarioContext } from './context.js';

/** The costliest accepted shapes: `unit` repeated while it stays within size and element count. */
export function worstCaseSignatures(maxBytes: number, limits: StructureLimits): Record<string, string> {
  const depth = limits.maxNestingDepth;
  const fill = (unit: string, elementsPerUnit: number, around = { bytes: 0, elements: 0 }) =>
    unit.repeat(
      Math.max(1, Math.min(Math.floor((maxBytes - around.bytes) / unit.length), Math.floor((limits.maxElements - around.elements) / elementsPerUnit))),
    );
  const styled = '<span style="color:rgb(0, 120, 212);font-family:Segoe UI, Arial;font-size:10pt">';
  return {
    'nested blocks at the depth limit': fill(`${'<div>'.repeat(depth)}x${'</div>'.repeat(depth)}`, depth),
    'nested styled spans at the depth limit': fill(`${styled.repeat(depth)}x${'</span>'.repeat(depth)}`, depth),
    'styled spans at the element limit': fill(`${styled}x</span>`, 1),
    'table cells with attributes': fill('<td align="left" valign="top" width="120" style="padding:0 8px;border-bottom:1px solid #ccc">x</td>', 1),
    'links at the element limit': fill('<a href="https://contoso.com/some/path?x=1" target="_blank" title="t">x</a>', 1),
    'unclosed cells (implied end tags)': `<table><tr>${fill('<td>x', 1, { bytes: 11, elements: 2 })}`,
    'text and entities only': fill('Regards &amp; thanks &lt;3 ', 0.0001),
  };
}

export async function signatureSanitiserScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const cfg = Value.Default(signaturesConfig, {}) as { maxBytes: number; maxNestingDepth: number; maxElements: number };
  const limits = { maxNestingDepth: cfg.maxNestingDepth, maxElements: cfg.maxElements };
  const runs: number[] = [];
  let slowest = '';
  for (let r = 0; r < ctx.sizes.repeats; r++) {
    let worst = 0;
    for (const [shape, html] of Object.entries(worstCaseSignatures(cfg.maxBytes, limits))) {
      const started = performance.now();
      const outcome = sanitiseWithinLimits(html, limits);
      const ms = performance.now() - started;
      if (!outcome.ok) throw new Error(`the accepted worst case "${shape}" was refused: ${outcome.reason}`);
      if (ms > worst) [worst, slowest] = [ms, shape];
    }
    runs.push(worst);
  }
  return [
    figure(
      '7 signature sanitiser',
      `worst accepted signature (${cfg.maxBytes.toLocaleString('en-US')} bytes, depth ${limits.maxNestingDepth}, ${limits.maxElements.toLocaleString('en-US')} elements), off the event loop`,
      'ms',
      runs,
      null,
      null,
      `slowest shape: ${slowest}`,
    ),
  ];
}
