import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { BACKENDS } from '../../test/support/storage.js';
import { SmtpSink } from '../../test/support/smtp.js';
import { loadConfig } from '../onramp-config.js';
import { DAY_MS, ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { mailConfig } from '../mail/mail.config.js';
import { SmtpTransport, type MailSettings } from '../mail/transports.js';
import { OnboardingService } from './onboarding.service.js';
import { csvCell } from '../lib/csv.js';
import { CSV_COLUMNS, ReportService } from './reports.service.js';

const log = createLogger('silent');

test('CSV cells that a spreadsheet would run as a formula are neutralised, then quoted', () => {
  assert.equal(csvCell('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
  assert.equal(csvCell('+1'), "'+1");
  assert.equal(csvCell('-2'), "'-2");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('\t=1'), `'\t=1`);
  assert.equal(csvCell('\r=1'), `"'\r=1"`);
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(3), '3');
});

for (const backend of BACKENDS) {
  describe(`admin reports (${backend.name})`, { skip: backend.skip }, () => {
    test('unreachable users are counted by reason, listed under needs attention, per batch, and completion is shown both ways', async () => {
      const storage = await backend.open();
      const clock = new ManualClock('2026-03-10T09:00:00.000Z');
      const config = loadConfig({ env: {} });
      try {
        const onboarding = new OnboardingService({ storage, config, clock, log });
        await onboarding.upload('UPN\na@x.test\nb@x.test\nc@x.test\nd@x.test\ne@x.test\n', { actor: 't', batchId: 'wave-1' });
        const set = (upn: string, patch: Record<string, unknown>) => storage.db.updateTable('tracked_user').set(patch).where('upn_key', '=', upn).execute();
        await set('a@x.test', { invite_status: 'Active' });
        await set('b@x.test', { invite_status: 'Excluded', status_reason: 'not found in the directory' });
        await set('c@x.test', { invite_status: 'Excluded', status_reason: 'not found in the directory' });
        await set('d@x.test', { invite_status: 'Excluded', status_reason: 'account disabled' });
        const reports = new ReportService({
          db: storage.db,
          dialect: storage.dialect,
          clock,
          log,
          settings: config.reports,
          branding: { companyName: 'Contoso', supportTeam: 'IT', supportEmail: 'it@x.test', primaryColor: '#0078d4' },
          instanceId: 'one',
        });
        const s = await reports.summary();
        assert.equal(s.completionRate, 50, '1 active of the 2 who can be invited');
        assert.equal(s.completionOfAll, 20, '1 active of all 5');
        assert.deepEqual(s.excludedReasons, [
          { reason: 'not found in the directory', count: 2 },
          { reason: 'account disabled', count: 1 },
        ]);
        assert.equal(s.needsAttention.unreachable.count, 3);
        assert.deepEqual(
          s.needsAttention.unreachable.users.map((u) => [u.upn, u.status_reason]),
          [
            ['b@x.test', 'not found in the directory'],
            ['c@x.test', 'not found in the directory'],
            ['d@x.test', 'account disabled'],
          ],
        );
        assert.deepEqual(
          s.batches.map((b) => [b.batchId, b.total, b.notFound, b.disabled, b.pending]),
          [['wave-1', 5, 2, 1, 1]],
        );
        const { text } = reports.renderEmail(s);
        assert.match(
          text,
          /1 of 5 users are active \(20%\); of the 2 who can be invited, 50%\. 3 users cannot be invited: 2 not found in the directory, 1 account disabled\./,
        );
        assert.match(text, /b@x\.test \(Excluded: not found in the directory, 0 reminders\)/);
      } finally {
        await storage.close();
      }
    });

    test('summary figures, needs-attention lists, per-batch completion, and the emailed report with its CSV', async () => {
      const storage = await backend.open();
      const sink = await new SmtpSink().start();
      const clock = new ManualClock('2026-03-10T09:00:00.000Z');
      const config = loadConfig({ env: {} });
      const settings = Value.Default(mailConfig, { smtpHost: '127.0.0.1', smtpPort: sink.port }) as MailSettings;
      const transport = new SmtpTransport(settings);
      try {
        const onboarding = new OnboardingService({ storage, config, clock, log });
        await onboarding.upload('UPN\na@x.test\nb@x.test\nc@x.test\nd@x.test\n', { actor: 't', batchId: 'wave-1' });
        await onboarding.upload('UPN\ne@x.test\nf@x.test\n', { actor: 't', batchId: 'wave-2' });
        const at = (days: number) => new Date(clock.now().getTime() - days * DAY_MS).toISOString();
        const set = (upn: string, patch: Record<string, unknown>) => storage.db.updateTable('tracked_user').set(patch).where('upn_key', '=', upn).execute();
        await set('a@x.test', {
          invite_status: 'Active',
          invite_sent_date: at(5),
          email_opened_date: at(4),
          clicked_link_date: at(4),
          mfa_registration_date: at(1),
          display_name: '=cmd|calc',
        });
        await set('b@x.test', { invite_status: 'Sent', invite_sent_date: at(4) });
        await set('c@x.test', { invite_status: 'Clicked', invite_sent_date: at(2), clicked_link_date: at(1) });
        await set('d@x.test', { invite_status: 'Overdue', invite_sent_date: at(40), escalated_to_manager: 1, reminder_count: 5 });
        await set('e@x.test', { invite_status: 'Excluded', status_reason: 'guest account' });
        await set('f@x.test', { invite_status: 'Sent', invite_sent_date: at(1) });

        const reportsOn = (instanceId: string, timeZone = 'UTC') =>
          new ReportService({
            db: storage.db,
            dialect: storage.dialect,
            clock,
            log,
            settings: { ...config.reports, recipients: ['boss@x.test'], timeZone },
            branding: { companyName: 'Contoso', supportTeam: 'IT', supportEmail: 'it@x.test', primaryColor: '#0078d4' },
            instanceId,
          });
        const reports = reportsOn('one');
        const s = await reports.summary();
        assert.equal(s.total, 6);
        assert.deepEqual(s.byStatus, { Pending: 0, Sent: 2, Clicked: 1, AddedToGroup: 0, Active: 1, Excluded: 1, Overdue: 1, Error: 0 });
        assert.equal(s.completionRate, 20, '1 active of 5 not excluded');
        assert.deepEqual({ ...s.recent, perDay: undefined }, { days: 7, invites: 4, opens: 1, clicks: 2, activations: 1, perDay: undefined });
        assert.equal(s.recent.perDay.length, 7);
        assert.deepEqual(
          s.recent.perDay.find((d) => d.day === '2026-03-09'),
          { day: '2026-03-09', invites: 1, opens: 0, clicks: 1, activations: 1 },
        );
        assert.deepEqual(
          s.needsAttention.noClick.users.map((u) => u.upn),
          ['b@x.test'],
        );
        assert.deepEqual(
          s.needsAttention.clickedNotActive.users.map((u) => u.upn),
          ['c@x.test'],
        );
        assert.equal(s.needsAttention.escalated.count, 1);
        assert.equal(s.needsAttention.overdue.count, 1);
        assert.deepEqual(
          s.batches.map((b) => [b.batchId, b.total, b.active, b.completionRate]),
          [
            ['wave-1', 4, 1, 25],
            ['wave-2', 2, 0, 0],
          ],
        );
        const wave2 = await reports.summary({ batchId: 'wave-2' });
        assert.equal(wave2.total, 2);

        let csv = '';
        for await (const chunk of reports.csv({}, 2)) csv += chunk;
        const lines = csv.trimEnd().split('\r\n');
        assert.equal(lines.length, 7);
        assert.equal(lines[0], CSV_COLUMNS.map(([n]) => n).join(','));
        assert.match(lines[0]!, /^UPN,InviteStatus,StatusReason,MFARegistrationState,InGroup,InviteSentDate,ClickedLinkDate/);
        assert.ok(
          lines.some((l) => l.includes(",'=cmd|calc,")),
          'formula neutralised',
        );
        // Typed cells survive the trip through the database's JSON rows: InGroup and EscalatedToManager as
        // Yes/No, ReminderCount a number, empty dates empty.
        for (const line of lines.slice(1).filter((l) => !l.includes('"'))) {
          const cells = line.split(',');
          assert.equal(cells.length, CSV_COLUMNS.length, line);
          assert.match(cells[4]!, /^(Yes|No)$/, line);
          assert.match(cells[11]!, /^\d+$/, line);
          assert.match(cells[22]!, /^(Yes|No)$/, line);
        }
        assert.doesNotMatch(csv, /TrackingToken/);

        await reports.send(transport);
        const [mail] = sink.to('boss@x.test');
        assert.equal(mail!.subject, 'MFA Rollout Report - 2026-03-10 - 20% Complete');
        assert.match(mail!.parsed.text ?? '', /Overdue: 1/);
        const attachment = mail!.parsed.attachments[0]!;
        assert.equal(attachment.filename, 'mfa-report-2026-03-10.csv');
        assert.equal(attachment.content.toString('utf8').replace(/^\ufeff/, ''), csv);

        // A schedule fires on every instance; one of them sends. The next slot is anyone's again.
        clock.advance(DAY_MS);
        const sentBy = await Promise.all(['one', 'two', 'three'].map((id) => reportsOn(id).sendScheduled(transport)));
        assert.equal(sentBy.filter(Boolean).length, 1);
        clock.advance(DAY_MS);
        assert.equal(await reportsOn('two').sendScheduled(transport), true);
        assert.equal(sink.to('boss@x.test').length, 3);

        // Dated in the reports' time zone: 20:00 UTC on Thursday 12 March is already Friday in Auckland.
        clock.set('2026-03-12T20:00:00.000Z');
        assert.equal(reportsOn('nz', 'Pacific/Auckland').csvFileName(), 'mfa-report-2026-03-13.csv');
        assert.match(reportsOn('nz', 'Pacific/Auckland').renderEmail(s).subject, /^MFA Rollout Report - 2026-03-13 - /);
      } finally {
        await transport.close();
        await sink.close();
        await storage.close();
      }
    });
  });
}
