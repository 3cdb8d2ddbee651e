import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BACKENDS } from '../../test/support/storage.js';
import { SmtpSink } from '../../test/support/smtp.js';
import { runCli } from '../../test/support/process.js';
import { enqueueEmails } from './outbox.js';

/** Polls until `check` holds (a condition to wait for, not a timing assertion). */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

for (const backend of BACKENDS) {
  describe(`outbox across a SIGKILL (${backend.name})`, { skip: backend.skip }, () => {
    test('a sender killed mid-delivery and restarted delivers every email exactly once, each with its stored Message-ID', async () => {
      const storage = await backend.open();
      const recipients = Array.from({ length: 20 }, (_, i) => `r${i}@contoso.test`);
      let holding = false;
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const sink = await new SmtpSink({
        // After 8 acceptances the sink stops answering: the sender is killed while those emails are in flight.
        beforeAccept: async () => {
          if (sink.received.length >= 8) holding = true;
          if (holding) await released;
        },
      }).start();
      try {
        await enqueueEmails(
          storage.db,
          recipients.map((address) => ({ kind: 'invitation', message: { to: [{ address }], subject: 'MFA', html: '<p>hi</p>', text: 'hi' } })),
          { now: new Date(), from: 'mfa@contoso.test', maxParameters: storage.dialect.maxParameters },
        );
        const env = {
          ...storage.env,
          ONRAMP_SMTP_HOST: '127.0.0.1',
          ONRAMP_SMTP_PORT: String(sink.port),
          ONRAMP_MAIL_FROM: 'mfa@contoso.test',
          ONRAMP_MAIL_CONCURRENCY: '2',
          ONRAMP_MAIL_CLAIM_TTL_MS: '1000',
          ONRAMP_MAIL_POLL_INTERVAL_MS: '200',
        };
        const sent = async () => (await storage.db.selectFrom('mail_outbox').select('id').where('status', '=', 'sent').execute()).length;

        const first = runCli(['mail', 'deliver', '--wait'], env);
        await until(() => holding, 'the sink to hold an email');
        // Every acceptance so far is recorded, so what the kill interrupts is only the held deliveries.
        await until(async () => (await sent()) === sink.received.length, 'the accepted emails to be recorded as sent');
        first.child.kill('SIGKILL');
        assert.equal((await first.exited).signal, 'SIGKILL');
        await until(() => sink.openSessions === 0, "the killed sender's connections to close");
        release();
        const acceptedBeforeCrash = sink.received.length;
        const stale = await storage.db.selectFrom('mail_outbox').select('id').where('status', '=', 'sending').execute();
        assert.ok(stale.length > 0, 'the crash left claimed emails behind');

        holding = false;
        const second = runCli(['mail', 'deliver', '--wait'], env);
        assert.equal((await second.exited).code, 0, second.output());

        const rows = await storage.db.selectFrom('mail_outbox').select(['recipient', 'message_id', 'status']).execute();
        assert.ok(rows.every((r) => r.status === 'sent'));
        for (const row of rows) {
          const got = sink.to(row.recipient);
          assert.equal(got.length, 1, `${row.recipient} got exactly one email`);
          assert.equal(got[0]!.messageId, row.message_id);
        }
        assert.equal(sink.received.length, recipients.length);
        assert.ok(sink.received.length > acceptedBeforeCrash);
      } finally {
        release();
        await sink.close();
        await storage.close();
      }
    });
  });
}
