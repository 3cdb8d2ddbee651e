import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../../test/support/storage.js';
import { adminApp as harness } from '../../test/support/admin-app.js';
import { findByUpnKey, defaultCampaign } from './onboarding.queries.js';

for (const backend of BACKENDS) {
  describe(`email templates API [${backend.name}]`, { skip: backend.skip }, () => {
    test('kind × language with their source; admins save versions and roll back (audited), viewers read and preview; bad input is a 400 storing nothing', async () => {
      const storage = await backend.open();
      const { app, as, admin, viewer } = await harness(storage);
      try {
        const list = await app.inject({ url: '/api/admin/email-templates', headers: as(viewer) });
        assert.equal(list.statusCode, 200, list.body);
        const templates = list.json().templates as Array<{ kind: string; language: string; source: string; subject: string }>;
        assert.equal(templates.length, 15, '3 kinds × 5 languages');
        assert.ok(templates.every((t) => t.source === 'built-in'));
        assert.match(templates.find((t) => t.kind === 'invitation' && t.language === 'de')!.subject, /^Handlungsbedarf/);

        const url = '/api/admin/email-templates/invitation/de/versions';
        const payload = { subject: 'Bitte MFA einrichten, {name}', body: 'Guten Tag {name},\n\n{button}', comment: 'kürzer' };
        const denied = await app.inject({ method: 'POST', url, headers: as(viewer), payload });
        assert.equal(denied.statusCode, 403);
        for (const bad of [
          { ...payload, subject: '' },
          { ...payload, body: ' ' },
          { ...payload, body: 'x'.repeat(20_001) },
          { ...payload, html: '<b>' },
        ]) {
          const refused = await app.inject({ method: 'POST', url, headers: as(admin), payload: bad });
          assert.equal(refused.statusCode, 400, JSON.stringify(bad).slice(0, 80));
          assert.equal(refused.json().code, 'ONRAMP_ERR_VALIDATION');
        }
        assert.equal(
          (await app.inject({ method: 'POST', url: '/api/admin/email-templates/invitation/it/versions', headers: as(admin), payload })).statusCode,
          400,
        );
        assert.equal((await app.inject({ url, headers: as(viewer) })).json().versions.length, 0, 'nothing stored by refused requests');

        const first = await app.inject({ method: 'POST', url, headers: as(admin), payload });
        assert.equal(first.statusCode, 200, first.body);
        const second = await app.inject({ method: 'POST', url, headers: as(admin), payload: { ...payload, subject: 'Zweite Fassung', comment: '' } });
        const current = (await app.inject({ url: '/api/admin/email-templates', headers: as(viewer) }))
          .json()
          .templates.find((t: { kind: string; language: string }) => t.kind === 'invitation' && t.language === 'de');
        assert.equal(current.source, 'stored');
        assert.equal(current.subject, 'Zweite Fassung');
        assert.equal(current.current.version, second.json().version);

        const back = await app.inject({
          method: 'POST',
          url: '/api/admin/email-templates/invitation/de/rollback',
          headers: as(admin),
          payload: { version: first.json().version },
        });
        assert.equal(back.statusCode, 200, back.body);
        assert.equal(back.json().subject, payload.subject);
        assert.equal(back.json().comment, `roll back to version ${first.json().version}`);
        const versions = (await app.inject({ url, headers: as(viewer) })).json().versions;
        assert.deepEqual(
          versions.map((v: { subject: string }) => v.subject),
          [payload.subject, 'Zweite Fassung', payload.subject],
          'newest first; a roll back is a new version',
        );
        const missing = await app.inject({
          method: 'POST',
          url: '/api/admin/email-templates/reminder/de/rollback',
          headers: as(admin),
          payload: { version: first.json().version },
        });
        assert.equal(missing.statusCode, 404);
        assert.equal(missing.json().code, 'ONRAMP_ERR_EMAIL_TEMPLATE_VERSION_NOT_FOUND');

        const audited = await storage.db
          .selectFrom('auth_audit_log')
          .select(['action', 'target'])
          .where('action', 'like', 'email-template.%')
          .orderBy('id')
          .execute();
        assert.deepEqual(
          audited.map((a) => `${a.action} ${a.target}`),
          ['email-template.save invitation/de', 'email-template.save invitation/de', 'email-template.rollback invitation/de'],
        );

        await app.inject({
          method: 'POST',
          url: '/api/upload-users',
          headers: { ...as(admin), 'content-type': 'text/csv' },
          payload: 'UPN\nann@contoso.com\n',
        });
        const ann = await findByUpnKey(storage.db, (await defaultCampaign(storage.db)).id, 'ann@contoso.com');
        const preview = await app.inject({
          method: 'POST',
          url: '/api/admin/email-templates/reminder/fr/preview',
          headers: as(viewer),
          payload: { subject: 'Rappel {n} pour {name}', body: '<script>x</script> Bonjour {name}', trackedUserId: Number(ann!.id) },
        });
        assert.equal(preview.statusCode, 200, preview.body);
        assert.equal(preview.json().subject, 'Rappel 1 pour ann@contoso.com');
        assert.match(preview.json().html, /<html lang="fr">/);
        assert.match(preview.json().html, /&lt;script&gt;x&lt;\/script&gt; Bonjour ann@contoso\.com/);
        assert.match(preview.json().html, /\/api\/enrol\?token=preview"/, "never the user's own link");
        assert.doesNotMatch(preview.json().html, new RegExp(ann!.link_secret));
        const noUser = await app.inject({
          method: 'POST',
          url: '/api/admin/email-templates/reminder/fr/preview',
          headers: as(viewer),
          payload: { subject: 's', body: 'b', trackedUserId: 999_999 },
        });
        assert.equal(noUser.statusCode, 404);
      } finally {
        await app.close();
        await storage.close();
      }
    });
  });
}
