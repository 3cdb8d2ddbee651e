/** The add-in's short-lived reuse of planned sets: one planning per mailbox per ttl, shared by concurrent asks, failures not kept. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ExpectedMailboxSignatures } from '../signatures/model.js';
import { cachedExpectedSets } from './signature-cache.js';

describe('cachedExpectedSets', () => {
  const setOf = (mailbox: string, n: number): ExpectedMailboxSignatures => ({
    mailbox,
    userPrincipalName: mailbox,
    signatures: [],
    verdicts: [],
    setHash: String(n),
  });

  it('plans a mailbox once per ttl, whatever its case, and shares one planning among concurrent asks', async () => {
    let clock = 0;
    const planned: string[] = [];
    const cache = cachedExpectedSets(
      {
        expectedFor: async (mailbox) => {
          planned.push(mailbox);
          return setOf(mailbox, planned.length);
        },
      },
      { ttlMs: 10_000, now: () => clock },
    );
    const [a, b] = await Promise.all([cache.expectedFor('Ada@x'), cache.expectedFor('ada@x')]);
    assert.equal(a?.setHash, '1');
    assert.equal(b?.setHash, '1');
    clock += 9_999;
    assert.equal((await cache.expectedFor('ada@x'))?.setHash, '1');
    clock += 1;
    assert.equal((await cache.expectedFor('ada@x'))?.setHash, '2');
    assert.deepEqual(planned, ['ada@x', 'ada@x']);
  });

  it('does not keep a failed planning, keeps at most maxEntries, and is a pass-through with ttl 0', async () => {
    let fail = true;
    let calls = 0;
    const planner = {
      expectedFor: async (mailbox: string) => {
        calls++;
        if (fail) throw new Error('database away');
        return setOf(mailbox, calls);
      },
    };
    const cache = cachedExpectedSets(planner, { ttlMs: 10_000, maxEntries: 2 });
    await assert.rejects(cache.expectedFor('ada@x'), /database away/);
    fail = false;
    assert.equal((await cache.expectedFor('ada@x'))?.setHash, '2');
    await cache.expectedFor('bob@x');
    await cache.expectedFor('cy@x');
    // ada was the oldest of three in a map of two: planned again.
    assert.equal((await cache.expectedFor('ada@x'))?.setHash, '5');
    assert.equal(cachedExpectedSets(planner, { ttlMs: 0 }), planner);
  });
});
