/**
 * Issue 16, finding 4: the resend form must not tell by its timing whether an address is in the
 * campaign. The client runs in the server's own process and event loop on purpose: any work the
 * server does for a known address between reading the request and the client reading the answer
 * (before the reply, or queued right behind it) delays this client, so the test is more sensitive than
 * a remote one. Before the fix (lookup and writes right after the reply) it measured AUC 0.74 to 0.94.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { buildPublicApp } from '../../src/app.js';
import { AuthService } from '../../src/auth/auth.service.js';
import { loadConfig } from '../../src/onramp-config.js';
import type { OnrampContext } from '../../src/context.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { USER_EVENT } from '../../src/onboarding/onboarding.domain.js';
import { sqliteBackend } from '../support/storage.js';
import { auc, median, shuffle } from './stats.js';

/** With 1,200 each, AUC's null-hypothesis standard deviation is 0.0118: 0.55 is 4.2 sigma away (p < 2e-5). */
const PER_CATEGORY = 1_200;

function post(port: number, agent: Agent, email: string): Promise<{ ms: number; status: number; body: string }> {
  const body = `email=${encodeURIComponent(email)}`;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/resend',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          accept: 'text/html',
          'user-agent': 'Mozilla/5.0',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// SQLite only: what is measured is the route's code path, the same on both engines, and PostgreSQL's
// slower writes would make the run several times longer without testing anything more.
for (const backend of [sqliteBackend]) {
  describe(`resend timing [${backend.name}]`, () => {
    test(`answers for addresses in the campaign and unknown ones are indistinguishable by time (AUC <= 0.55 over ${PER_CATEGORY} each), and the known ones are resent`, async () => {
      const storage = await backend.open();
      const config = loadConfig({
        env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json', ...storage.env, ONRAMP_ONBOARDING_RESEND_PER_IP_PER_HOUR: '1000000' },
      });
      const ctx: OnrampContext = { config, storage, log: createLogger('silent'), clock: systemClock, demo: false, instanceId: 'test' };
      const app = await buildPublicApp(ctx);
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const auth = new AuthService(storage.db, config.auth, systemClock);
        const admin = { authorization: `Bearer ${(await auth.createApiToken('ci', 'admin', 'test')).token}` };
        const csv = `upn\n${Array.from({ length: PER_CATEGORY }, (_, i) => `member${i}@contoso.example`).join('\n')}\n`;
        assert.equal((await app.inject({ method: 'POST', url: '/api/upload-users', headers: admin, payload: { csv } })).statusCode, 200);
        const port = Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);

        for (let i = 0; i < 200; i++) await post(port, agent, `warm-up${i}@elsewhere.example`);
        const order = shuffle(Array.from({ length: PER_CATEGORY * 2 }, (_, i) => ({ known: i % 2 === 0, n: i >> 1 })));
        const known: number[] = [];
        const unknown: number[] = [];
        const bodies = new Set<string>();
        for (const { known: isKnown, n } of order) {
          const answer = await post(port, agent, isKnown ? `member${n}@contoso.example` : `stranger${n}@contoso.example`);
          assert.equal(answer.status, 200);
          bodies.add(answer.body);
          (isKnown ? known : unknown).push(answer.ms);
        }
        const score = auc(known, unknown);
        const figures = `median ${median(known).toFixed(3)} ms known vs ${median(unknown).toFixed(3)} ms unknown, AUC ${score.toFixed(3)}`;
        assert.equal(bodies.size, 1, 'one answer body for every address');
        assert.ok(score <= 0.55 && score >= 0.45, figures);

        await app.onboarding.idle();
        const resent = await storage.db
          .selectFrom('user_event')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('type', '=', USER_EVENT.ResendRequested)
          .executeTakeFirstOrThrow();
        assert.equal(Number(resent.n), PER_CATEGORY, 'every member asked once and only them');
      } finally {
        agent.destroy();
        await app.close();
        await storage.close();
      }
    });
  });
}
