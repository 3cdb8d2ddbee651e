import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { BACKENDS } from '../../test/support/storage.js';
import { adminApp as harness } from '../../test/support/admin-app.js';
import { createOnboardingJobs } from './invitations.scheduler.js';
import { ReportAnswer, UserDetail, UserResent, UsersPage } from './admin.schemas.js';

for (const backend of BACKENDS) {
  describe(`admin API [${backend.name}]`, { skip: backend.skip }, () => {
    test('users, reports, timeline and removal; viewers read but cannot change; every change audited', async () => {
      const storage = await backend.open();
      const { app, as, admin, viewer } = await harness(storage);
      try {
        const csv = 'UPN,Department\nann@contoso.com,Sales\nbob@contoso.com,IT\ncy@contoso.com,IT\n';
        const denied = await app.inject({ method: 'POST', url: '/api/upload-users', headers: { ...as(viewer), 'content-type': 'text/csv' }, payload: csv });
        assert.equal(denied.statusCode, 403);
        assert.equal(denied.json().code, 'ONRAMP_ERR_FORBIDDEN');
        const up = await app.inject({
          method: 'POST',
          url: '/api/upload-users?batchId=wave-1',
          headers: { ...as(admin), 'content-type': 'text/csv' },
          payload: csv,
        });
        assert.equal(up.statusCode, 200, up.body);
        assert.equal(up.json().added.length, 3);

        const list = await app.inject({ url: '/api/admin/users?sort=upn_key&desc=false&limit=2', headers: as(viewer) });
        assert.equal(list.statusCode, 200, list.body);
        assert.equal(list.json().total, 3);
        assert.deepEqual(
          list.json().users.map((u: { upn: string }) => u.upn),
          ['ann@contoso.com', 'bob@contoso.com'],
        );
        const search = (await app.inject({ url: '/api/admin/users?search=BOB', headers: as(viewer) })).json();
        assert.deepEqual(
          search.users.map((u: { upn: string }) => u.upn),
          ['bob@contoso.com'],
        );
        const badSort = await app.inject({ url: '/api/admin/users?sort=password', headers: as(viewer) });
        assert.equal(badSort.statusCode, 400);

        const report = (await app.inject({ url: '/api/admin/reports?batch=wave-1', headers: as(viewer) })).json();
        assert.equal(report.total, 3);
        assert.equal(report.completionRate, 0);
        assert.deepEqual(report.perBatch, [
          { batchId: 'wave-1', total: 3, active: 0, excluded: 0, notFound: 0, disabled: 0, pending: 3, completionRate: 0, paused: false },
        ]);
        assert.equal(report.activity.length, 30);
        assert.deepEqual(report.filters.batches, ['wave-1']);
        assert.equal((await app.inject({ url: '/api/admin/reports?batch=other', headers: as(viewer) })).json().total, 0);

        // A batch paused and resumed: shown on the report, admins only, audited.
        const pause = (verb: string, who = admin) =>
          app.inject({ method: 'POST', url: `/api/admin/batches/${verb}`, headers: as(who), payload: { batch: 'wave-1' } });
        assert.equal((await pause('pause', viewer)).statusCode, 403);
        assert.deepEqual((await pause('pause')).json(), { batch: 'wave-1', paused: true, changed: true });
        assert.equal((await app.inject({ url: '/api/admin/reports', headers: as(viewer) })).json().perBatch[0].paused, true);
        assert.deepEqual((await pause('resume')).json(), { batch: 'wave-1', paused: false, changed: true });
        assert.equal((await app.inject({ url: '/api/admin/reports', headers: as(viewer) })).json().perBatch[0].paused, false);

        // Without the jobs in this process (a bare app), the run's state says so and "run now" starts nothing.
        assert.deepEqual((await app.inject({ url: '/api/admin/campaign/run', headers: as(viewer) })).json(), {
          available: false,
          running: false,
          nextRunAt: null,
          lastFinishedAt: null,
          lastError: null,
          lastSummary: null,
        });
        assert.equal((await app.inject({ method: 'POST', url: '/api/admin/campaign/run', headers: as(viewer) })).statusCode, 403);
        assert.equal((await app.inject({ method: 'POST', url: '/api/admin/campaign/run', headers: as(admin) })).json().triggered, false);

        const unsent = await app.inject({ method: 'POST', url: '/api/admin/reports/send', headers: as(admin), payload: { recipients: ['boss@contoso.com'] } });
        assert.equal(unsent.statusCode, 503, unsent.body);
        assert.equal(unsent.json().code, 'ONRAMP_ERR_MAIL_UNAVAILABLE');
        assert.doesNotMatch(unsent.body, /ECONNREFUSED|127\.0\.0\.1/, 'the relay error stays in the log');

        const csvRes = await app.inject({ url: '/api/admin/reports/export.csv?batch=wave-1', headers: as(viewer) });
        assert.equal(csvRes.statusCode, 200);
        assert.match(String(csvRes.headers['content-disposition']), /mfa-report-wave-1-\d{4}-\d{2}-\d{2}\.csv/);
        assert.ok(csvRes.rawPayload.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), 'UTF-8 byte-order mark first, for Excel');
        const lines = csvRes.body.trim().split('\r\n');
        assert.match(lines[0]!, /UPN/);
        assert.equal(lines.length, 4);

        const id = list.json().users[0].id as number;
        const detail = (await app.inject({ url: `/api/admin/users/${id}`, headers: as(viewer) })).json();
        assert.equal(detail.user.upn, 'ann@contoso.com');
        assert.ok(detail.timeline.some((e: { type: string }) => e.type === 'uploaded'));

        assert.equal((await app.inject({ method: 'DELETE', url: `/api/admin/users/${id}`, headers: as(viewer) })).statusCode, 403);
        assert.equal((await app.inject({ method: 'DELETE', url: `/api/admin/users/${id}`, headers: as(admin) })).statusCode, 204);
        assert.equal((await app.inject({ url: `/api/admin/users/${id}`, headers: as(viewer) })).statusCode, 404);

        const audit = (await app.inject({ url: '/api/admin/audit', headers: as(viewer) })).json();
        const removal = audit.entries.find((e: { action: string }) => e.action === 'user.remove');
        assert.equal(removal.actor, 'token:ops');
        assert.equal(removal.target, 'ann@contoso.com');
        const upload = audit.entries.find((e: { action: string }) => e.action === 'users.upload');
        assert.equal(upload.actor, 'token:ops');
        assert.equal(upload.target, 'wave-1');
        assert.deepEqual(upload.details, { total: 3, added: 3, unchanged: 0, reset: 0, skipped: 0, errors: 0 });
        assert.equal((await app.inject({ url: '/api/admin/audit' })).statusCode, 401);
      } finally {
        await app.close();
        await storage.close();
      }
    });
  });
}

