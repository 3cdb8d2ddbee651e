import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from './clock.js';
import { clientNetworkKey } from './client-address.js';
import { WindowRateLimiter } from './rate-limit.js';

describe('window rate limiting', () => {
  test('allows `limit` hits per key and window, then refuses until the window has passed', () => {
    const clock = new ManualClock();
    const limiter = new WindowRateLimiter(clock, 2, 1000);
    assert.deepEqual([limiter.take('a'), limiter.take('a'), limiter.take('a'), limiter.take('b')], [true, true, false, true]);
    clock.advance(999);
    assert.equal(limiter.take('a'), false);
    clock.advance(1);
    assert.equal(limiter.take('a'), true);
  });

  test('a flood of new keys keeps memory bounded: expired keys go as new ones come, live ones past the cap oldest first', () => {
    const clock = new ManualClock();
    const limiter = new WindowRateLimiter(clock, 1, 1000, 50);
    for (let i = 0; i < 40; i++) limiter.take(`old-${i}`);
    clock.advance(1000);
    limiter.take('new-0');
    assert.equal(limiter.size, 1, 'the expired keys were dropped');

    for (let i = 1; i < 200; i++) limiter.take(`new-${i}`);
    assert.equal(limiter.size, 50);
    assert.equal(limiter.take('new-199'), false, 'the newest keys are still counted');
    assert.equal(limiter.take('new-0'), true, 'the oldest were forgotten');
  });

  test('client addresses: IPv4 as they are, IPv6 by their /64', () => {
    assert.equal(clientNetworkKey('203.0.113.7'), '203.0.113.7');
    assert.equal(clientNetworkKey('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(clientNetworkKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(clientNetworkKey('2001:DB8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
    assert.equal(clientNetworkKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(clientNetworkKey('::1'), '0:0:0:0::/64');
    assert.equal(clientNetworkKey('fe80::1:2:3:4'), 'fe80:0:0:0::/64');
    assert.notEqual(clientNetworkKey('2001:db8:1:2::1'), clientNetworkKey('2001:db8:1:3::1'));
  });
});
