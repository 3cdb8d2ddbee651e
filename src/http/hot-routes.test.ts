import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { buildPublicApp } from '../app.js';
import { loadConfig } from '../onramp-config.js';
import type { OnrampContext } from '../context.js';
import { ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { sqliteBackend } from '../../test/support/storage.js';

test('the pixel and the enrol page write no per-request lines at info; other routes do', async () => {
  const lines: Array<{ msg?: string; req?: { url?: string }; reqId?: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const storage = await sqliteBackend.open();
  const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json' } });
  const ctx: OnrampContext = { config, storage, log: createLogger('info', sink), clock: new ManualClock(), demo: false, instanceId: 'test' };
  const app = await buildPublicApp(ctx);
  try {
    const idsOf = async (url: string) => (await app.inject({ url })).headers['x-request-id'] as string;
    const quiet = [
      await idsOf('/api/track-open?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
      await idsOf('/api/enrol?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
    ];
    const logged = await idsOf('/api/resend');
    // A malformed token is a 400, logged at info on other routes: on these it is scanner noise, not logged.
    const refused = await idsOf(`/api/track-open?token=${'x'.repeat(300)}`);
    for (const id of quiet)
      assert.deepEqual(
        lines.filter((l) => l.reqId === id),
        [],
        `no lines for ${id}`,
      );
    assert.ok(
      lines.some((l) => l.reqId === logged && l.msg === 'incoming request'),
      'an ordinary route logs its requests',
    );
    assert.deepEqual(
      lines.filter((l) => l.reqId === refused),
      [],
    );
  } finally {
    await app.close();
    await storage.close();
  }
});
