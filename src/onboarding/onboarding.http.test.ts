import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildPublicApp } from '../app.js';
import { AuthService } from '../auth/auth.service.js';
import { loadConfig } from '../onramp-config.js';
import type { OnrampContext } from '../context.js';
import { createLogger } from '../lib/logger.js';
import { ManualClock } from '../lib/clock.js';
import { BACKENDS, type TestStorage } from '../../test/support/storage.js';
import { linkTokenOf, USER_STATUS } from './onboarding.domain.js';
import { TRANSPARENT_GIF } from './onboarding.plugin.js';
import * as q from './onboarding.queries.js';

async function harness(storage: TestStorage, env: Record<string, string> = {}) {
  const clock = new ManualClock('2026-03-02T08:00:00.000Z');
  const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json', ...env } });
  const ctx: OnrampContext = { config, storage, log: createLogger('silent'), clock, demo: false, instanceId: 'test' };
  const app = await buildPublicApp(ctx);
  const auth = new AuthService(storage.db, config.auth, clock);
  const admin = { authorization: `Bearer ${(await auth.createApiToken('ci', 'admin', 'test')).token}` };
  const viewer = { authorization: `Bearer ${(await auth.createApiToken('dash', 'viewer', 'test')).token}` };
  return { app, admin, viewer, clock };
}

async function byUpn(storage: TestStorage, upn: string): Promise<q.TrackedUserRow> {
  const campaign = await q.defaultCampaign(storage.db);
  const row = await q.findByUpnKey(storage.db, campaign.id, upn.toLowerCase());
  assert.ok(row, `${upn} is tracked`);
  return row;
}

async function uploadJson(
  app: FastifyInstance,
  headers: Record<string, string>,
  csv: string,
  batchId?: string,
  flags: { resetExisting?: boolean; dryRun?: boolean } = {},
) {
  return app.inject({ method: 'POST', url: '/api/upload-users', headers, payload: { csv, ...(batchId ? { batchId } : {}), ...flags } });
}