describe('reports: one scope for the screen and the export; resend now', () => {
  test('every report filter selects the same users in the tiles and the CSV; resend starts a new cycle, audited', async () => {
    const storage = await BACKENDS[0]!.open();
    const { app, as, admin, viewer } = await harness(storage);
    try {
      const csv = 'UPN,Department\nann@contoso.com,Sales\nbob@contoso.com,IT\ncy@contoso.com,IT\ndee@contoso.com,IT\n';
      assert.equal(
        (await app.inject({ method: 'POST', url: '/api/upload-users?batchId=wave-1', headers: { ...as(admin), 'content-type': 'text/csv' }, payload: csv }))
          .statusCode,
        200,
      );
      await app.inject({
        method: 'POST',
        url: '/api/upload-users?batchId=wave-2',
        headers: { ...as(admin), 'content-type': 'text/csv' },
        payload: 'UPN\neve@contoso.com\n',
      });
      // Departments come from the directory; set them as the sync would, with one formula-looking value.
      await storage.db
        .updateTable('tracked_user')
        .set({ department: 'IT' })
        .where('upn_key', 'in', ['bob@contoso.com', 'cy@contoso.com', 'dee@contoso.com'])
        .execute();
      await storage.db.updateTable('tracked_user').set({ department: '=HYPERLINK("x")' }).where('upn_key', '=', 'ann@contoso.com').execute();
      await storage.db.updateTable('tracked_user').set({ invite_status: 'Active' }).where('upn_key', '=', 'cy@contoso.com').execute();
      const today = new Date().toISOString().slice(0, 10);
      const scopes: Array<[string, number]> = [
        ['', 5],
        ['batch=wave-1', 4],
        ['department=IT', 3],
        ['department=IT&status=Active', 1],
        ['search=DEE', 1],
        [`batch=wave-1&from=${today}&to=${today}`, 4],
        ['from=2000-01-01&to=2000-01-02', 0],
      ];
      for (const [scope, expected] of scopes) {
        const report = (await app.inject({ url: `/api/admin/reports?${scope}`, headers: as(viewer) })).json();
        assert.equal(report.total, expected, scope);
        const exported = await app.inject({ url: `/api/admin/reports/export.csv?${scope}`, headers: as(viewer) });
        assert.equal(exported.statusCode, 200);
        const rows = exported.body.trim().split('\r\n');
        assert.equal(rows[0]!.split(',')[0], 'UPN');
        assert.equal(rows.length - 1, report.total, `export of ${scope}`);
      }
      const it = (await app.inject({ url: '/api/admin/reports?department=IT', headers: as(viewer) })).json();
      assert.equal(it.completionRate, 33.3);
      assert.equal(it.byStatus.Active, 1);
      const all = (await app.inject({ url: '/api/admin/reports/export.csv', headers: as(viewer) })).body;
      assert.match(all, /,"'=HYPERLINK\(""x""\)",/, 'formula neutralised');

      const bob = (await app.inject({ url: '/api/admin/users?search=bob', headers: as(viewer) })).json().users[0];
      const tokenBefore = (await storage.db.selectFrom('tracked_user').select('link_secret').where('id', '=', bob.id).executeTakeFirstOrThrow()).link_secret;
      await storage.db.updateTable('tracked_user').set({ invite_status: 'Sent', reminder_count: 2 }).where('id', '=', bob.id).execute();
      assert.equal((await app.inject({ method: 'POST', url: `/api/admin/users/${bob.id}/resend`, headers: as(viewer) })).statusCode, 403);
      const resent = await app.inject({ method: 'POST', url: `/api/admin/users/${bob.id}/resend`, headers: as(admin) });
      assert.equal(resent.statusCode, 200, resent.body);
      assert.equal(resent.json().user.status, 'Pending');
      assert.equal(resent.json().user.reminderCount, 0);
      const tokenAfter = (await storage.db.selectFrom('tracked_user').select('link_secret').where('id', '=', bob.id).executeTakeFirstOrThrow()).link_secret;
      assert.notEqual(tokenAfter, tokenBefore);
      const timeline = (await app.inject({ url: `/api/admin/users/${bob.id}`, headers: as(viewer) })).json().timeline;
      assert.ok(
        timeline.some((e: { type: string; actor: string }) => e.type === 'resend-requested' && e.actor === 'token:ops'),
        JSON.stringify(timeline),
      );
      assert.equal(
        (await app.inject({ method: 'POST', url: '/api/admin/users/999999/resend', headers: as(admin) })).json().code,
        'ONRAMP_ERR_TRACKED_USER_NOT_FOUND',
      );
      const audit = (await app.inject({ url: '/api/admin/audit', headers: as(viewer) })).json().entries;
      assert.ok(audit.some((e: { action: string; target: string }) => e.action === 'user.resend' && e.target === 'bob@contoso.com'));
      assert.ok(audit.some((e: { action: string; details: { department?: string } }) => e.action === 'report.export' && e.details?.department === 'IT'));
      assert.equal((await app.inject({ url: '/api/admin/mailbox', headers: as(admin) })).statusCode, 404, 'no mailbox without the in-process simulator');
    } finally {
      await app.close();
      await storage.close();
    }
  });
});

