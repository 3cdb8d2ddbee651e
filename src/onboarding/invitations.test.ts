import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { BACKENDS, type TestStorage } from '../../test/support/storage.js';
import { SmtpSink } from '../../test/support/smtp.js';
import { startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import { loadConfig } from '../onramp-config.js';
import { DAY_MS, HOUR_MS, ManualClock } from '../lib/clock.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { mailConfig } from '../mail/mail.config.js';
import { OutboxSender } from '../mail/outbox.js';
import { SmtpTransport, type MailSettings } from '../mail/transports.js';
import { linkTokenOf } from './onboarding.domain.js';
import type { Language } from './languages.js';
import { insertTemplateVersion } from './email-templates.queries.js';
import { InvitationService, type InvitationSettings } from './invitations.service.js';
import { OnboardingService } from './onboarding.service.js';
import { defaultCampaign, pauseBatch, resumeBatch } from './onboarding.queries.js';

const log = createLogger('silent');
const D = 'contoso.test';

/** The workflow as the server builds it, against the test tenant; settings and logger as the test needs. */
function workflowFor(deps: {
  storage: TestStorage;
  tenant: TestTenant;
  clock: ManualClock;
  settings: InvitationSettings;
  logger?: Logger;
  defaultLanguage?: Language;
}): InvitationService {
  return new InvitationService({
    storage: deps.storage,
    graph: deps.tenant.graph,
    clock: deps.clock,
    log: deps.logger ?? log,
    instanceId: 'test',
    settings: deps.settings,
    defaultGroupId: deps.tenant.sim.mfaGroupId,
    branding: { companyName: 'Contoso', supportTeam: 'IT', supportEmail: `it@${D}`, primaryColor: '#0078d4' },
    publicUrl: 'https://mfa.contoso.test',
    mailFrom: `mfa@${D}`,
    defaultLanguage: deps.defaultLanguage ?? 'en',
  });
}

for (const backend of BACKENDS) {
  describe(`invitation workflow (${backend.name})`, { skip: backend.skip }, () => {
    test("each user's emails in their directory preferredLanguage, the manager's in the manager's; unknown or none: the default", async () => {
      const storage = await backend.open();
      const tenant = await startTestTenant({
        tenant: {
          domain: D,
          users: [
            { userPrincipalName: `chef@${D}`, displayName: 'Chef', mail: `chef@${D}`, preferredLanguage: 'nl-NL' },
            { userPrincipalName: `de@${D}`, displayName: 'Jonas', mail: `de@${D}`, preferredLanguage: 'de-AT', managerId: `chef@${D}` },
            { userPrincipalName: `fr@${D}`, displayName: 'Camille', mail: `fr@${D}`, preferredLanguage: 'fr-FR' },
            { userPrincipalName: `nl@${D}`, displayName: 'Daan', mail: `nl@${D}`, preferredLanguage: 'nl' },
            { userPrincipalName: `xx@${D}`, displayName: 'Xin', mail: `xx@${D}`, preferredLanguage: 'xx-YY' },
            { userPrincipalName: `none@${D}`, displayName: 'Nobody', mail: `none@${D}`, preferredLanguage: null },
            { userPrincipalName: `en@${D}`, displayName: 'Ann', mail: `en@${D}`, preferredLanguage: 'en-GB' },
          ],
        },
      });
      const sink = await new SmtpSink().start();
      const clock = new ManualClock('2026-01-05T09:00:00.000Z');
      const config = loadConfig({ env: {} });
      const settings = Value.Default(mailConfig, { smtpHost: '127.0.0.1', smtpPort: sink.port, from: `mfa@${D}` }) as MailSettings;
      const transport = new SmtpTransport(settings);
      try {
        const onboarding = new OnboardingService({ storage, config, clock, log, graph: tenant.graph });
        const workflow = workflowFor({ storage, tenant, clock, settings: { ...config.invitations, escalateAfterReminders: 1 }, defaultLanguage: 'es' });
        const sender = new OutboxSender({ db: storage.db, clock, log, settings, transport, onGiveUp: workflow.onEmailGivenUp });
        await onboarding.upload(`UPN\n${['de', 'fr', 'nl', 'xx', 'none', 'en'].map((n) => `${n}@${D}`).join('\n')}\n`, { actor: 'test' });
        await workflow.runOnce();
        await sender.deliverDue();
        const invitation = (name: string) => {
          const [mail] = sink.to(`${name}@${D}`);
          assert.ok(mail, `${name} got an invitation`);
          return { subject: mail.subject, html: String(mail.parsed.html), text: mail.parsed.text ?? '' };
        };
        assert.match(invitation('de').subject, /^Handlungsbedarf: Richten Sie die Multi-Faktor-Authentifizierung/);
        assert.match(invitation('de').html, /<html lang="de">[\s\S]*Guten Tag Jonas,/);
        assert.match(invitation('fr').html, /<html lang="fr">[\s\S]*Bonjour Camille,/);
        assert.match(invitation('nl').html, /<html lang="nl">[\s\S]*Beste Daan,/);
        assert.match(invitation('xx').html, /<html lang="es">[\s\S]*Estimado\/a Xin:/, 'a language without a catalogue: the default');
        assert.match(invitation('none').html, /<html lang="es">/, 'no preferredLanguage: the default');
        assert.equal(invitation('en').subject, config.invitations.subjectInvitation);
        const stored = Object.fromEntries(
          (await storage.db.selectFrom('tracked_user').select(['upn', 'preferred_language']).execute()).map((u) => [u.upn.split('@')[0], u.preferred_language]),
        );
        assert.deepEqual(stored, { de: 'de-AT', fr: 'fr-FR', nl: 'nl', xx: 'xx-YY', none: null, en: 'en-GB' }, 'kept for the pages');

        clock.advance(7 * DAY_MS);
        await workflow.runOnce();
        await sender.deliverDue();
        const [reminder] = sink.to(`de@${D}`).slice(1);
        assert.match(reminder!.subject, /^Erinnerung Nr\. 1:/);
        const [escalation] = sink.to(`chef@${D}`);
        assert.match(escalation!.subject, /^Actie van u gevraagd: Jonas heeft MFA nog niet ingesteld/, "the manager's language, not the employee's");
        assert.match(String(escalation!.parsed.html), /<html lang="nl">[\s\S]*Beste Chef,/);
      } finally {
        await transport.close();
        await sink.close();
        await tenant.stop();
        await storage.close();
      }
    });

    test('a stored template version is what the next run sends (links intact whatever it says); after a roll back, the older text again', async () => {
      const storage = await backend.open();
      const tenant = await startTestTenant({
        tenant: {
          domain: D,
          users: [
            { userPrincipalName: `one@${D}`, displayName: 'One', mail: `one@${D}` },
            { userPrincipalName: `two@${D}`, displayName: 'Two', mail: `two@${D}` },
          ],
        },
      });
      const sink = await new SmtpSink().start();
      const clock = new ManualClock('2026-01-05T09:00:00.000Z');
      const config = loadConfig({ env: {} });
      const settings = Value.Default(mailConfig, { smtpHost: '127.0.0.1', smtpPort: sink.port, from: `mfa@${D}` }) as MailSettings;
      const transport = new SmtpTransport(settings);
      try {
        const onboarding = new OnboardingService({ storage, config, clock, log, graph: tenant.graph });
        const workflow = workflowFor({ storage, tenant, clock, settings: config.invitations });
        const sender = new OutboxSender({ db: storage.db, clock, log, settings, transport, onGiveUp: workflow.onEmailGivenUp });
        const save = (subject: string, body: string) =>
          insertTemplateVersion(storage.db, {
            kind: 'invitation',
            language: 'en',
            subject,
            body,
            comment: '',
            created_by: 'test',
            created_at: clock.now().toISOString(),
          });
        const first = await save('Hello {name}', 'Hi {name}, <a href="javascript:alert(1)">click</a>\n\n{button}');
        await onboarding.upload(`UPN\none@${D}\n`, { actor: 'test' });
        await workflow.runOnce();
        await sender.deliverDue();
        const [one] = sink.to(`one@${D}`);
        assert.equal(one!.subject, 'Hello One');
        const html = String(one!.parsed.html);
        assert.match(html, /<p>Hi One, &lt;a href=&quot;javascript:alert\(1\)&quot;&gt;click&lt;\/a&gt;<\/p>/);
        const oneRow = await storage.db.selectFrom('tracked_user').selectAll().where('upn_key', '=', `one@${D}`).executeTakeFirstOrThrow();
        assert.ok(html.includes(`href="https://mfa.contoso.test/api/enrol?token=${linkTokenOf(oneRow)}"`));
        assert.ok(html.includes(`/api/track-open?token=${linkTokenOf(oneRow)}`));

        await save('Replaced {name}', 'Other text');
        await save(first.subject, first.body); // what the roll back route stores
        await onboarding.upload(`UPN\ntwo@${D}\n`, { actor: 'test' });
        await workflow.runOnce();
        await sender.deliverDue();
        assert.equal(sink.to(`two@${D}`)[0]!.subject, 'Hello Two');
      } finally {
        await transport.close();
        await sink.close();
        await tenant.stop();
        await storage.close();
      }
    });

    test('invites, reminds every 7 days, escalates once, goes Overdue; excludes disabled, guest and unknown users; activates registered ones', async () => {
      const storage = await backend.open();
      const tenant = await startTestTenant({
        tenant: {
          domain: D,
          users: [
            { userPrincipalName: `mia@${D}`, displayName: 'Mia Manager', mail: `mia@${D}` },
            { userPrincipalName: `ann@${D}`, displayName: 'Ann <Sales>', mail: `ann@${D}`, managerId: `mia@${D}`, department: 'Sales' },
            { userPrincipalName: `noman@${D}`, displayName: 'No Manager', mail: `noman@${D}` },
            { userPrincipalName: `late@${D}`, displayName: 'Late Manager', mail: `late@${D}` },
            { userPrincipalName: `bob@${D}`, displayName: 'Bob', accountEnabled: false },
            { userPrincipalName: `gus@${D}`, displayName: 'Gus', userType: 'Guest' },
            { userPrincipalName: `carl@${D}`, displayName: 'Carl', mail: `carl@${D}`, methods: ['microsoftAuthenticator'] },
            { userPrincipalName: `reject@${D}`, displayName: 'Rejected', mail: `reject@${D}` },
          ],
        },
        // Throttling and 503s during the runs: everyone must still be processed.
        faults: { failureRate503: 0.2, throttlePerSecond: 2 },
      });
      const sink = await new SmtpSink({ rcptRule: (a) => (a.startsWith('reject@') ? { code: 550, message: 'mailbox unavailable' } : undefined) }).start();
      const clock = new ManualClock('2026-01-05T09:00:00.000Z');
      const config = loadConfig({ env: {} });
      const settings = Value.Default(mailConfig, { smtpHost: '127.0.0.1', smtpPort: sink.port, from: `mfa@${D}` }) as MailSettings;
      const transport = new SmtpTransport(settings);
      try {
        const onboarding = new OnboardingService({ storage, config, clock, log, graph: tenant.graph });
        const workflow = workflowFor({ storage, tenant, clock, settings: config.invitations });
        const sender = new OutboxSender({ db: storage.db, clock, log, settings, transport, onGiveUp: workflow.onEmailGivenUp });
        const upns = ['ann', 'noman', 'late', 'bob', 'gus', 'carl', 'reject', 'ghost'].map((n) => `${n}@${D}`);
        await onboarding.upload(`UPN\n${upns.join('\n')}\n`, { actor: 'test' });
        const status = async () =>
          Object.fromEntries(
            (
              await storage.db.selectFrom('tracked_user').select(['upn', 'invite_status', 'status_reason', 'reminder_count', 'escalated_to_manager']).execute()
            ).map((u) => [
              u.upn.split('@')[0],
              `${u.invite_status}${u.status_reason ? ` (${u.status_reason})` : ''} r${u.reminder_count}${u.escalated_to_manager ? ' esc' : ''}`,
            ]),
          );

        const first = await workflow.runOnce();
        assert.equal(first?.processed, 8);
        // Where the run's time went: one chunk here, so its phases run one after another within the wall time.
        const phases = workflow.lastRun!.phasesMs;
        assert.deepEqual(Object.keys(phases).sort(), [
          'directory',
          'dueReads',
          'enqueue',
          'groupAdds',
          'groupMembers',
          'planning',
          'registrations',
          'wall',
          'writes',
        ]);
        assert.ok(phases.directory > 0, 'the throttled lookups took time');
        assert.ok(phases.wall >= phases.directory + phases.registrations, `phases within the wall time: ${JSON.stringify(phases)}`);
        assert.ok(tenant.sim.control.stats().throttled > 0, 'the first run met 429s with Retry-After');
        // Throttled runs wait out Retry-After: the later runs go unthrottled to keep the test short.
        tenant.sim.control.setFaults({ throttlePerSecond: 0 });
        await sender.deliverDue();
        assert.deepEqual(await status(), {
          ann: 'Sent r0',
          noman: 'Sent r0',
          late: 'Sent r0',
          bob: 'Excluded (account disabled) r0',
          gus: 'Excluded (guest account) r0',
          carl: 'Active r0',
          reject: 'Error (email refused: SMTP 550: 550 mailbox unavailable) r0',
          ghost: 'Excluded (not found in the directory) r0',
        });
        assert.ok(
          tenant.sim.control.tenant.groups.get(tenant.sim.mfaGroupId)!.members.has(tenant.sim.control.tenant.findByUpn(`carl@${D}`)!.id),
          'carl added to the group',
        );
        // The seed deleted the MFA methods of registered users not yet in the group; we only read them.
        assert.deepEqual(tenant.sim.control.tenant.findByUpn(`carl@${D}`)!.methods, ['microsoftAuthenticator'], "carl's methods untouched");
        const ann = await storage.db.selectFrom('tracked_user').selectAll().where('upn_key', '=', `ann@${D}`).executeTakeFirstOrThrow();
        assert.equal(ann.display_name, 'Ann <Sales>');
        assert.equal(ann.manager_upn, `mia@${D}`);
        assert.equal(ann.department, 'Sales');
        const [invite] = sink.to(`ann@${D}`);
        assert.equal(invite!.subject, 'Action Required: Set Up Multi-Factor Authentication (MFA)');
        assert.match(String(invite!.parsed.html), /Dear Ann &lt;Sales&gt;,/);
        assert.ok(String(invite!.parsed.html).includes(`https://mfa.contoso.test/api/enrol?token=${linkTokenOf(ann)}`));
        assert.match(invite!.parsed.text ?? '', /Dear Ann <Sales>,/);
        assert.equal(sink.received.length, 3, 'only ann, noman and late got mail');

        clock.advance(6 * DAY_MS);
        await workflow.runOnce();
        await sender.deliverDue();
        assert.equal(sink.received.length, 3, 'no reminder before 7 days');

        for (let n = 1; n <= 5; n++) {
          clock.advance(7 * DAY_MS);
          if (n === 3) {
            tenant.sim.control.setMfa(`noman@${D}`, ['phone']);
            // late had no manager at reminder #2; one is set in the directory before #3.
            tenant.sim.control.tenant.findByUpn(`late@${D}`)!.managerId = tenant.sim.control.tenant.findByUpn(`mia@${D}`)!.id;
          }
          await workflow.runOnce();
          await sender.deliverDue();
        }
        clock.advance(7 * DAY_MS);
        await workflow.runOnce();
        await sender.deliverDue();
        clock.advance(7 * DAY_MS);
        await workflow.runOnce();
        await sender.deliverDue();

        const s = await status();
        assert.equal(s.ann, 'Overdue (not registered for MFA after 5 reminders) r5 esc');
        assert.equal(s.noman, 'Active r2');
        assert.deepEqual(
          sink.to(`ann@${D}`).map((m) => m.subject),
          ['Action Required: Set Up Multi-Factor Authentication (MFA)', ...[1, 2, 3, 4, 5].map((n) => `Reminder #${n}: MFA Setup Still Pending`)],
        );
        const managerMail = sink.to(`mia@${D}`);
        assert.deepEqual(
          managerMail.map((m) => m.subject),
          ['Manager Action Required: Ann <Sales> Has Not Completed MFA Setup', 'Manager Action Required: Late Manager Has Not Completed MFA Setup'],
          'each escalated once',
        );
        assert.match(managerMail[0]!.parsed.text ?? '', /Reminders sent since: 2/);
        assert.match(managerMail[1]!.parsed.text ?? '', /Reminders sent since: 3/);
        const late = await storage.db.selectFrom('tracked_user').selectAll().where('upn_key', '=', `late@${D}`).executeTakeFirstOrThrow();
        const lateEvents = await storage.db.selectFrom('user_event').select('type').where('tracked_user_id', '=', late.id).orderBy('id').execute();
        assert.deepEqual(
          lateEvents.map((e) => e.type).filter((t) => t !== 'uploaded'),
          ['invited', 'reminded', 'reminded', 'escalation-skipped', 'reminded', 'escalated', 'reminded', 'reminded', 'overdue'],
        );
        assert.equal(late.escalated_to_manager, 1);
        const noman = await storage.db.selectFrom('tracked_user').selectAll().where('upn_key', '=', `noman@${D}`).executeTakeFirstOrThrow();
        assert.equal(noman.notes, 'no manager in the directory: escalation not sent');
        assert.ok(noman.mfa_registration_date);
        const events = await storage.db.selectFrom('user_event').select('type').where('tracked_user_id', '=', ann.id).orderBy('id').execute();
        assert.deepEqual(
          events.map((e) => e.type).filter((t) => t !== 'uploaded'),
          ['invited', 'reminded', 'reminded', 'escalated', 'reminded', 'reminded', 'reminded', 'overdue'],
        );
        assert.ok(tenant.sim.control.stats().injectedFailures > 0, 'the run met 503s');

        // Overdue (ann) and Error (reject) get no more email, yet registering later still makes them Active.
        const outboxRows = async () => (await storage.db.selectFrom('mail_outbox').select('id').execute()).length;
        const queued = await outboxRows();
        clock.advance(7 * DAY_MS);
        await workflow.runOnce();
        assert.equal(await outboxRows(), queued, 'nothing queued for Overdue or Error users');
        assert.deepEqual([(await status()).ann, (await status()).reject], [s.ann, 'Error (email refused: SMTP 550: 550 mailbox unavailable) r0']);
        tenant.sim.control.setMfa(`ann@${D}`, ['fido2']);
        tenant.sim.control.setMfa(`reject@${D}`, ['phone']);
        clock.advance(2 * DAY_MS);
        await workflow.runOnce();
        const lateStatus = await status();
        assert.deepEqual([lateStatus.ann, lateStatus.reject], ['Active r5 esc', 'Active r0']);
        assert.deepEqual(tenant.sim.control.tenant.findByUpn(`ann@${D}`)!.methods, ['fido2'], "ann's methods untouched");
        assert.equal(await outboxRows(), queued);
        const annAfter = await storage.db.selectFrom('user_event').select('type').where('tracked_user_id', '=', ann.id).orderBy('id').execute();
        assert.deepEqual(
          annAfter.map((e) => e.type).slice(-4),
          ['reminded', 'overdue', 'added-to-group', 'activated'],
          'checked, not emailed, then added and activated',
        );
      } finally {
        await transport.close();
        await sink.close();
        await tenant.stop();
        await storage.close();
      }
    });

    test('a given-up email puts its user in Error only within its own cycle; a refused escalation leaves the reminders going', async () => {
      const storage = await backend.open();
      const tenant = await startTestTenant({
        tenant: {
          domain: D,
          users: [
            { userPrincipalName: `reject@${D}`, displayName: 'Refusing Manager', mail: `reject@${D}` },
            { userPrincipalName: `ann@${D}`, displayName: 'Ann', mail: `ann@${D}`, managerId: `reject@${D}` },
            { userPrincipalName: `bob@${D}`, displayName: 'Bob', mail: `bob@${D}` },
          ],
        },
      });
      const refusals = new Map<string, { code: number; message: string }>([[`reject@${D}`, { code: 550, message: 'mailbox unavailable' }]]);
      const sink = await new SmtpSink({ rcptRule: (a) => refusals.get(a) }).start();
      const clock = new ManualClock('2026-01-05T09:00:00.000Z');
      const config = loadConfig({ env: {} });
      const settings = Value.Default(mailConfig, { smtpHost: '127.0.0.1', smtpPort: sink.port, from: `mfa@${D}` }) as MailSettings;
      const transport = new SmtpTransport(settings);
      try {
        const onboarding = new OnboardingService({ storage, config, clock, log, graph: tenant.graph });
        const workflow = workflowFor({ storage, tenant, clock, settings: config.invitations });
        const sender = new OutboxSender({ db: storage.db, clock, log, settings, transport, onGiveUp: workflow.onEmailGivenUp });
        const user = (name: string) => storage.db.selectFrom('tracked_user').selectAll().where('upn_key', '=', `${name}@${D}`).executeTakeFirstOrThrow();
        await onboarding.upload(`UPN\nann@${D}\nbob@${D}\n`, { actor: 'test' });

        // Bob's invitation meets a full mailbox (451, retried); meanwhile he asks for a new link.
        refusals.set(`bob@${D}`, { code: 451, message: 'mailbox full' });
        await workflow.runOnce();
        await sender.deliverDue();
        await onboarding.requestResend(`bob@${D}`);
        assert.equal((await user('bob')).invite_status, 'Pending');
        // The old invitation is then refused for good: it belongs to the cycle the resend replaced.
        refusals.set(`bob@${D}`, { code: 550, message: 'no such mailbox' });
        clock.advance(HOUR_MS);
        await sender.deliverDue();
        assert.equal(
          await storage.db
            .selectFrom('mail_outbox')
            .select('status')
            .where('recipient', '=', `bob@${D}`)
            .executeTakeFirstOrThrow()
            .then((r) => r.status),
          'failed',
        );
        assert.equal((await user('bob')).invite_status, 'Pending', 'a stale failure does not put the new cycle in Error');
        refusals.delete(`bob@${D}`);
        await workflow.runOnce();
        await sender.deliverDue();
        assert.equal((await user('bob')).invite_status, 'Sent');
        assert.equal(sink.to(`bob@${D}`).length, 1, 'the new cycle invited him');

        // Ann: reminder #2 escalates to a manager whose mailbox refuses it; her reminders go on.
        for (let n = 1; n <= 3; n++) {
          clock.advance(7 * DAY_MS);
          await workflow.runOnce();
          await sender.deliverDue();
          if (n === 2) {
            const ann = await user('ann');
            assert.deepEqual([ann.invite_status, ann.reminder_count, ann.escalated_to_manager], ['Sent', 2, 1]);
            const failed = await storage.db
              .selectFrom('user_event')
              .select(['type', 'detail'])
              .where('tracked_user_id', '=', ann.id)
              .where('type', '=', 'email-failed')
              .execute();
            assert.equal(failed.length, 1);
            assert.deepEqual(JSON.parse(failed[0]!.detail).kind, 'escalation');
          }
        }
        assert.deepEqual([(await user('ann')).invite_status, (await user('ann')).reminder_count], ['Sent', 3]);
        assert.equal(sink.to(`ann@${D}`).length, 4, 'the invitation and three reminders');
      } finally {
        await transport.close();
        await sink.close();
        await tenant.stop();
        await storage.close();
      }
    });

    test('a paused batch is left alone by the run (no invitation) until it is resumed', async () => {
      const storage = await backend.open();
      const tenant = await startTestTenant({
        tenant: { domain: D, users: ['p1', 'p2'].map((n) => ({ userPrincipalName: `${n}@${D}`, displayName: n, mail: `${n}@${D}` })) },
      });
      const clock = new ManualClock('2026-01-05T09:00:00.000Z');
      const config = loadConfig({ env: {} });
      try {
        const onboarding = new OnboardingService({ storage, config, clock, log, graph: tenant.graph });
        await onboarding.upload(`UPN\np1@${D}\n`, { actor: 'test', batchId: 'paused-wave' });
        await onboarding.upload(`UPN\np2@${D}\n`, { actor: 'test', batchId: 'running-wave' });
        const campaign = await defaultCampaign(storage.db);
        assert.equal(await pauseBatch(storage.db, campaign.id, 'paused-wave', 'admin:test', clock.now().toISOString()), true);
        assert.equal(await pauseBatch(storage.db, campaign.id, 'paused-wave', 'admin:test', clock.now().toISOString()), false, 'already paused');
        const statuses = async () =>
          Object.fromEntries(
            (await storage.db.selectFrom('tracked_user').select(['upn', 'invite_status']).execute()).map((u) => [u.upn.split('@')[0], u.invite_status]),
          );
        const workflow = workflowFor({ storage, tenant, clock, settings: config.invitations });
        assert.equal((await workflow.runOnce())?.invited, 1);
        assert.deepEqual(await statuses(), { p1: 'Pending', p2: 'Sent' });
        assert.equal(await resumeBatch(storage.db, campaign.id, 'paused-wave'), true);
        assert.equal((await workflow.runOnce())?.invited, 1);
        assert.deepEqual(await statuses(), { p1: 'Sent', p2: 'Sent' });
      } finally {
        await storage.close();
        await tenant.stop();
      }
    });

    test('a user whose lookup keeps failing is isolated (the rest of their chunk is processed in the same run) and goes to Error after maxLookupFailures runs; resend retries them; failing chunk after chunk stops the run', async () => {
      const storage = await backend.open();
      const names = ['a1', 'a2', 'b1', 'bad', 'c1', 'c2', 'd1'];
      const tenant = await startTestTenant({
        tenant: { domain: D, users: names.map((n) => ({ userPrincipalName: `${n}@${D}`, displayName: n, mail: `${n}@${D}` })) },
        faults: { failingNames: [`bad@${D}`] },
      });
      const clock = new ManualClock('2026-01-05T09:00:00.000Z');
      const config = loadConfig({ env: {} });
      try {
        const onboarding = new OnboardingService({ storage, config, clock, log, graph: tenant.graph });
        const workflow = (chunkSize: number, logger = log) =>
          // Chunks of two, one at a time: [a1 a2] [b1 bad] [c1 c2] [d1].
          workflowFor({ storage, tenant, clock, settings: { ...config.invitations, chunkSize, graphConcurrency: 1 }, logger });
        await onboarding.upload(`UPN\n${names.map((n) => `${n}@${D}`).join('\n')}\n`, { actor: 'test' });
        const statuses = async () =>
          Object.fromEntries(
            (await storage.db.selectFrom('tracked_user').select(['upn', 'invite_status']).execute()).map((u) => [u.upn.split('@')[0], u.invite_status]),
          );

        const first = await workflow(2).runOnce();
        assert.deepEqual(
          [first?.processed, first?.invited, first?.failed, first?.errored],
          [6, 6, 1, 0],
          'b1, in the failing chunk, is processed in the same run',
        );
        assert.deepEqual(await statuses(), { a1: 'Sent', a2: 'Sent', b1: 'Sent', bad: 'Pending', c1: 'Sent', c2: 'Sent', d1: 'Sent' });
        // The second failing run in a row is noted; the third puts the user in Error with the reason.
        assert.deepEqual([(await workflow(2).runOnce())?.failed, (await statuses()).bad], [1, 'Pending']);
        const errorRun = await workflow(2).runOnce();
        assert.deepEqual([errorRun?.failed, errorRun?.errored], [0, 1]);
        const bad = await storage.db.selectFrom('tracked_user').selectAll().where('upn_key', '=', `bad@${D}`).executeTakeFirstOrThrow();
        assert.equal(bad.invite_status, 'Error');
        assert.match(bad.status_reason ?? '', /directory lookup failed in 3 runs in a row: .*500/);
        const timeline = await onboarding.getUser(bad.id);
        assert.deepEqual(
          timeline.events.filter((e) => e.type === 'lookup-failed').map((e) => (e.detail as { attempt: number }).attempt),
          [1, 2, 3],
        );

        // "Resend" in the portal starts them over; with the fault gone they are invited.
        tenant.sim.control.setFaults({ failingNames: [] });
        await onboarding.resendNow(bad.id, 'admin');
        const second = await workflow(2).runOnce();
        assert.deepEqual([second?.invited, second?.failed], [1, 0]);
        assert.equal((await statuses()).bad, 'Sent');

        // The group's member list failing once fails the chunk that asked for it, not the chunks after it:
        // the failed listing is not kept for the rest of the run. The fault is lifted when the run logs
        // the first chunk's failure.
        clock.advance(8 * DAY_MS);
        tenant.sim.control.setFaults({ failingNames: [tenant.sim.mfaGroupId] });
        const liftOnFirstWarning = createLogger('warn', { write: () => void tenant.sim.control.setFaults({ failingNames: [] }) });
        const third = await workflow(2, liftOnFirstWarning).runOnce();
        assert.deepEqual([third?.reminded, third?.failed], [5, 2]);

        // Every chunk failing: the run stops after three in a row instead of trying each chunk in turn.
        clock.advance(8 * DAY_MS);
        tenant.sim.control.setFaults({ failingNames: [D] });
        const before = tenant.sim.control.stats().injectedFailures;
        await assert.rejects(workflow(1).runOnce(), /500|InternalServerError|internal server error/i);
        assert.equal(
          tenant.sim.control.stats().injectedFailures - before,
          4,
          'three lookups and one look at a user the directory answered for before, then the run stopped',
        );
      } finally {
        await tenant.stop();
        await storage.close();
      }
    });
  });
}