function multipartBody(boundary: string, fields: Record<string, string>, file: string): string {
  const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="users.csv"\r\nContent-Type: text/csv\r\n\r\n${file}\r\n`);
  return `${parts.join('')}--${boundary}--\r\n`;
}

const HTML = { accept: 'text/html', 'user-agent': 'Mozilla/5.0' };
const JSON_ACCEPT = { accept: 'application/json', 'user-agent': 'script' };

for (const backend of BACKENDS) {
  describe(`onboarding endpoints [${backend.name}]`, { skip: backend.skip }, () => {
    test('upload: admin only; JSON, text/csv and multipart; duplicates and bad rows reported; unreadable file stores nothing; 413 over the limit', async () => {
      const storage = await backend.open();
      const { app, admin, viewer } = await harness(storage, { ONRAMP_ONBOARDING_UPLOAD_LIMIT_BYTES: '4096' });
      try {
        const anonymous = await uploadJson(app, {}, 'UPN\na@example.com\n');
        assert.equal(anonymous.statusCode, 401);
        assert.equal((await uploadJson(app, viewer, 'UPN\na@example.com\n')).statusCode, 403);
        assert.equal(await q.countUsers(storage.db, { campaignId: (await q.defaultCampaign(storage.db)).id }), 0);

        const json = await uploadJson(app, admin, '\uFEFFName;UPN\r\nAda;Ada@Example.com\r\n\r\nAda again;ada@example.com\r\nBad;nope\r\n', 'wave-1');
        assert.equal(json.statusCode, 200, json.body);
        assert.deepEqual(json.json(), {
          batchId: 'wave-1',
          added: ['Ada@Example.com'],
          unchanged: [],
          reset: [],
          skipped: [{ upn: 'ada@example.com', row: 4, reason: 'duplicate of row 2' }],
          errors: [{ upn: 'nope', row: 5, error: 'not a valid address (expected name@domain)' }],
          total: 3,
          triggered: false,
          dryRun: false,
        });

        const text = await app.inject({
          method: 'POST',
          url: '/api/upload-users?batchId=wave-2',
          headers: { ...admin, 'content-type': 'text/csv' },
          payload: 'upn\nbob@example.com\nADA@example.com\n',
        });
        assert.equal(text.statusCode, 200, text.body);
        assert.deepEqual([text.json().batchId, text.json().added, text.json().unchanged], ['wave-2', ['bob@example.com'], ['ADA@example.com']]);

        const boundary = 'xyzBOUNDARY';
        const multi = await app.inject({
          method: 'POST',
          url: '/api/upload-users',
          headers: { ...admin, 'content-type': `multipart/form-data; boundary=${boundary}` },
          payload: multipartBody(boundary, { batchId: 'wave-3' }, 'Email\ncarol@example.com\n'),
        });
        assert.equal(multi.statusCode, 200, multi.body);
        assert.deepEqual([multi.json().batchId, multi.json().added], ['wave-3', ['carol@example.com']]);
        assert.match(String(multi.json().batchId), /wave-3/);

        const broken = await uploadJson(app, admin, 'UPN,Name\ndave@example.com,Dave\nerin@example.com,"Erin\n');
        assert.equal(broken.statusCode, 400);
        assert.equal(broken.json().code, 'ONRAMP_ERR_CSV_UNREADABLE');
        assert.match(broken.json().message, /line 3: unterminated quoted field/);
        const noColumn = await uploadJson(app, admin, 'Name\nDave\n');
        assert.equal(noColumn.json().code, 'ONRAMP_ERR_CSV_UNREADABLE');
        assert.match(noColumn.json().message, /line 1: no UPN column/);

        const big = 'UPN\n' + 'someone.with.a.long.name@example.com\n'.repeat(200);
        const tooLarge = await uploadJson(app, admin, big);
        assert.equal(tooLarge.statusCode, 413);
        assert.equal(tooLarge.json().code, 'ONRAMP_ERR_BODY_TOO_LARGE');
        assert.match(tooLarge.json().message, /4096 bytes/);
        const tooLargeFile = await app.inject({
          method: 'POST',
          url: '/api/upload-users',
          headers: { ...admin, 'content-type': `multipart/form-data; boundary=${boundary}` },
          payload: multipartBody(boundary, {}, big),
        });
        assert.equal(tooLargeFile.statusCode, 413);

        const campaign = await q.defaultCampaign(storage.db);
        const all = await q.listUsers(storage.db, { campaignId: campaign.id }, { offset: 0, limit: 100, sort: 'upn_key', descending: false });
        assert.deepEqual(
          all.map((u) => [u.upn, u.source_batch_id]),
          [
            ['Ada@Example.com', 'wave-1'],
            ['bob@example.com', 'wave-2'],
            ['carol@example.com', 'wave-3'],
          ],
        );
      } finally {
        await app.close();
        await storage.close();
      }
    });

    test('upload: Excel "Unicode text" (UTF-16 LE and BE with BOM, tab-separated) as text/csv and as a multipart file; UTF-16 that does not decode is a 400 naming the encoding, storing nothing', async () => {
      const storage = await backend.open();
      const { app, admin } = await harness(storage);
      try {
        const unicodeText = (order: 'LE' | 'BE', rows: string[]) => {
          const le = Buffer.from(`\uFEFFName\tUserPrincipalName\r\n${rows.join('\r\n')}\r\n`, 'utf16le');
          return order === 'LE' ? le : le.swap16();
        };
        const asText = await app.inject({
          method: 'POST',
          url: '/api/upload-users?batchId=unicode-le',
          headers: { ...admin, 'content-type': 'text/csv' },
          payload: unicodeText('LE', ['Zoë Ångström\tzoe@example.com', 'Bob\tbob@example.com']),
        });
        assert.equal(asText.statusCode, 200, asText.body);
        assert.deepEqual(asText.json().added, ['zoe@example.com', 'bob@example.com']);

        const boundary = 'utf16BOUNDARY';
        const file = unicodeText('BE', ['Carol\tcarol@example.com']);
        const payload = Buffer.concat([
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="users.txt"\r\nContent-Type: text/plain\r\n\r\n`),
          file,
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]);
        const asFile = await app.inject({
          method: 'POST',
          url: '/api/upload-users?batchId=unicode-be',
          headers: { ...admin, 'content-type': `multipart/form-data; boundary=${boundary}` },
          payload,
        });
        assert.equal(asFile.statusCode, 200, asFile.body);
        assert.deepEqual(asFile.json().added, ['carol@example.com']);

        const cut = unicodeText('LE', ['Dave\tdave@example.com']);
        const broken = await app.inject({
          method: 'POST',
          url: '/api/upload-users',
          headers: { ...admin, 'content-type': 'text/csv' },
          payload: cut.subarray(0, cut.length - 1),
        });
        assert.equal(broken.statusCode, 400);
        assert.equal(broken.json().code, 'ONRAMP_ERR_CSV_UNREADABLE');
        assert.match(broken.json().message, /line 1: the file starts with its byte-order mark but is not valid UTF-16 LE text/);
        assert.doesNotMatch(broken.body, /no UPN column/);

        const campaign = await q.defaultCampaign(storage.db);
        const all = await q.listUsers(storage.db, { campaignId: campaign.id }, { offset: 0, limit: 100, sort: 'upn_key', descending: false });
        assert.deepEqual(
          all.map((u) => u.upn),
          ['bob@example.com', 'carol@example.com', 'zoe@example.com'],
        );
      } finally {
        await app.close();
        await storage.close();
      }
    });

    test('profile columns of the file are stored (the Department filter slices them); a reset keeps what the file leaves out', async () => {
      const storage = await backend.open();
      const { app, admin } = await harness(storage);
      try {
        const csv = 'UPN;DisplayName;Department;ManagerUPN\nann@example.com;Ann Ames;Sales;boss@example.com\nbob@example.com;Bob Berg;IT;\n';
        assert.equal((await uploadJson(app, admin, csv, 'w1')).statusCode, 200);
        const ann = await byUpn(storage, 'ann@example.com');
        assert.deepEqual([ann.display_name, ann.department, ann.job_title, ann.manager_upn], ['Ann Ames', 'Sales', null, 'boss@example.com']);
        const sales = (await app.inject({ url: '/api/admin/users?department=Sales', headers: admin })).json();
        assert.deepEqual(
          sales.users.map((u: { upn: string; displayName: string }) => [u.upn, u.displayName]),
          [['ann@example.com', 'Ann Ames']],
        );
        const report = (await app.inject({ url: '/api/admin/reports?department=IT', headers: admin })).json();
        assert.equal(report.total, 1);
        assert.deepEqual(report.filters.departments, ['IT', 'Sales']);
        assert.deepEqual((await app.inject({ url: '/api/admin/users/filters', headers: admin })).json(), { batches: ['w1'], departments: ['IT', 'Sales'] });

        await uploadJson(app, admin, 'UPN,Department\nann@example.com,Marketing\n', 'w2', { resetExisting: true });
        const reset = await byUpn(storage, 'ann@example.com');
        assert.deepEqual([reset.display_name, reset.department, reset.manager_upn], ['Ann Ames', 'Marketing', 'boss@example.com']);
      } finally {
        await app.close();
        await storage.close();
      }
    });

    test('bulk actions on filtered users: only at the confirmed count, all or nothing; resend, exclude and remove', async () => {
      const storage = await backend.open();
      const { app, admin, viewer } = await harness(storage);
      try {
        await uploadJson(app, admin, 'UPN,Department\na@x.test,Sales\nb@x.test,Sales\nc@x.test,IT\nd@x.test,IT\ne@x.test,IT\n', 'w1');
        await storage.db.updateTable('tracked_user').set({ invite_status: USER_STATUS.Sent }).where('upn_key', 'in', ['a@x.test', 'b@x.test']).execute();
        await storage.db.updateTable('tracked_user').set({ invite_status: USER_STATUS.Active }).where('upn_key', '=', 'c@x.test').execute();
        const bulk = (body: Record<string, unknown>, headers = admin) => app.inject({ method: 'POST', url: '/api/admin/users/bulk', headers, payload: body });
        const before = await byUpn(storage, 'a@x.test');

        assert.equal((await bulk({ action: 'resend', status: 'Sent', expectedCount: 2 }, viewer)).statusCode, 403);
        const stale = await bulk({ action: 'resend', status: 'Sent', expectedCount: 3 });
        assert.deepEqual([stale.statusCode, stale.json().code], [409, 'ONRAMP_ERR_BULK_COUNT_CHANGED']);
        assert.deepEqual(await byUpn(storage, 'a@x.test'), before, 'nothing changed');

        const resent = await bulk({ action: 'resend', status: 'Sent', expectedCount: 2 });
        assert.deepEqual(resent.json(), { action: 'resend', selected: 2, changed: 2 });
        const after = await byUpn(storage, 'a@x.test');
        assert.deepEqual([after.invite_status, after.previous_link_secret], [USER_STATUS.Pending, before.link_secret]);
        assert.notEqual(after.link_secret, before.link_secret);
        assert.match((await app.inject({ url: `/api/enrol?token=${linkTokenOf(before)}`, headers: HTML })).body, /This link has been replaced/);
        const secrets = new Set([(await byUpn(storage, 'a@x.test')).link_secret, (await byUpn(storage, 'b@x.test')).link_secret]);
        assert.equal(secrets.size, 2, 'each their own new link');

        // Active users are not started again: IT has c (Active), d and e.
        assert.deepEqual((await bulk({ action: 'resend', department: 'IT', expectedCount: 3 })).json(), { action: 'resend', selected: 3, changed: 2 });
        assert.deepEqual((await bulk({ action: 'exclude', department: 'IT', search: 'd@', expectedCount: 1 })).json(), {
          action: 'exclude',
          selected: 1,
          changed: 1,
        });
        const d = await byUpn(storage, 'd@x.test');
        assert.deepEqual([d.invite_status, d.status_reason], [USER_STATUS.Excluded, 'left out by an admin']);
        assert.deepEqual(
          (await app.onboarding.getUser(d.id)).events.map((e) => e.type),
          ['uploaded', 'resend-requested', 'marked-excluded'],
        );

        assert.deepEqual((await bulk({ action: 'remove', department: 'Sales', expectedCount: 2 })).json(), { action: 'remove', selected: 2, changed: 2 });
        assert.equal(await q.findByUpnKey(storage.db, before.campaign_id, 'a@x.test'), undefined);
        assert.equal((await storage.db.selectFrom('user_event').select('id').where('tracked_user_id', '=', before.id).execute()).length, 0);
        const audit = (await app.inject({ url: '/api/admin/audit', headers: admin })).json().entries.map((e: { action: string }) => e.action);
        for (const action of ['users.bulk-resend', 'users.bulk-exclude', 'users.bulk-remove']) assert.ok(audit.includes(action), action);
      } finally {
        await app.close();
        await storage.close();
      }
    });

    test('re-add: an invited user keeps their link unless a reset is asked for; the preview says which; the replaced link offers a fresh one, to the address on file', async () => {
      const storage = await backend.open();
      const { app, admin } = await harness(storage);
      try {
        const seen: unknown[] = [];
        app.onboarding.onUsersPending((e) => {
          seen.push(e);
          return true;
        });
        const first = await uploadJson(app, admin, 'UPN\nada@example.com\n', 'b1');
        assert.equal(first.json().triggered, true);
        const before = await byUpn(storage, 'ada@example.com');
        assert.match(before.link_secret, /^[A-Za-z0-9_-]{43}$/);
        // As if the workflow had emailed and reminded twice and escalated.
        await q.updateUser(
          storage.db,
          before.id,
          before.version,
          {
            invite_status: USER_STATUS.Overdue,
            reminder_count: 5,
            last_reminder_date: '2026-03-01T00:00:00.000Z',
            escalated_to_manager: 1,
            escalation_date: '2026-03-01T00:00:00.000Z',
            invite_sent_date: '2026-02-01T00:00:00.000Z',
          },
          '2026-03-01T00:00:00.000Z',
        );
        const invited = await byUpn(storage, 'ada@example.com');

        // Listed again (by hand or in another file): nothing changes, the link in their email keeps working.
        const kept = await uploadJson(app, admin, 'UPN\nADA@example.com\nbob@example.com\n', 'b2');
        assert.deepEqual([kept.json().added, kept.json().unchanged, kept.json().reset], [['bob@example.com'], ['ADA@example.com'], []]);
        assert.deepEqual(await byUpn(storage, 'ada@example.com'), invited);
        const stillWorks = await app.inject({ url: `/api/enrol?token=${linkTokenOf(before)}`, headers: HTML });
        assert.equal(stillWorks.statusCode, 200);
        assert.match(stillWorks.body, /Set up MFA now/);

        // The preview of a reset: per user what would happen, nothing stored.
        const preview = await uploadJson(app, admin, 'UPN\nada@example.com\ncy@example.com\n', 'b3', { resetExisting: true, dryRun: true });
        assert.deepEqual(
          [preview.json().added, preview.json().unchanged, preview.json().reset, preview.json().dryRun],
          [['cy@example.com'], [], ['ada@example.com'], true],
        );
        assert.deepEqual(await byUpn(storage, 'ada@example.com'), invited);
        assert.equal(await q.findByUpnKey(storage.db, before.campaign_id, 'cy@example.com'), undefined);

        const again = await uploadJson(app, admin, 'UPN\nADA@example.com\n', 'b3', { resetExisting: true });
        assert.deepEqual([again.json().added, again.json().unchanged, again.json().reset], [[], [], ['ADA@example.com']]);
        const after = await byUpn(storage, 'ada@example.com');
        assert.equal(after.upn, 'ada@example.com', 'first spelling kept');
        assert.notEqual(after.link_secret, before.link_secret);
        assert.equal(after.previous_link_secret, before.link_secret);
        assert.deepEqual(
          [
            after.invite_status,
            after.reminder_count,
            after.last_reminder_date,
            after.escalated_to_manager,
            after.escalation_date,
            after.invite_sent_date,
            after.source_batch_id,
          ],
          [USER_STATUS.Pending, 0, null, 0, null, null, 'b3'],
        );

        // The old email's link: not a dead end, and no address on the page.
        const old = await app.inject({ url: `/api/enrol?token=${linkTokenOf(before)}`, headers: HTML });
        assert.equal(old.statusCode, 200);
        assert.match(old.body, /This link has been replaced/);
        assert.doesNotMatch(old.body, /ada@example\.com/);
        const csrf = /name="csrf" value="([^"]+)"/.exec(old.body)![1]!;
        // A stranger's token of the same shape gets the ordinary page.
        const stranger = await app.inject({ url: `/api/enrol?token=${before.id}.${'A'.repeat(43)}`, headers: HTML });
        assert.equal(stranger.statusCode, 404);
        assert.match(stranger.body, /Link not recognised/);

        const forged = await app.inject({
          method: 'POST',
          url: '/api/fresh-link',
          headers: HTML,
          payload: { token: linkTokenOf(before), csrf: 'x'.repeat(43) },
        });
        const asked = await app.inject({ method: 'POST', url: '/api/fresh-link', headers: HTML, payload: { token: linkTokenOf(before), csrf } });
        assert.equal(forged.body, asked.body, 'the same answer whether it did anything');
        assert.match(asked.body, /Request received/);
        await app.onboarding.idle();
        const fresh = await byUpn(storage, 'ada@example.com');
        assert.notEqual(fresh.link_secret, after.link_secret);
        assert.equal(fresh.previous_link_secret, after.link_secret);

        const history = await app.onboarding.getUser(after.id);
        assert.deepEqual(
          history.events.map((e) => [e.type, e.actor]),
          [
            ['uploaded', 'token:ci'],
            ['reuploaded', 'token:ci'],
            ['resend-requested', 'user'],
          ],
        );
        assert.deepEqual(seen, [
          { source: 'upload', campaignId: after.campaign_id, count: 1, batchId: 'b1' },
          { source: 'upload', campaignId: after.campaign_id, count: 1, batchId: 'b2' },
          { source: 'upload', campaignId: after.campaign_id, count: 1, batchId: 'b3' },
          { source: 'resend', campaignId: after.campaign_id, count: 1 },
        ]);
      } finally {
        await app.close();
        await storage.close();
      }
    });

    test('enrol: the GET only shows a page (scanner-safe); the POST needs the form value; repeat says already registered; JSON for scripts; unknown tokens 404', async () => {
      const storage = await backend.open();
      const { app, admin } = await harness(storage);
      try {
        await uploadJson(app, admin, 'UPN\nada@example.com\n<b>@example.com\n');
        const ada = await byUpn(storage, 'ada@example.com');
        // The workflow already put Ada in the group, so no Graph call is needed for this journey.
        await q.updateUser(storage.db, ada.id, ada.version, { in_group: 1, invite_status: USER_STATUS.Sent }, '2026-03-02T07:00:00.000Z');

        const page = await app.inject({ url: `/api/enrol?token=${linkTokenOf(ada)}`, headers: HTML });
        assert.equal(page.statusCode, 200);
        assert.match(page.headers['content-security-policy'] as string, /default-src 'none'; style-src 'sha256-[^']+'/);
        assert.doesNotMatch(page.headers['content-security-policy'] as string, /unsafe-inline/);
        assert.doesNotMatch(page.body, /<script/);
        assert.match(page.body, /<form method="post" action="\/api\/enrol">/);
        const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
        assert.ok(csrf);
        assert.equal((await byUpn(storage, 'ada@example.com')).clicked_link_date, null, 'a GET consumes nothing');
        const alias = await app.inject({ url: `/api/track-mfa-click?token=${linkTokenOf(ada)}`, headers: HTML });
        assert.equal(alias.body, page.body);

        const forged = await app.inject({ method: 'POST', url: '/api/enrol', headers: HTML, payload: { token: linkTokenOf(ada), csrf: 'x'.repeat(43) } });
        assert.match(forged.body, /Set up MFA now/);
        assert.equal((await byUpn(storage, 'ada@example.com')).clicked_link_date, null, 'a forged form enrols nothing');

        const done = await app.inject({
          method: 'POST',
          url: '/api/enrol',
          headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
          payload: `token=${linkTokenOf(ada)}&csrf=${csrf}`,
        });
        assert.equal(done.statusCode, 200);
        assert.match(done.body, /You are enrolled/);
        // No timed redirect by default, and no claim that MFA is on before a method is registered.
        assert.doesNotMatch(done.body, /http-equiv="refresh"/);
        assert.doesNotMatch(done.body, /MFA is enabled/);
        assert.match(done.body, /<a class="button" href="https:\/\/aka\.ms\/mfasetup">Continue to MFA setup<\/a>/);
        const after = await byUpn(storage, 'ada@example.com');
        assert.deepEqual([after.invite_status, after.clicked_link_date, after.in_group], [USER_STATUS.Clicked, '2026-03-02T08:00:00.000Z', 1]);

        const repeat = await app.inject({ method: 'POST', url: '/api/enrol', headers: HTML, payload: { token: linkTokenOf(ada), csrf } });
        assert.match(repeat.body, /Already registered/);
        const json = await app.inject({ url: `/api/enrol?token=${linkTokenOf(ada)}`, headers: JSON_ACCEPT });
        assert.equal(json.json().userEmail, 'ada@example.com');
        const repeatJson = await app.inject({ method: 'POST', url: '/api/enrol', headers: JSON_ACCEPT, payload: { token: linkTokenOf(ada), csrf } });
        assert.deepEqual(repeatJson.json(), {
          success: true,
          message: 'Already registered',
          userEmail: 'ada@example.com',
          addedToGroup: false,
          alreadyInGroup: true,
        });
        assert.deepEqual(
          (await app.onboarding.getUser(ada.id)).events.map((e) => e.type),
          ['uploaded', 'clicked'],
        );

        for (const token of ['nope', "' or 1 eq 1", 'A'.repeat(43)]) {
          const res = await app.inject({ url: `/api/enrol?token=${encodeURIComponent(token)}`, headers: HTML });
          assert.equal(res.statusCode, 404);
          assert.match(res.body, /Link not recognised/);
        }
        const unknownJson = await app.inject({ url: '/api/enrol?token=nope', headers: JSON_ACCEPT });
        assert.deepEqual([unknownJson.statusCode, unknownJson.json().success], [404, false]);
      } finally {
        await app.close();
        await storage.close();
      }
    });

    test('enrol: a failed group add shows a retry page and notes the error; one-click mode enrols on GET', async () => {
      const storage = await backend.open();
      const { app, admin } = await harness(storage, { ONRAMP_ONBOARDING_ONE_CLICK_ENROL: 'true' });
      try {
        await uploadJson(app, admin, 'UPN\nbob@example.com\ncarol@example.com\n');
        const bob = await byUpn(storage, 'bob@example.com');
        // No MFA group configured: the add cannot happen.
        const failed = await app.inject({ url: `/api/enrol?token=${linkTokenOf(bob)}`, headers: HTML });
        assert.equal(failed.statusCode, 503);
        assert.match(failed.body, /Please try again/);
        const noted = await byUpn(storage, 'bob@example.com');
        assert.deepEqual([noted.invite_status, noted.in_group, noted.status_reason], [USER_STATUS.Clicked, 0, 'group add failed: no MFA group configured']);
        assert.deepEqual(
          (await app.onboarding.getUser(bob.id)).events.map((e) => e.type),
          ['uploaded', 'clicked', 'group-add-failed'],
        );

        const carol = await byUpn(storage, 'carol@example.com');
        await q.updateUser(storage.db, carol.id, carol.version, { in_group: 1 }, '2026-03-02T07:00:00.000Z');
        const oneClick = await app.inject({ url: `/api/track-mfa-click?token=${linkTokenOf(carol)}`, headers: JSON_ACCEPT });
        assert.deepEqual(oneClick.json(), {
          success: true,
          message: 'Enrolled: continue to MFA setup',
          userEmail: 'carol@example.com',
          addedToGroup: false,
          alreadyInGroup: true,
        });
        assert.equal((await byUpn(storage, 'carol@example.com')).clicked_link_date, '2026-03-02T08:00:00.000Z');
      } finally {
        await app.close();
        await storage.close();
      }
    });

    test("links: a malformed token is an unknown one, never a validation error; a missing form value shows the confirmation again; an Excluded user's link leads nowhere; the forms' 413 names their limit", async () => {
      const storage = await backend.open();
      const { app, admin } = await harness(storage);
      try {
        await uploadJson(app, admin, 'UPN\nada@example.com\neve@example.com\n');
        const ada = await byUpn(storage, 'ada@example.com');
        for (const query of [`token=${'x'.repeat(300)}`, `token=${linkTokenOf(ada)}&token=${linkTokenOf(ada)}`]) {
          const page = await app.inject({ url: `/api/enrol?${query}`, headers: HTML });
          assert.deepEqual([page.statusCode, /Link not recognised/.test(page.body)], [404, true], query);
          const pixel = await app.inject({ url: `/api/track-open?${query}` });
          assert.deepEqual([pixel.statusCode, pixel.headers['content-type'], pixel.rawPayload.length], [200, 'image/gif', 43], query);
        }

        const noCsrf = await app.inject({
          method: 'POST',
          url: '/api/enrol',
          headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
          payload: `token=${linkTokenOf(ada)}`,
        });
        assert.equal(noCsrf.statusCode, 200);
        assert.match(noCsrf.body, /<form method="post" action="\/api\/enrol">/);
        const staleJson = await app.inject({ method: 'POST', url: '/api/enrol', headers: JSON_ACCEPT, payload: { token: linkTokenOf(ada), csrf: 'stale' } });
        assert.equal(staleJson.statusCode, 200);
        assert.equal(staleJson.json().confirm.method, 'POST');
        assert.ok(staleJson.json().confirm.csrf);
        assert.equal((await byUpn(storage, 'ada@example.com')).clicked_link_date, null, 'neither enrolled anyone');

        // Eve's link was sent; then the directory said she is disabled.
        const eve = await byUpn(storage, 'eve@example.com');
        const csrf = /name="csrf" value="([^"]+)"/.exec((await app.inject({ url: `/api/enrol?token=${linkTokenOf(eve)}`, headers: HTML })).body)?.[1];
        assert.ok(csrf);
        await q.updateUser(
          storage.db,
          eve.id,
          eve.version,
          { invite_status: USER_STATUS.Excluded, status_reason: 'account disabled' },
          '2026-03-02T07:00:00.000Z',
        );
        assert.equal((await app.inject({ url: `/api/enrol?token=${linkTokenOf(eve)}`, headers: HTML })).statusCode, 404);
        const excluded = await app.inject({ method: 'POST', url: '/api/enrol', headers: HTML, payload: { token: linkTokenOf(eve), csrf } });
        assert.deepEqual([excluded.statusCode, /Link not recognised/.test(excluded.body)], [404, true]);
        const after = await byUpn(storage, 'eve@example.com');
        assert.deepEqual([after.invite_status, after.clicked_link_date, after.in_group], [USER_STATUS.Excluded, null, 0]);

        const tooBig = await app.inject({
          method: 'POST',
          url: '/api/resend',
          headers: { ...JSON_ACCEPT, 'content-type': 'application/x-www-form-urlencoded' },
          payload: `email=${'a'.repeat(5000)}`,
        });
        assert.equal(tooBig.statusCode, 413);
        assert.match(tooBig.json().message, /limit of 4096 bytes/);
      } finally {
        await app.close();
        await storage.close();
      }
    });

    test("pages in the link owner's stored language, else the browser's; the resend answer follows only the browser, whoever the address is", async () => {
      const storage = await backend.open();
      const { app, admin } = await harness(storage, { ONRAMP_ONBOARDING_DEFAULT_LANGUAGE: 'nl' });
      try {
        await uploadJson(app, admin, 'UPN\nada@example.com\nbob@example.com\n');
        const ada = await byUpn(storage, 'ada@example.com');
        await q.updateUser(
          storage.db,
          ada.id,
          ada.version,
          { in_group: 1, invite_status: USER_STATUS.Sent, preferred_language: 'de-AT' },
          '2026-03-02T07:00:00.000Z',
        );
        const bob = await byUpn(storage, 'bob@example.com');
        await q.updateUser(storage.db, bob.id, bob.version, { invite_status: USER_STATUS.Sent }, '2026-03-02T07:00:00.000Z');
        const french = { ...HTML, 'accept-language': 'fr-CH, fr;q=0.9, en;q=0.5' };

        const adaPage = await app.inject({ url: `/api/enrol?token=${linkTokenOf(ada)}`, headers: french });
        assert.match(adaPage.body, /^<!doctype html><html lang="de">/, "the stored language wins over the browser's");
        assert.match(adaPage.body, /<h1>Multi-Faktor-Authentifizierung einrichten<\/h1>/);
        assert.match(adaPage.body, /<button type="submit">MFA jetzt einrichten<\/button>/);
        const csrf = /name="csrf" value="([^"]+)"/.exec(adaPage.body)?.[1];
        const enrolled = await app.inject({ method: 'POST', url: '/api/enrol', headers: french, payload: { token: linkTokenOf(ada), csrf } });
        assert.match(enrolled.body, /<html lang="de">[\s\S]*<h1>Sie sind angemeldet<\/h1>/);
        const bobPage = await app.inject({ url: `/api/enrol?token=${linkTokenOf(bob)}`, headers: french });
        assert.match(bobPage.body, /<html lang="fr">[\s\S]*<h1>Configurer l’authentification multifacteur<\/h1>/, "no stored language: the browser's");
        const bobDefault = await app.inject({ url: `/api/enrol?token=${linkTokenOf(bob)}`, headers: { ...HTML, 'accept-language': 'ja' } });
        assert.match(bobDefault.body, /<html lang="nl">/, 'nothing supported: the configured default');

        const form = await app.inject({ url: '/api/resend', headers: { ...HTML, 'accept-language': 'es-MX' } });
        assert.match(form.body, /<html lang="es">[\s\S]*<label for="email">Correo electrónico profesional<\/label>/);
        const known = await app.inject({ method: 'POST', url: '/api/resend', headers: french, payload: { email: 'ada@example.com' } });
        const unknown = await app.inject({ method: 'POST', url: '/api/resend', headers: french, payload: { email: 'nobody@example.com' } });
        assert.match(known.body, /<html lang="fr">[\s\S]*<h1>Demande reçue<\/h1>/, "the browser's language even for Ada, whose stored one is de");
        assert.equal(known.body, unknown.body);
        assert.equal(known.headers.vary, 'accept-language');
        const notRecognised = await app.inject({ url: '/api/enrol?token=nope', headers: french });
        assert.equal(notRecognised.statusCode, 404);
        assert.match(notRecognised.body, /<html lang="fr">[\s\S]*Lien non reconnu/);
        await app.onboarding.idle();
      } finally {
        await app.close();
        await storage.close();
      }
    });

    test('track-open: always the 43-byte GIF with no-store; stamps the first open only', async () => {
      const storage = await backend.open();
      const { app, admin, clock } = await harness(storage);
      try {
        await uploadJson(app, admin, 'UPN\nada@example.com\n');
        const ada = await byUpn(storage, 'ada@example.com');
        const responses = [];
        // A wrong secret for Ada's id and her bare secret (the old token format) come first: they must not stamp.
        for (const token of [`${ada.id}.${'x'.repeat(43)}`, ada.link_secret, linkTokenOf(ada), 'unknown', '', linkTokenOf(ada)]) {
          responses.push(await app.inject({ url: `/api/track-open?token=${token}` }));
          clock.advance(60_000);
        }
        for (const res of responses) {
          assert.equal(res.statusCode, 200);
          assert.equal(res.headers['content-type'], 'image/gif');
          assert.match(res.headers['cache-control'] as string, /no-store/);
          assert.equal(res.rawPayload.length, 43);
          assert.deepEqual(res.rawPayload, TRANSPARENT_GIF);
        }
        assert.equal((await app.inject('/api/track-open')).rawPayload.length, 43);
        // Stamps are buffered and written together (src/onboarding/open-stamps.ts); idle() writes them now.
        await app.onboarding.idle();
        assert.equal((await byUpn(storage, 'ada@example.com')).email_opened_date, '2026-03-02T08:02:00.000Z');
        assert.deepEqual(
          (await app.onboarding.getUser(ada.id)).events.map((e) => e.type),
          ['uploaded', 'email-opened'],
        );
      } finally {
        await app.close();
        await storage.close();
      }
    });

    test('resend: identical answer for known and unknown addresses; new token kills the old link; Active users untouched; rate limited', async () => {
      const storage = await backend.open();
      const { app, admin } = await harness(storage, { ONRAMP_ONBOARDING_RESEND_PER_IP_PER_HOUR: '6' });
      try {
        await uploadJson(app, admin, 'UPN\nada@example.com\nbob@example.com\n');
        const ada = await byUpn(storage, 'ada@example.com');
        await q.updateUser(storage.db, ada.id, ada.version, { invite_status: USER_STATUS.Sent, reminder_count: 3 }, '2026-03-02T07:00:00.000Z');
        const bob = await byUpn(storage, 'bob@example.com');
        await q.updateUser(storage.db, bob.id, bob.version, { invite_status: USER_STATUS.Active }, '2026-03-02T07:00:00.000Z');

        const form = await app.inject({ url: '/api/resend', headers: HTML });
        assert.match(form.body, /<form method="post" action="\/api\/resend">/);
        const known = await app.inject({ method: 'POST', url: '/api/resend', headers: HTML, payload: { email: 'ADA@example.com' } });
        const unknown = await app.inject({
          method: 'POST',
          url: '/api/resend',
          headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'email=nobody%40example.com',
        });
        const active = await app.inject({ method: 'POST', url: '/api/resend', headers: HTML, payload: { email: 'bob@example.com' } });
        assert.equal(known.statusCode, 200);
        assert.equal(known.body, unknown.body);
        assert.equal(known.body, active.body);
        assert.deepEqual(known.rawPayload, unknown.rawPayload);
        await app.onboarding.idle();

        const renewed = await byUpn(storage, 'ada@example.com');
        assert.notEqual(renewed.link_secret, ada.link_secret);
        assert.deepEqual([renewed.invite_status, renewed.reminder_count], [USER_STATUS.Pending, 0]);
        const replaced = await app.inject({ url: `/api/enrol?token=${linkTokenOf(ada)}`, headers: HTML });
        assert.match(replaced.body, /This link has been replaced/, 'the old link no longer enrols');
        assert.doesNotMatch(replaced.body, /Set up MFA now/);
        assert.equal((await app.inject({ url: `/api/enrol?token=${linkTokenOf(renewed)}`, headers: HTML })).statusCode, 200);
        const bobAfter = await byUpn(storage, 'bob@example.com');
        assert.deepEqual([bobAfter.invite_status, bobAfter.link_secret], [USER_STATUS.Active, bob.link_secret]);

        // Per address: 3 an hour (the default). Ada has used 1.
        for (let i = 0; i < 2; i++)
          assert.equal((await app.inject({ method: 'POST', url: '/api/resend', headers: JSON_ACCEPT, payload: { email: 'ada@example.com' } })).statusCode, 200);
        const limited = await app.inject({ method: 'POST', url: '/api/resend', headers: JSON_ACCEPT, payload: { email: 'ada@example.com' } });
        assert.equal(limited.statusCode, 429);
        assert.equal(limited.json().code, 'ONRAMP_ERR_RATE_LIMITED');
        // Per client address: 6 an hour; 6 used so far.
        const limitedIp = await app.inject({ method: 'POST', url: '/api/resend', headers: HTML, payload: { email: 'someone-else@example.com' } });
        assert.equal(limitedIp.statusCode, 429);
        await app.onboarding.idle();
      } finally {
        await app.close();
        await storage.close();
      }
    });
  });
}