describe('admin API answers and their schemas', () => {
  test('each answer matches the schema the route declares and keeps every field it had before schemas (the serialiser drops undeclared ones)', async () => {
    const storage = await BACKENDS[0]!.open();
    const { app, as, admin, viewer } = await harness(storage);
    try {
      const csv = 'UPN,Department\nann@contoso.com,Sales\nbob@contoso.com,IT\n';
      assert.equal(
        (await app.inject({ method: 'POST', url: '/api/upload-users?batchId=wave-1', headers: { ...as(admin), 'content-type': 'text/csv' }, payload: csv }))
          .statusCode,
        200,
      );
      // Bob was invited long ago and never clicked: he is on a "needs attention" list, with all its columns.
      await storage.db
        .updateTable('tracked_user')
        .set({ invite_status: 'Sent', invite_sent_date: '2000-01-01T00:00:00.000Z', manager_upn: 'boss@contoso.com' })
        .where('upn_key', '=', 'bob@contoso.com')
        .execute();

      const report = (await app.inject({ url: '/api/admin/reports', headers: as(viewer) })).json();
      assert.ok(Value.Check(ReportAnswer, report), JSON.stringify([...Value.Errors(ReportAnswer, report)].slice(0, 3)));
      assert.deepEqual(Object.keys(report).sort(), [
        'activity',
        'byStatus',
        'completionOfAll',
        'completionRate',
        'excludedReasons',
        'filters',
        'needsAttention',
        'perBatch',
        'total',
      ]);
      assert.deepEqual(Object.keys(report.needsAttention).sort(), ['clickedNotActive', 'error', 'escalated', 'noClick', 'overdue', 'unreachable']);
      const waiting = report.needsAttention.noClick.users[0]!;
      assert.deepEqual(Object.keys(waiting).sort(), [
        'clicked_link_date',
        'department',
        'display_name',
        'id',
        'invite_sent_date',
        'invite_status',
        'manager_upn',
        'reminder_count',
        'status_reason',
        'upn',
      ]);
      assert.equal(waiting.manager_upn, 'boss@contoso.com');
      assert.equal(report.byStatus.Sent, 1, 'the status record keeps its keys');

      const page = (await app.inject({ url: '/api/admin/users?sort=upn_key&desc=false', headers: as(viewer) })).json();
      assert.ok(Value.Check(UsersPage, page));
      assert.deepEqual(Object.keys(page).sort(), ['limit', 'offset', 'total', 'users']);
      const userFields = [
        'addedToGroupDate',
        'batchId',
        'clickedLinkDate',
        'createdAt',
        'department',
        'displayName',
        'emailOpenedDate',
        'escalatedToManager',
        'escalationDate',
        'id',
        'inGroup',
        'inviteSentDate',
        'jobTitle',
        'lastReminderDate',
        'managerUpn',
        'mfaRegistrationDate',
        'mfaRegistrationState',
        'reminderCount',
        'status',
        'statusReason',
        'updatedAt',
        'upn',
      ];
      assert.deepEqual(Object.keys(page.users[0]!).sort(), userFields);
      assert.equal(page.users[0]!.inGroup, false);
      assert.equal(page.users[0]!.displayName, null, 'nulls stay null, not ""');

      const detail = (await app.inject({ url: `/api/admin/users/${page.users[0]!.id}`, headers: as(viewer) })).json();
      assert.ok(Value.Check(UserDetail, detail));
      const uploaded = detail.timeline.find((e: { type: string }) => e.type === 'uploaded')!;
      assert.equal(typeof uploaded.detail, 'object', 'event details pass through as recorded');
      assert.ok(uploaded.detail !== null && Object.keys(uploaded.detail as object).length > 0, JSON.stringify(uploaded));

      const resent = (await app.inject({ method: 'POST', url: `/api/admin/users/${page.users[1]!.id}/resend`, headers: as(admin) })).json();
      assert.ok(Value.Check(UserResent, resent));
      assert.deepEqual(Object.keys(resent.user).sort(), userFields);

      const audit = (await app.inject({ url: '/api/admin/audit', headers: as(viewer) })).json();
      assert.deepEqual(Object.keys(audit.entries[0]).sort(), ['action', 'actor', 'actorKind', 'at', 'details', 'id', 'ip', 'requestId', 'target']);
      assert.equal(typeof audit.entries[0].details, 'object');

      const exported = await app.inject({ url: '/api/admin/reports/export.csv', headers: as(viewer) });
      assert.match(String(exported.headers['content-type']), /^text\/csv/);
      assert.equal(exported.body.trim().split('\r\n').length, 3, 'the stream is sent as it is');
      const removed = await app.inject({ method: 'DELETE', url: `/api/admin/users/${page.users[0]!.id}`, headers: as(admin) });
      assert.equal(removed.statusCode, 204);
      assert.equal(removed.body, '');
    } finally {
      await app.close();
      await storage.close();
    }
  });

  test('the OpenAPI document publishes the answers: JSON schemas, the CSV as text/csv, 204 without a body, errors in the catalogue shape', async () => {
    const storage = await BACKENDS[0]!.open();
    const { app } = await harness(storage);
    try {
      const doc = (await app.inject('/api/openapi.json')).json();
      const users = doc.paths['/api/admin/users'].get.responses;
      assert.deepEqual(Object.keys(users['200'].content['application/json'].schema.properties).sort(), ['limit', 'offset', 'total', 'users']);
      assert.equal(users.default.content['application/json'].schema.$ref, '#/components/schemas/Error');
      assert.ok(doc.components.schemas.Error.properties.requestId);
      assert.ok(doc.paths['/api/admin/reports'].get.responses['200'].content['application/json'].schema.properties.needsAttention);
      assert.ok(doc.paths['/api/admin/reports/export.csv'].get.responses['200'].content['text/csv']);
      assert.equal(doc.paths['/api/admin/users/{id}'].delete.responses['204'].content, undefined);
      assert.ok(doc.paths['/api/admin/audit'].get.responses['200'].content['application/json'].schema.properties.entries);
      assert.equal(doc.paths['/api/upload-users'].post.requestBody.content['text/csv'].schema.type, 'string', "a route's content types are listed as declared");
    } finally {
      await app.close();
      await storage.close();
    }
  });

  test("one ReportService: the admin API's is the one the background jobs are handed", async () => {
    const storage = await BACKENDS[0]!.open();
    const { app, ctx } = await harness(storage);
    try {
      const jobs = createOnboardingJobs(ctx, { graph: undefined as never, publicUrl: 'http://localhost', reports: app.onboardingReports });
      assert.equal(jobs.reports, app.onboardingReports);
      await jobs.stop();
    } finally {
      await app.close();
      await storage.close();
    }
  });
});
