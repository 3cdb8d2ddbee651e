import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { BACKENDS } from '../../test/support/storage.js';
import { SmtpSink } from '../../test/support/smtp.js';
import { ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { mailConfig } from './mail.config.js';
import { enqueueEmails, OutboxSender, type GivenUpEmail, type QueuedEmail } from './outbox.js';
import { claimDue, outboxCounts } from './outbox.queries.js';
import { SmtpTransport, type MailSettings } from './transports.js';

const log = createLogger('silent');

function settingsFor(sink: SmtpSink, extra: Partial<MailSettings> = {}): MailSettings {
  return Value.Default(mailConfig, {
    smtpHost: '127.0.0.1',
    smtpPort: sink.port,
    from: 'mfa@contoso.test',
    retryBaseMs: 60_000,
    maxAttempts: 3,
    claimTtlMs: 60_000,
    ...extra,
  }) as MailSettings;
}

function email(to: string, trackedUserId: number | null = null): QueuedEmail {
  return { kind: 'invitation', trackedUserId, message: { to: [{ address: to }], subject: `Hello ${to}`, html: `<p>Hi ${to}</p>`, text: `Hi ${to}` } };
}

for (const backend of BACKENDS) {
  describe(`mail outbox (${backend.name})`, { skip: backend.skip }, () => {
    test('emails exist only if their transaction commits, and go out once with their stored Message-ID', async () => {
      const storage = await backend.open();
      const sink = await new SmtpSink().start();
      const clock = new ManualClock();
      const settings = settingsFor(sink);
      const transport = new SmtpTransport(settings);
      try {
        const opts = { now: clock.now(), from: settings.from, maxParameters: storage.dialect.maxParameters };
        await storage.db.transaction().execute((trx) => enqueueEmails(trx, [email('a@contoso.test'), email('b@contoso.test')], opts));
        await assert.rejects(
          storage.db.transaction().execute(async (trx) => {
            await enqueueEmails(trx, [email('rolled-back@contoso.test')], opts);
            throw new Error('status change failed');
          }),
          /status change failed/,
        );
        const sender = new OutboxSender({ db: storage.db, clock, log, settings, transport });
        assert.deepEqual(await sender.deliverDue(), { sent: 2, retried: 0, failed: 0 });
        assert.deepEqual(await sender.deliverDue(), { sent: 0, retried: 0, failed: 0 });
        assert.deepEqual(sink.received.map((m) => m.envelopeTo[0]).sort(), ['a@contoso.test', 'b@contoso.test']);
        const rows = await storage.db.selectFrom('mail_outbox').select(['message_id', 'recipient', 'status']).orderBy('id').execute();
        assert.deepEqual(
          rows.map((r) => r.status),
          ['sent', 'sent'],
        );
        for (const row of rows) assert.equal(sink.to(row.recipient)[0]!.messageId, row.message_id);
        assert.match(rows[0]!.message_id, /^<[0-9a-f-]{36}@contoso\.test>$/);
      } finally {
        await transport.close();
        await sink.close();
        await storage.close();
      }
    });

    test('a transient 4xx is retried with exponential backoff; max attempts or a 5xx gives up with the reason', async () => {
      const storage = await backend.open();
      let greylisted = 1;
      const sink = await new SmtpSink({
        rcptRule: (a) => {
          if (a.startsWith('greylist') && greylisted-- > 0) return { code: 451, message: 'try again later' };
          if (a.startsWith('busy')) return { code: 452, message: 'mailbox busy' };
          if (a.startsWith('nobody')) return { code: 550, message: 'no such user here' };
          return undefined;
        },
      }).start();
      const clock = new ManualClock();
      const settings = settingsFor(sink);
      const transport = new SmtpTransport(settings);
      const givenUp: GivenUpEmail[] = [];
      try {
        await enqueueEmails(storage.db, [email('greylist@contoso.test', 1), email('busy@contoso.test', 2), email('nobody@contoso.test', 3)], {
          now: clock.now(),
          from: settings.from,
          maxParameters: storage.dialect.maxParameters,
        });
        const sender = new OutboxSender({
          db: storage.db,
          clock,
          log,
          settings,
          transport,
          onGiveUp: async (trx, e) => {
            // The handler runs in the failing transaction: it sees the row already failed.
            const row = await trx.selectFrom('mail_outbox').select('status').where('id', '=', e.outboxId).executeTakeFirstOrThrow();
            assert.equal(row.status, 'failed');
            givenUp.push(e);
          },
        });
        assert.deepEqual(await sender.deliverDue(), { sent: 0, retried: 2, failed: 1 });
        assert.equal(givenUp[0]!.trackedUserId, 3);
        assert.match(givenUp[0]!.reason, /refused: SMTP 550/);

        clock.advance(59_000);
        assert.deepEqual(await sender.deliverDue(), { sent: 0, retried: 0, failed: 0 }, 'not due before the first backoff');
        clock.advance(1_000);
        assert.deepEqual(await sender.deliverDue(), { sent: 1, retried: 1, failed: 0 });
        assert.equal(sink.to('greylist@contoso.test').length, 1);

        clock.advance(119_000);
        assert.deepEqual(await sender.deliverDue(), { sent: 0, retried: 0, failed: 0 }, 'the second backoff is twice the first');
        clock.advance(1_000);
        assert.deepEqual(await sender.deliverDue(), { sent: 0, retried: 0, failed: 1 });
        assert.equal(givenUp[1]!.trackedUserId, 2);
        assert.match(givenUp[1]!.reason, /not delivered after 3 attempts: SMTP 452/);
        assert.deepEqual(await outboxCounts(storage.db), { sent: 1, failed: 2 });
        assert.equal(sink.to('busy@contoso.test').length, 0);
      } finally {
        await transport.close();
        await sink.close();
        await storage.close();
      }
    });

    test('a relay that refuses onramp itself (wrong SMTP password) fails no recipient: the emails wait for the fixed set-up', async () => {
      const storage = await backend.open();
      const sink = await new SmtpSink({ password: 'right' }).start();
      const clock = new ManualClock();
      const wrong = new SmtpTransport(settingsFor(sink, { smtpUser: 'mfa', smtpPassword: 'wrong' }));
      const fixed = new SmtpTransport(settingsFor(sink, { smtpUser: 'mfa', smtpPassword: 'right' }));
      const givenUp: GivenUpEmail[] = [];
      try {
        await enqueueEmails(storage.db, [email('a@contoso.test', 1), email('b@contoso.test', 2)], {
          now: clock.now(),
          from: 'mfa@contoso.test',
          maxParameters: storage.dialect.maxParameters,
        });
        const onGiveUp = async (_trx: unknown, e: GivenUpEmail) => void givenUp.push(e);
        const misconfigured = new OutboxSender({ db: storage.db, clock, log, settings: settingsFor(sink), transport: wrong, onGiveUp });
        assert.deepEqual(await misconfigured.deliverDue(), { sent: 0, retried: 2, failed: 0 });
        assert.deepEqual(givenUp, []);
        clock.advance(60_000);
        const repaired = new OutboxSender({ db: storage.db, clock, log, settings: settingsFor(sink), transport: fixed, onGiveUp });
        assert.deepEqual(await repaired.deliverDue(), { sent: 2, retried: 0, failed: 0 });
        assert.equal(sink.received.length, 2);
      } finally {
        await wrong.close();
        await fixed.close();
        await sink.close();
        await storage.close();
      }
    });

    test('an email claimed by a sender that died is sent again, with the same Message-ID, once its claim expires', async () => {
      const storage = await backend.open();
      const sink = await new SmtpSink().start();
      const clock = new ManualClock();
      const settings = settingsFor(sink, { claimTtlMs: 30_000 });
      const transport = new SmtpTransport(settings);
      try {
        await enqueueEmails(storage.db, [email('c@contoso.test')], { now: clock.now(), from: settings.from, maxParameters: storage.dialect.maxParameters });
        // The dead sender: claimed, never recorded an outcome.
        const now = clock.now();
        const [claimed] = await claimDue(storage.db, 'dead-sender', now.toISOString(), new Date(now.getTime() + 30_000).toISOString(), 10);
        const sender = new OutboxSender({ db: storage.db, clock, log, settings, transport });
        assert.deepEqual(await sender.deliverDue(), { sent: 0, retried: 0, failed: 0 }, 'a live claim is left alone');
        clock.advance(30_001);
        assert.deepEqual(await sender.deliverDue(), { sent: 1, retried: 0, failed: 0 });
        assert.equal(sink.received.length, 1);
        assert.equal(sink.received[0]!.messageId, claimed!.message_id);
        const row = await storage.db.selectFrom('mail_outbox').select(['status', 'attempts']).executeTakeFirstOrThrow();
        assert.deepEqual(row, { status: 'sent', attempts: 2 });
      } finally {
        await transport.close();
        await sink.close();
        await storage.close();
      }
    });

    test('emails a held-up sender gives back unattempted are claimed afresh and sent once, the give-back not counted as an attempt', async () => {
      const storage = await backend.open();
      const clock = new ManualClock();
      let heldOnce = false;
      const sink = await new SmtpSink({
        beforeAccept: async () => {
          if (!heldOnce) clock.advance(6_000);
          heldOnce = true;
        },
      }).start();
      const settings = settingsFor(sink, { claimTtlMs: 10_000, concurrency: 1 });
      const transport = new SmtpTransport(settings);
      try {
        const recipients = ['a', 'b', 'c'].map((n) => `${n}@contoso.test`);
        await enqueueEmails(
          storage.db,
          recipients.map((r) => email(r)),
          { now: clock.now(), from: settings.from, maxParameters: storage.dialect.maxParameters },
        );
        const sender = new OutboxSender({ db: storage.db, clock, log, settings, transport });
        assert.deepEqual(await sender.deliverDue(), { sent: 3, retried: 0, failed: 0 });
        for (const r of recipients) assert.equal(sink.to(r).length, 1, `${r} sent once`);
        const rows = await storage.db.selectFrom('mail_outbox').select(['status', 'attempts']).orderBy('id').execute();
        assert.deepEqual(
          rows,
          recipients.map(() => ({ status: 'sent', attempts: 1 })),
        );
      } finally {
        await transport.close();
        await sink.close();
        await storage.close();
      }
    });

    test('a sender held up past half its claim starts no more sends: emails another sender took over are not sent twice', async () => {
      const storage = await backend.open();
      const clock = new ManualClock();
      let other: OutboxSender | undefined;
      let heldOnce = false;
      const sink = await new SmtpSink({
        // The relay stalls on the first email long enough for the whole batch's claim to expire, and
        // meanwhile a second sender takes the expired emails over and delivers them.
        beforeAccept: async () => {
          if (heldOnce) return;
          heldOnce = true;
          clock.advance(10_001);
          await other!.deliverDue();
        },
      }).start();
      const settings = settingsFor(sink, { claimTtlMs: 10_000, concurrency: 1 });
      const transport = new SmtpTransport(settings);
      const otherTransport = new SmtpTransport(settings);
      try {
        const recipients = ['a', 'b', 'c', 'd'].map((n) => `${n}@contoso.test`);
        await enqueueEmails(
          storage.db,
          recipients.map((r) => email(r)),
          { now: clock.now(), from: settings.from, maxParameters: storage.dialect.maxParameters },
        );
        other = new OutboxSender({ db: storage.db, clock, log, settings, transport: otherTransport });
        const slow = new OutboxSender({ db: storage.db, clock, log, settings, transport });
        await slow.deliverDue();
        // The first email was mid-send when its claim expired: that one copy is the documented window.
        assert.equal(sink.to('a@contoso.test').length, 2);
        for (const r of recipients.slice(1)) assert.equal(sink.to(r).length, 1, `${r} sent once`);
        assert.deepEqual(await outboxCounts(storage.db), { sent: 4 });
      } finally {
        await transport.close();
        await otherTransport.close();
        await sink.close();
        await storage.close();
      }
    });
  });
}
