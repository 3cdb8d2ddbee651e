/**
 * Scenario 11: outbox delivery (issue 23). N invitation-sized emails queued in the outbox (SQLite, as
 * the server keeps it) and delivered by the outbox sender as the server runs it (claims, Message-IDs,
 * one outcome recorded per email):
 * - over SMTP to a real SMTP server on loopback (bench/smtp-sink.ts): ≥ 1,000 emails/s and ≥ 0.7× a
 *   bare pooled nodemailer sending the same messages to the same server with the same connections;
 * - over Graph sendMail to the tenant simulator answering after 30 ms, from one shared mailbox, at the
 *   mail concurrency the transport allows a mailbox (Outlook's 4 concurrent requests per mailbox): ≥ 200
 *   emails/s; 10,000 emails stay within the 10,000 requests per 10 minutes per mailbox.
 * In this process: the figure is the sender's work, not a server's start-up.
 */
import { Value } from '@sinclair/typebox/value';
import nodemailer from 'nodemailer';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite, type Storage } from '../../src/db/dialect.js';
import { migrateToLatest } from '../../src/db/migrations/index.js';
import { connectGraph } from '../../src/graph/connect.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { mailConfig } from '../../src/mail/mail.config.js';
import { enqueueEmails, OutboxSender, type QueuedEmail } from '../../src/mail/outbox.js';
import { outboxCounts } from '../../src/mail/outbox.queries.js';
import { GraphMailTransport, SmtpTransport, type MailSettings, type MailTransport } from '../../src/mail/transports.js';
import { loadConfig } from '../../src/onramp-config.js';
import { figure, type Figure, type Target } from '../harness.js';
import { startCountingSink } from '../smtp-sink.js';
import type { ScenarioContext } from './context.js';

const SCENARIO = '11 outbox delivery';
const SMTP_RATE: Target = { op: '>=', value: 1_000 };
const GRAPH_RATE: Target = { op: '>=', value: 200 };
const LATENCY_MS = 30;
const log = createLogger('silent');

/** An invitation as the workflow writes it: about 3 KB of HTML and its text form. */
function invitation(i: number): QueuedEmail {
  const name = `Bench User ${i}`;
  const link = `https://onramp.contoso.example/l/${i.toString(36).padStart(8, '0')}bench`;
  const para = `<p style="font-family:Segoe UI,Arial,sans-serif;font-size:11pt;color:#333">Hello ${name}, please set up multi-factor authentication for your Contoso account. It takes about five minutes and keeps your account safe.</p>`;
  return {
    kind: 'invitation',
    trackedUserId: null,
    message: {
      to: [{ address: `user${i}@contoso.example`, name }],
      subject: 'Action required: set up multi-factor authentication',
      html: `<html><body>${para.repeat(8)}<p><a href="${link}" style="background:#0078d4;color:#fff;padding:8px 16px">Set up MFA</a></p></body></html>`,
      text: `Hello ${name},\n\nplease set up multi-factor authentication: ${link}\n`.repeat(4),
    },
  };
}

async function queue(ctx: ScenarioContext, name: string, n: number, from: string): Promise<Storage> {
  const dir = join(ctx.workDir, name);
  mkdirSync(dir, { recursive: true });
  const storage = openSqlite(dir);
  await migrateToLatest(storage);
  const emails = Array.from({ length: n }, (_, i) => invitation(i));
  await storage.db.transaction().execute((trx) => enqueueEmails(trx, emails, { now: new Date(), from, maxParameters: storage.dialect.maxParameters }));
  return storage;
}

/** Delivers the whole outbox through `transport`; returns emails per second. A count other than n breaks the scenario. */
async function deliver(storage: Storage, settings: MailSettings, transport: MailTransport, n: number): Promise<number> {
  const sender = new OutboxSender({ db: storage.db, clock: systemClock, log, settings, transport });
  const started = performance.now();
  const round = await sender.deliverDue();
  const seconds = (performance.now() - started) / 1000;
  const counts = await outboxCounts(storage.db);
  if (round.sent !== n || counts.sent !== n) throw new Error(`${transport.name}: ${round.sent} sent of ${n} (outbox ${JSON.stringify(counts)})`);
  return n / seconds;
}

export async function outboxScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const n = ctx.sizes.quick ? 500 : 10_000;
  const sink = await startCountingSink();
  const figures: Figure[] = [];
  try {
    const settings = Value.Default(mailConfig, { smtpHost: '127.0.0.1', smtpPort: sink.port, from: 'mfa@contoso.example' }) as MailSettings;
    // Baseline: nodemailer's pool alone, the same connections, every message handed over at once.
    const bare = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, pool: true, maxConnections: settings.concurrency });
    const messages = Array.from({ length: n }, (_, i) => invitation(i).message);
    const bareStarted = performance.now();
    await Promise.all(
      messages.map((m, i) =>
        bare.sendMail({ from: settings.from, to: m.to, subject: m.subject, html: m.html, text: m.text, messageId: `<bare-${i}@contoso.example>` }),
      ),
    );
    const bareRate = n / ((performance.now() - bareStarted) / 1000);
    bare.close();

    const smtpStorage = await queue(ctx, 'outbox-smtp', n, settings.from);
    const transport = new SmtpTransport(settings);
    try {
      const acceptedBefore = sink.accepted();
      const rate = await deliver(smtpStorage, settings, transport, n);
      if (sink.accepted() - acceptedBefore !== n) throw new Error(`the SMTP server accepted ${sink.accepted() - acceptedBefore} of ${n}`);
      figures.push(
        figure(
          SCENARIO,
          `${n.toLocaleString('en-US')} emails from the outbox over SMTP (loopback), emails per second`,
          'emails/s',
          [rate],
          SMTP_RATE,
          { name: 'bare pooled nodemailer', value: bareRate },
          `${settings.concurrency} connections; target ≥ 0.7× the baseline`,
        ),
      );
    } finally {
      await transport.close();
      await smtpStorage.close();
    }

    const sim = ctx.tenant.sim;
    const config = loadConfig({ env: { ...ctx.tenant.graphEnv } });
    const graph = await connectGraph(config.graph, log);
    const graphStorage = await queue(ctx, 'outbox-graph', n, sim.sharedMailbox);
    try {
      const graphSettings = { ...settings, transport: 'graph' as const, from: sim.sharedMailbox };
      const graphTransport = new GraphMailTransport(graph.graph, sim.sharedMailbox);
      sim.control.clearMail();
      sim.control.resetStats();
      sim.control.setFaults({ latencyMs: LATENCY_MS });
      const rate = await deliver(graphStorage, graphSettings, graphTransport, n);
      const stats = sim.control.stats();
      if (sim.control.mail().length !== n) throw new Error(`the simulated mailbox sent ${sim.control.mail().length} of ${n}`);
      figures.push(
        figure(
          SCENARIO,
          `${n.toLocaleString('en-US')} emails from the outbox via Graph sendMail (latency 30 ms), emails per second`,
          'emails/s',
          [rate],
          GRAPH_RATE,
          null,
          `one mailbox, ${graphSettings.concurrency} sendMail requests in flight (Outlook allows 4 per mailbox: ceiling ${Math.round((graphSettings.concurrency * 1000) / LATENCY_MS)}/s at 30 ms); ${stats.graphRequests} requests, ${stats.throttled} throttled`,
        ),
      );
    } finally {
      sim.control.setFaults({ latencyMs: 0 });
      sim.control.clearMail();
      await graph.close();
      await graphStorage.close();
    }
  } finally {
    await sink.stop();
  }
  return figures;
}
