import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchedWriter } from './batched-writer.js';
import { createLogger } from './logger.js';

function logLines() {
  const lines: Array<{ level: number; msg: string; dropped?: number }> = [];
  const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

test('writes in batches, in arrival order; a failed batch is retried before what arrived meanwhile', async () => {
  const { log, lines } = logLines();
  const written: number[][] = [];
  let failNext = true;
  const writer = new BatchedWriter<number>({
    what: 'numbers',
    log,
    maxBuffered: 100,
    batchSize: 3,
    write: async (batch) => {
      if (failNext) {
        failNext = false;
        throw new Error('database away');
      }
      written.push(batch);
    },
  });
  for (const n of [1, 2, 3]) writer.add(n); // the third fills a batch: its write starts and fails
  for (const n of [4, 5]) writer.add(n);
  await writer.flush();
  assert.deepEqual(written, [], 'nothing written while the database fails');
  assert.equal(writer.pending, 5);
  assert.ok(lines.some((l) => l.level === 50 && l.msg === 'writing numbers failed; will retry'));
  await writer.close(); // writes what is left: the failed batch first
  assert.deepEqual(written, [
    [1, 2, 3],
    [4, 5],
  ]);
  assert.equal(writer.pending, 0);
});

test('with keyOf, a key already waiting is not added again, and the earlier record stays after a failed write', async () => {
  const { log } = logLines();
  const written: Array<Array<{ k: string; at: number }>> = [];
  let fail = true;
  const writer = new BatchedWriter<{ k: string; at: number }>({
    what: 'stamps',
    log,
    maxBuffered: 100,
    flushDelayMs: 60_000,
    retryDelayMs: 60_000,
    keyOf: (r) => r.k,
    write: async (batch) => {
      if (fail) throw new Error('database away');
      written.push(batch);
    },
  });
  writer.add({ k: 'a', at: 1 });
  writer.add({ k: 'a', at: 2 });
  writer.add({ k: 'b', at: 3 });
  assert.equal(writer.pending, 2);
  await writer.flush(); // fails: a@1 and b@3 go back
  writer.add({ k: 'a', at: 4 });
  fail = false;
  await writer.close();
  assert.deepEqual(written, [
    [
      { k: 'a', at: 1 },
      { k: 'b', at: 3 },
    ],
  ]);
});

test('past maxBuffered new records are dropped, counted and the count logged once writing works', async () => {
  const { log, lines } = logLines();
  const written: number[] = [];
  const writer = new BatchedWriter<number>({
    what: 'numbers',
    log,
    maxBuffered: 2,
    batchSize: 10,
    flushDelayMs: 60_000,
    write: async (b) => void written.push(...b),
  });
  for (const n of [1, 2, 3, 4]) writer.add(n);
  await writer.close();
  assert.deepEqual(written, [1, 2]);
  const warning = lines.find((l) => l.msg === 'numbers dropped while too many were waiting to be written');
  assert.equal(warning?.dropped, 2);
});
