import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../lib/logger.js';
import { structureProblem } from './sanitise.js';
import { SanitiserPool } from './sanitiser-pool.js';

const limits = { maxNestingDepth: 8, maxElements: 100 };

test('structure limits count as the sanitiser parses: depth, elements, implied end tags, void elements', () => {
  assert.equal(structureProblem('<div>'.repeat(8), limits), undefined);
  assert.match(structureProblem('<div>'.repeat(9), limits) ?? '', /nested more than 8 deep/);
  assert.equal(structureProblem('<ul>' + '<li>x'.repeat(50), limits), undefined, 'each <li> closes the one before');
  assert.equal(structureProblem('<p>' + '<br><img src="x">'.repeat(40), limits), undefined, 'void elements do not nest');
  assert.match(structureProblem('<b>x</b>'.repeat(101), limits) ?? '', /more than 100 elements/);
});

test('the pool sanitises in a worker, refuses a job past its time, and one past its queue bound', async () => {
  const pool = new SanitiserPool({ threads: 1, timeoutMs: 5_000, maxQueued: 2, limits, log: createLogger('silent') });
  try {
    assert.deepEqual(await pool.sanitise('<p onclick="x()">hi</p><script>1</script>'), { ok: true, html: '<p>hi</p>' });
    assert.deepEqual(await pool.sanitise('<i>'.repeat(9)), { ok: false, reason: 'elements are nested more than 8 deep' });
    const queued = [pool.sanitise('<b>1</b>'), pool.sanitise('<b>2</b>'), pool.sanitise('<b>3</b>'), pool.sanitise('<b>4</b>')];
    const outcomes = await Promise.all(queued);
    assert.deepEqual(outcomes.filter((o) => 'busy' in o).length, 1, 'past maxQueued waiting jobs, the next is refused as busy');
  } finally {
    await pool.close();
  }
  const slow = new SanitiserPool({
    threads: 1,
    timeoutMs: 1,
    maxQueued: 2,
    limits: { maxNestingDepth: 64, maxElements: 100_000 },
    log: createLogger('silent'),
  });
  try {
    await slow.sanitise('<b>warm-up</b>').catch(() => undefined);
    const outcome = await slow.sanitise('<span style="color:red">x</span>'.repeat(20_000));
    assert.deepEqual(outcome, { ok: false, reason: 'it took longer than 1 ms to check' });
  } finally {
    await slow.close();
  }
});
