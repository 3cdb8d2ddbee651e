/**
 * `onramp mail deliver` SIGKILLed again and again at arbitrary moments of delivery, each time restarted,
 * then left to finish, against a real SMTP server. Expected: nothing lost; an email arrives twice only
 * when the kill fell between the server's 250 and the "sent" commit of that one email, so duplicates
 * stay within the open SMTP connections (mail.concurrency) per crash, and a duplicate carries the same
 * Message-ID as the first copy.
 *
 * The suite kills 3 times per engine; `scripts/fault-figures.sh` kills 20 times (ONRAMP_FAULT_KILLS).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { enqueueEmails } from '../../src/mail/outbox.js';
import { runCli } from '../support/process.js';
import { SmtpSink } from '../support/smtp.js';
import { BACKENDS } from '../support/storage.js';
import { figure, until } from './support.js';

const KILLS = Number(process.env.ONRAMP_FAULT_KILLS ?? 3);
const EMAILS = Number(process.env.ONRAMP_FAULT_EMAILS ?? 200);
const CONCURRENCY = 4;

for (const backend of BACKENDS) {
  describe(`fault: kill -9 during delivery [${backend.name}]`, { skip: backend.skip }, () => {
    test(`killed ${KILLS} times at arbitrary moments: 0 lost, duplicates within the open SMTP connections per crash, same Message-ID`, async () => {
      const storage = await backend.open();
      // A few milliseconds per message, so each kill lands with deliveries in flight.
      const sink = await new SmtpSink({ beforeAccept: () => sleep(2 + Math.random() * 6) }).start();
      try {
        const recipients = Array.from({ length: EMAILS }, (_, i) => `r${i}@contoso.test`);
        await enqueueEmails(
          storage.db,
          recipients.map((address) => ({ kind: 'invitation', message: { to: [{ address }], subject: 'MFA', html: '<p>hi</p>', text: 'hi' } })),
          { now: new Date(), from: 'mfa@contoso.test', maxParameters: storage.dialect.maxParameters },
        );
        const env = {
          ...storage.env,
          ONRAMP_LOG_LEVEL: 'warn',
          ONRAMP_SMTP_HOST: '127.0.0.1',
          ONRAMP_SMTP_PORT: String(sink.port),
          ONRAMP_MAIL_FROM: 'mfa@contoso.test',
          ONRAMP_MAIL_CONCURRENCY: String(CONCURRENCY),
          ONRAMP_MAIL_CLAIM_TTL_MS: '1000',
          ONRAMP_MAIL_POLL_INTERVAL_MS: '100',
        };
        let killed = 0;
        while (killed < KILLS) {
          const before = sink.received.length;
          const sender = runCli(['mail', 'deliver', '--wait'], env);
          // Killed at an arbitrary point once it delivers: after 1 to 40 further acceptances.
          const after = 1 + Math.floor(Math.random() * 40);
          await Promise.race([until(() => sink.received.length >= before + after, 'deliveries', 60_000), sender.exited]);
          if (sender.child.exitCode !== null) break; // finished before the kill: nothing left to interrupt
          sender.child.kill('SIGKILL');
          await sender.exited;
          killed++;
          await until(() => sink.openSessions === 0, "the killed sender's connections to close");
        }
        const last = runCli(['mail', 'deliver', '--wait'], env);
        assert.equal((await last.exited).code, 0, last.output());

        const rows = await storage.db.selectFrom('mail_outbox').select(['recipient', 'message_id', 'status']).execute();
        assert.ok(rows.every((r) => r.status === 'sent'));
        let duplicates = 0;
        for (const row of rows) {
          const got = sink.to(row.recipient);
          assert.ok(got.length >= 1, `${row.recipient} got its email`);
          assert.ok(
            got.every((m) => m.messageId === row.message_id),
            'every copy carries the stored Message-ID',
          );
          duplicates += got.length - 1;
        }
        assert.ok(killed >= 1, 'at least one kill landed mid-delivery');
        assert.ok(duplicates <= killed * CONCURRENCY, `${duplicates} duplicates after ${killed} kills with ${CONCURRENCY} connections`);
        figure(`kill-during-delivery-${backend.name}`, {
          emails: EMAILS,
          kills: killed,
          smtpConnections: CONCURRENCY,
          lost: 0,
          duplicates,
          duplicatesPerKill: Number((duplicates / killed).toFixed(2)),
        });
      } finally {
        await sink.close();
        await storage.close();
      }
    });
  });
}
