import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { BACKENDS } from '../../test/support/storage.js';
import { adminApp } from '../../test/support/admin-app.js';
import type { ManualClock } from '../lib/clock.js';

function multipart(boundary: string, filename: string, contentType: string, bytes: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

const SOURCE_V1 = '<p>{{ user.displayName }}</p>\n<p>{{ user.jobTitle }}</p>\n';
const SOURCE_V2 = '<p><b>{{ user.displayName }}</b></p>\n<p>{{ user.jobTitle }}</p>\n';

for (const backend of BACKENDS) {
  describe(`signature admin API [${backend.name}]`, { skip: backend.skip }, () => {
    test('templates: versions, 409 on a stale base, rollback, diff; an invalid template is refused with line and column and nothing is stored', async () => {
      const storage = await backend.open();
      const { app, as, admin, viewer } = await adminApp(storage);
      try {
        const invalid = await app.inject({
          method: 'POST',
          url: '/api/signatures/templates',
          headers: as(admin),
          payload: { name: 'Broken', source: '<p>fine</p>\n<p>{{ user.nosuchattribute }}</p>' },
        });
        assert.equal(invalid.statusCode, 400, invalid.body);
        assert.equal(invalid.json().code, 'ONRAMP_ERR_TEMPLATE_INVALID');
        const [problem] = invalid.json().problems as Array<{ line: number; column: number; message: string }>;
        assert.equal(problem?.line, 2, JSON.stringify(invalid.json().problems));
        assert.ok(problem!.column > 1);
        assert.match(problem!.message, /nosuchattribute/);
        assert.doesNotMatch(invalid.body, /at .*\.ts:\d+/, 'no stack trace');
        assert.deepEqual((await app.inject({ url: '/api/signatures/templates', headers: as(viewer) })).json().templates, [], 'nothing stored');

        const denied = await app.inject({ method: 'POST', url: '/api/signatures/templates', headers: as(viewer), payload: { name: 'Std', source: SOURCE_V1 } });
        assert.equal(denied.statusCode, 403);
        const created = await app.inject({
          method: 'POST',
          url: '/api/signatures/templates',
          headers: as(admin),
          payload: { name: 'Standard', source: SOURCE_V1, comment: 'first' },
        });
        assert.equal(created.statusCode, 201, created.body);
        const t = created.json();
        assert.equal(t.currentVersion, 1);
        assert.equal(t.updatedBy, 'token:ops');
        assert.deepEqual(t.placeholders, ['user.displayName', 'user.jobTitle']);
        const taken = await app.inject({
          method: 'POST',
          url: '/api/signatures/templates',
          headers: as(admin),
          payload: { name: 'Standard', source: SOURCE_V1 },
        });
        assert.equal(taken.statusCode, 409);
        assert.equal(taken.json().code, 'ONRAMP_ERR_TEMPLATE_NAME_TAKEN');

        const put = (body: object) => app.inject({ method: 'PUT', url: `/api/signatures/templates/${t.id}`, headers: as(admin), payload: body });
        const v2 = await put({ baseVersion: 1, source: SOURCE_V2, comment: 'bold name' });
        assert.equal(v2.statusCode, 200, v2.body);
        assert.equal(v2.json().currentVersion, 2);
        // A second editor who also started from version 1 is told, and nothing of theirs is stored.
        const stale = await put({ baseVersion: 1, source: '<p>mine</p>' });
        assert.equal(stale.statusCode, 409);
        assert.equal(stale.json().code, 'ONRAMP_ERR_VERSION_CONFLICT');
        assert.match(stale.json().message, /version 1, the current one is 2/);
        // Two saves from the same base at the same moment: exactly one wins.
        const racing = await Promise.all([put({ baseVersion: 2, source: '<p>a</p>' }), put({ baseVersion: 2, source: '<p>b</p>' })]);
        assert.deepEqual(racing.map((r) => r.statusCode).sort(), [200, 409]);
        const winner = racing.find((r) => r.statusCode === 200)!.json();
        assert.equal(winner.currentVersion, 3);
        const undo = await app.inject({
          method: 'POST',
          url: `/api/signatures/templates/${t.id}/rollback`,
          headers: as(admin),
          payload: { version: 2, baseVersion: 3 },
        });
        assert.equal(undo.json().currentVersion, 4);
        const badSave = await put({ baseVersion: 4, source: '{% if user.mail %}<p>unclosed</p>' });
        assert.equal(badSave.statusCode, 400);
        assert.equal(badSave.json().problems[0].line, 1);

        const current = (await app.inject({ url: `/api/signatures/templates/${t.id}`, headers: as(viewer) })).json();
        assert.equal(current.source, SOURCE_V2);
        assert.equal(current.currentVersion, 4);
        const versions = (await app.inject({ url: `/api/signatures/templates/${t.id}/versions`, headers: as(viewer) })).json().versions;
        assert.deepEqual(
          versions.map((v: { version: number; comment: string }) => [v.version, v.comment]),
          [
            [4, 'Rolled back to version 2'],
            [3, ''],
            [2, 'bold name'],
            [1, 'first'],
          ],
        );
        assert.equal((await app.inject({ url: `/api/signatures/templates/${t.id}/versions/1`, headers: as(viewer) })).json().source, SOURCE_V1);
        assert.equal((await app.inject({ url: `/api/signatures/templates/${t.id}/versions/9`, headers: as(viewer) })).statusCode, 404);

        const diff = (await app.inject({ url: `/api/signatures/templates/${t.id}/diff?from=1&to=2`, headers: as(viewer) })).json();
        assert.deepEqual(diff.hunks[0].lines, ['-<p>{{ user.displayName }}</p>', '+<p><b>{{ user.displayName }}</b></p>', ' <p>{{ user.jobTitle }}</p>']);
        assert.match(diff.unified, /^--- version 1/m);

        const rolled = await app.inject({
          method: 'POST',
          url: `/api/signatures/templates/${t.id}/rollback`,
          headers: as(admin),
          payload: { version: 1, baseVersion: 4 },
        });
        assert.equal(rolled.statusCode, 200, rolled.body);
        assert.equal(rolled.json().currentVersion, 5);
        assert.equal(rolled.json().source, SOURCE_V1);
        assert.equal(
          (await app.inject({ url: `/api/signatures/templates/${t.id}/versions/5`, headers: as(viewer) })).json().comment,
          'Rolled back to version 1',
        );
        const staleRollback = await app.inject({
          method: 'POST',
          url: `/api/signatures/templates/${t.id}/rollback`,
          headers: as(admin),
          payload: { version: 2, baseVersion: 4 },
        });
        assert.equal(staleRollback.statusCode, 409);

        // A template a rule chooses cannot be deleted; the answer names the rule.
        const rule = await app.inject({
          method: 'POST',
          url: '/api/signatures/rules',
          headers: as(admin),
          payload: { name: 'Everyone', enabled: true, kind: 'signature', templateId: t.id, defaults: 'both', conditions: {}, exclusions: {}, window: null },
        });
        assert.equal(rule.statusCode, 201, rule.body);
        const inUse = await app.inject({ method: 'DELETE', url: `/api/signatures/templates/${t.id}`, headers: as(admin) });
        assert.equal(inUse.statusCode, 409);
        assert.equal(inUse.json().code, 'ONRAMP_ERR_TEMPLATE_IN_USE');
        assert.match(inUse.json().message, /Everyone/);
        assert.equal((await app.inject({ method: 'DELETE', url: `/api/signatures/rules/${rule.json().id}`, headers: as(admin) })).statusCode, 204);
        assert.equal((await app.inject({ method: 'DELETE', url: `/api/signatures/templates/${t.id}`, headers: as(admin) })).statusCode, 204);
        assert.equal((await app.inject({ url: `/api/signatures/templates/${t.id}/versions/1`, headers: as(viewer) })).statusCode, 404);

        const audit = (await app.inject({ url: '/api/admin/audit', headers: as(viewer) })).json().entries as Array<{ action: string; actor: string }>;
        const actions = audit.map((e) => e.action);
        for (const action of [
          'signatures.template.create',
          'signatures.template.update',
          'signatures.template.rollback',
          'signatures.rule.create',
          'signatures.rule.delete',
          'signatures.template.delete',
        ])
          assert.ok(actions.includes(action), `${action} audited`);
        assert.equal(actions.filter((a) => a === 'signatures.template.update').length, 2, 'refused saves are not audited as changes');
      } finally {
        await app.close();
        await storage.close();
      }
    });

    test('rules: schema-checked, unknown template and time zone refused, ordered, reordered; variables', async () => {
      const storage = await backend.open();
      const { app, as, admin, viewer } = await adminApp(storage);
      try {
        const t = (
          await app.inject({ method: 'POST', url: '/api/signatures/templates', headers: as(admin), payload: { name: 'T', source: SOURCE_V1 } })
        ).json();
        const rule = (name: string, extra: object = {}) => ({
          name,
          enabled: true,
          kind: 'signature',
          templateId: t.id,
          defaults: 'new',
          conditions: { departments: ['Sales'] },
          exclusions: {},
          window: null,
          ...extra,
        });
        const post = (body: object) => app.inject({ method: 'POST', url: '/api/signatures/rules', headers: as(admin), payload: body });
        const unknown = await post(rule('x', { templateId: 999 }));
        assert.equal(unknown.statusCode, 400);
        assert.equal(unknown.json().code, 'ONRAMP_ERR_RULE_INVALID');
        const badZone = await post(rule('x', { window: { from: '2026-12-01T00:00', to: '2026-12-24T00:00', timeZone: 'Europe/Atlantis' } }));
        assert.equal(badZone.statusCode, 400);
        assert.match(badZone.json().message, /Europe\/Atlantis/);
        const badOperator = await post(rule('x', { conditions: { attributes: [{ attribute: 'jobTitle', operator: 'matches', value: '(a+)+$' }] } }));
        assert.equal(badOperator.statusCode, 400);
        assert.equal(badOperator.json().code, 'ONRAMP_ERR_VALIDATION');

        const a = (await post(rule('A'))).json();
        const b = (await post(rule('B', { kind: 'banner', window: { from: '2026-12-01T00:00', to: '2026-12-24T00:00', timeZone: 'Europe/Berlin' } }))).json();
        const c = (await post(rule('C'))).json();
        assert.deepEqual([a.priority, b.priority, c.priority], [1, 2, 3]);
        assert.deepEqual(b.window, { from: '2026-12-01T00:00', to: '2026-12-24T00:00', timeZone: 'Europe/Berlin' });
        const order = (ids: number[]) => app.inject({ method: 'PUT', url: '/api/signatures/rules/order', headers: as(admin), payload: { ids } });
        const reordered = await order([c.id, a.id, b.id]);
        assert.equal(reordered.statusCode, 200, reordered.body);
        assert.deepEqual(
          reordered.json().rules.map((r: { name: string; priority: number }) => [r.name, r.priority]),
          [
            ['C', 1],
            ['A', 2],
            ['B', 3],
          ],
        );
        assert.equal((await order([c.id, a.id])).statusCode, 400, 'every rule must be listed');
        assert.equal((await order([c.id, a.id, a.id])).statusCode, 400, 'each once');
        const updated = await app.inject({ method: 'PUT', url: `/api/signatures/rules/${a.id}`, headers: as(admin), payload: rule('A2', { enabled: false }) });
        assert.equal(updated.statusCode, 200);
        assert.equal(updated.json().priority, 2, 'an edit keeps the priority');
        assert.equal(updated.json().enabled, false);
        assert.equal((await app.inject({ method: 'DELETE', url: `/api/signatures/rules/${c.id}`, headers: as(admin) })).statusCode, 204);
        assert.deepEqual(
          (await app.inject({ url: '/api/signatures/rules', headers: as(viewer) }))
            .json()
            .rules.map((r: { name: string; priority: number }) => [r.name, r.priority]),
          [
            ['A2', 1],
            ['B', 2],
          ],
        );

        const variable = await app.inject({
          method: 'PUT',
          url: '/api/signatures/variables/pronouns',
          headers: as(admin),
          payload: {
            defaultValue: '',
            userValues: [{ upn: 'Ann@Contoso.com', value: 'she/her' }],
            groupValues: [{ group: { id: 'g1', displayName: 'Team' }, value: 'they/them' }],
          },
        });
        assert.equal(variable.statusCode, 200, variable.body);
        assert.deepEqual(variable.json().userValues, [{ upn: 'ann@contoso.com', value: 'she/her' }]);
        assert.equal(
          (await app.inject({ method: 'PUT', url: '/api/signatures/variables/9bad', headers: as(admin), payload: { defaultValue: '' } })).statusCode,
          400,
        );
        // Templates may read defined variables only.
        const withVar = await app.inject({
          method: 'POST',
          url: '/api/signatures/templates',
          headers: as(admin),
          payload: { name: 'V', source: '<p>{{ var.pronouns }} {{ var.nope }}</p>' },
        });
        assert.equal(withVar.statusCode, 400, withVar.body);
        assert.match(withVar.json().problems[0].message, /nope/);
        assert.equal((await app.inject({ method: 'DELETE', url: '/api/signatures/variables/pronouns', headers: as(admin) })).statusCode, 204);
        assert.deepEqual((await app.inject({ url: '/api/signatures/variables', headers: as(viewer) })).json().variables, []);

        const noTenant = await app.inject({ url: '/api/signatures/groups?search=Sales', headers: as(viewer) });
        assert.equal(noTenant.statusCode, 503);
        assert.equal(noTenant.json().code, 'ONRAMP_ERR_GRAPH_UNAVAILABLE');
        assert.match(noTenant.json().message, /not configured/);

        const doc = (await app.inject('/api/openapi.json')).json();
        assert.ok(doc.paths['/api/signatures/templates/{id}'].put.requestBody.content['application/json'].schema.properties.baseVersion);
        assert.ok(doc.paths['/api/signatures/rules/order'].put);
        assert.ok(doc.paths['/api/signatures/preview'].post.responses['200'].content['application/json'].schema.properties.rtf);
        assert.ok(doc.paths['/api/signatures/explain'].get.responses['200'].content['application/json'].schema.properties.verdicts);
      } finally {
        await app.close();
        await storage.close();
      }
    });

    test('assets: a real PNG is stored by its hash and served immutable; a renamed executable and an oversized file are refused', async () => {
      const storage = await backend.open();
      const { app, as, admin, viewer } = await adminApp(storage);
      try {
        const png = await sharp({ create: { width: 120, height: 40, channels: 4, background: '#0055aa' } })
          .png()
          .toBuffer();
        const upload = (filename: string, type: string, bytes: Buffer, headers = as(admin)) =>
          app.inject({
            method: 'POST',
            url: '/api/signatures/assets',
            headers: { ...headers, 'content-type': 'multipart/form-data; boundary=b0undary' },
            payload: multipart('b0undary', filename, type, bytes),
          });
        assert.equal((await upload('logo.png', 'image/png', png, as(viewer))).statusCode, 403);
        const stored = await upload('logo.bin', 'application/octet-stream', png);
        assert.equal(stored.statusCode, 201, stored.body);
        const asset = stored.json();
        assert.equal(asset.contentType, 'image/png', 'the type comes from the bytes');
        assert.deepEqual([asset.width, asset.height, asset.size], [120, 40, png.length]);
        assert.equal(asset.reference, `asset:${asset.hash}`);

        const served = await app.inject({ url: asset.url });
        assert.equal(served.statusCode, 200, 'public: mail clients fetch it without credentials');
        assert.equal(served.headers['content-type'], 'image/png');
        assert.equal(served.headers.etag, `"${asset.hash}"`);
        assert.match(String(served.headers['cache-control']), /immutable/);
        assert.deepEqual(served.rawPayload, png);
        assert.equal((await app.inject({ url: `${asset.url}.png`, headers: { 'if-none-match': `"${asset.hash}"` } })).statusCode, 304);
        assert.equal((await app.inject({ url: `/api/signatures/assets/${'0'.repeat(64)}` })).statusCode, 404);

        // An executable renamed to .png, with an image content type: refused by its bytes.
        const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00'), Buffer.alloc(512, 0x41)]);
        const renamed = await upload('logo.png', 'image/png', exe);
        assert.equal(renamed.statusCode, 400);
        assert.equal(renamed.json().code, 'ONRAMP_ERR_ASSET_REJECTED');
        // PNG magic with nothing behind it does not decode.
        const truncated = await upload('cut.png', 'image/png', png.subarray(0, 40));
        assert.equal(truncated.statusCode, 400);
        assert.match(truncated.json().message, /does not decode/);
        const big = await sharp({ create: { width: 1400, height: 1400, channels: 3, background: '#fff', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
          .png()
          .toBuffer();
        assert.ok(big.length > 1_048_576, 'the test image is over the default limit');
        const tooBig = await upload('huge.png', 'image/png', big);
        assert.equal(tooBig.statusCode, 400, tooBig.body);
        assert.match(tooBig.json().message, /signatures.maxAssetBytes/);

        const list = (await app.inject({ url: '/api/signatures/assets', headers: as(viewer) })).json().assets;
        assert.deepEqual(
          list.map((a: { hash: string }) => a.hash),
          [asset.hash],
        );
        assert.equal((await app.inject({ method: 'DELETE', url: `/api/signatures/assets/${asset.hash}`, headers: as(admin) })).statusCode, 204);
        assert.equal((await app.inject({ url: asset.url })).statusCode, 404);
      } finally {
        await app.close();
        await storage.close();
      }
    });

    test('assets by name: asset:logo shows the newest upload named logo.*, in stored versions too; an unknown name is refused', async () => {
      const storage = await backend.open();
      const { app, as, admin, ctx } = await adminApp(storage);
      try {
        const png = (background: string) =>
          sharp({ create: { width: 60, height: 20, channels: 4, background } })
            .png()
            .toBuffer();
        const upload = async (filename: string, bytes: Buffer) => {
          const r = await app.inject({
            method: 'POST',
            url: '/api/signatures/assets',
            headers: { ...as(admin), 'content-type': 'multipart/form-data; boundary=b0undary' },
            payload: multipart('b0undary', filename, 'image/png', bytes),
          });
          assert.equal(r.statusCode, 201, r.body);
          return r.json() as { hash: string; nameReference: string };
        };
        const source = '<p><img src="asset:logo" alt="Contoso"> {{ user.displayName }}</p>';
        const refused = await app.inject({ method: 'POST', url: '/api/signatures/templates', headers: as(admin), payload: { name: 'Logo', source } });
        assert.equal(refused.statusCode, 400, 'no image is called logo yet');
        assert.match(refused.json().problems[0].message, /unknown asset "logo"/);

        const blue = await png('#0055aa');
        const first = await upload('logo.png', blue);
        assert.equal(first.nameReference, 'asset:logo');
        const created = await app.inject({ method: 'POST', url: '/api/signatures/templates', headers: as(admin), payload: { name: 'Logo', source } });
        assert.equal(created.statusCode, 201, created.body);
        const preview = async () => {
          const r = await app.inject({
            method: 'POST',
            url: '/api/signatures/preview',
            headers: as(admin),
            payload: { templateId: created.json().id, person: { user: { displayName: 'Ann' } } },
          });
          assert.equal(r.statusCode, 200, r.body);
          return r.json() as { files: Array<{ path: string; base64: string }> };
        };
        assert.deepEqual(
          (await preview()).files.map((f) => Buffer.from(f.base64, 'base64').equals(blue)),
          [true],
        );

        // The same name uploaded again (another file type's extension too): the stored version shows the new image.
        (ctx.clock as ManualClock).advance(1000);
        const red = await png('#aa0000');
        const second = await upload('logo.PNG', red);
        assert.notEqual(second.hash, first.hash);
        assert.equal(second.nameReference, 'asset:logo');
        assert.deepEqual(
          (await preview()).files.map((f) => Buffer.from(f.base64, 'base64').equals(red)),
          [true],
          'the newest logo',
        );
        // Its hash still names the first image exactly.
        const pinned = await app.inject({
          method: 'POST',
          url: '/api/signatures/preview',
          headers: as(admin),
          payload: { source: `<p><img src="${'asset:'}${first.hash}" alt="Contoso"></p>`, person: { user: { displayName: 'Ann' } } },
        });
        assert.deepEqual(
          (pinned.json() as { files: Array<{ base64: string }> }).files.map((f) => Buffer.from(f.base64, 'base64').equals(blue)),
          [true],
        );
        // The newest deleted: the name points at the one before.
        assert.equal((await app.inject({ method: 'DELETE', url: `/api/signatures/assets/${second.hash}`, headers: as(admin) })).statusCode, 204);
        assert.deepEqual(
          (await preview()).files.map((f) => Buffer.from(f.base64, 'base64').equals(blue)),
          [true],
        );
        // No image of that name left: the stored version still renders, without the image.
        assert.equal((await app.inject({ method: 'DELETE', url: `/api/signatures/assets/${first.hash}`, headers: as(admin) })).statusCode, 204);
        assert.deepEqual((await preview()).files, []);
      } finally {
        await app.close();
        await storage.close();
      }
    });
  });
}
