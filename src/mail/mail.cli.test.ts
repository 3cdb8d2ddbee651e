import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKENDS } from '../../test/support/storage.js';
import { SmtpSink } from '../../test/support/smtp.js';
import { runCli } from '../../test/support/process.js';
import { simulatorEnv, startTestTenant } from '../../test/support/simulator.js';
import { USER_STATUS } from '../onboarding/onboarding.domain.js';
import { defaultCampaign, upsertUploadedUsers } from '../onboarding/onboarding.queries.js';
import { enqueueEmails } from './outbox.js';

for (const backend of BACKENDS) {
  describe(`onramp mail deliver (${backend.name})`, { skip: backend.skip }, () => {
    test("an email refused for good puts its user in Error with the reason, as the server's sender does; a delivered one leaves its user alone", async () => {
      const storage = await backend.open();
      const sink = await new SmtpSink({ rcptRule: (a) => (a.startsWith('gone@') ? { code: 550, message: 'no such mailbox' } : undefined) }).start();
      try {
        const db = storage.db;
        const campaign = await defaultCampaign(db);
        const users = await upsertUploadedUsers(
          db,
          storage.dialect,
          campaign.id,
          'b1',
          ['gone', 'here'].map((name, i) => ({
            upn: `${name}@contoso.test`,
            upn_key: `${name}@contoso.test`,
            link_secret: String(i).repeat(43),
            correlation_id: `c${i}`,
          })),
          '2026-01-01T09:00:00.000Z',
        );
        await db.updateTable('tracked_user').set({ invite_status: USER_STATUS.Sent, invite_sent_date: '2026-01-01T09:00:00.000Z' }).execute();
        await enqueueEmails(
          db,
          users.map((u) => ({
            kind: 'invitation',
            trackedUserId: u.id,
            message: { to: [{ address: u.upn_key }], subject: 'MFA', html: '<p>hi</p>', text: 'hi' },
          })),
          { now: new Date(), from: 'mfa@contoso.test', maxParameters: storage.dialect.maxParameters },
        );
        const env = {
          ...storage.env,
          ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json',
          ONRAMP_SMTP_HOST: '127.0.0.1',
          ONRAMP_SMTP_PORT: String(sink.port),
          ONRAMP_MAIL_FROM: 'mfa@contoso.test',
        };
        const run = runCli(['mail', 'deliver', '--wait'], env);
        assert.equal((await run.exited).code, 0, run.output());

        const after = await db.selectFrom('tracked_user').select(['id', 'upn_key', 'invite_status', 'status_reason']).orderBy('id').execute();
        assert.deepEqual(
          after.map((u) => [u.upn_key, u.invite_status, u.status_reason]),
          [
            ['gone@contoso.test', USER_STATUS.Error, 'email refused: SMTP 550: 550 no such mailbox'],
            ['here@contoso.test', USER_STATUS.Sent, null],
          ],
        );
        const events = await db.selectFrom('user_event').select(['tracked_user_id', 'type']).where('type', '=', 'email-failed').execute();
        assert.deepEqual(events, [{ tracked_user_id: after[0]!.id, type: 'email-failed' }]);
        assert.equal(sink.to('here@contoso.test').length, 1);
      } finally {
        await sink.close();
        await storage.close();
      }
    });

    test("with mail.transport=graph it sends through the tenant's shared mailbox, as the server does", async () => {
      const storage = await backend.open();
      const tenant = await startTestTenant();
      const dir = mkdtempSync(join(tmpdir(), 'onramp-mail-cli-'));
      try {
        await enqueueEmails(
          storage.db,
          [{ kind: 'report', trackedUserId: null, message: { to: [{ address: 'it@contoso.test' }], subject: 'Weekly', html: '<p>hi</p>', text: 'hi' } }],
          {
            now: new Date(),
            from: tenant.sim.sharedMailbox,
            maxParameters: storage.dialect.maxParameters,
          },
        );
        const env = {
          ...storage.env,
          ...simulatorEnv(tenant.sim, dir),
          ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json',
          ONRAMP_MAIL_TRANSPORT: 'graph',
          ONRAMP_MAIL_FROM: tenant.sim.sharedMailbox,
        };
        const run = runCli(['mail', 'deliver', '--wait'], env);
        assert.equal((await run.exited).code, 0, run.output());
        const sent = tenant.sim.control.mail().filter((m) => m.to.some((r) => r.address === 'it@contoso.test'));
        assert.deepEqual(
          sent.map((m) => [m.from, m.subject]),
          [[tenant.sim.sharedMailbox, 'Weekly']],
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await tenant.stop();
        await storage.close();
      }
    });
  });
}
