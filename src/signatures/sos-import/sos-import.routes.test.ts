import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { strToU8, zipSync } from 'fflate';
import { BACKENDS } from '../../../test/support/storage.js';
import { adminApp } from '../../../test/support/admin-app.js';
import { startTestTenant } from '../../../test/support/simulator.js';
import { DirectorySync } from '../../directory/directory-sync.js';
import { createLogger } from '../../lib/logger.js';
import { fixtureFolder } from '../../../test/support/sos-fixtures.js';

function upload(zip: Uint8Array, dryRun: boolean, previewUser?: string): { headers: Record<string, string>; payload: Buffer } {
  const boundary = 'b0undary';
  const field = (name: string, value: string) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  return {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat([
      field('dryRun', String(dryRun)),
      ...(previewUser === undefined ? [] : [field('previewUser', previewUser)]),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="sos.zip"\r\nContent-Type: application/zip\r\n\r\n`),
      Buffer.from(zip),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
  };
}

for (const backend of BACKENDS) {
  describe(`Set-OutlookSignatures import through the admin API [${backend.name}]`, { skip: backend.skip }, () => {
    test('dry run stores nothing; the real run stores everything once, renders with umlauts and selects what SOS would; hostile zips are refused', async () => {
      const storage = await backend.open();
      const tenant = await startTestTenant({ users: 12 });
      const { app, as, admin, ctx } = await adminApp(storage, { graph: tenant.graph });
      try {
        const t = tenant.sim.control.tenant;
        const members = [...t.users.values()].filter((u) => u.accountEnabled && u.mail && u.userType === 'Member');
        const [seller, other] = members as [(typeof members)[0], (typeof members)[0]];
        seller.givenName = 'Jürgen';
        t.addGroup('Vertrieb München', [seller.id]);
        t.addGroup('Praktikanten', []);
        t.addGroup('Marketing', [other.id]);
        await new DirectorySync(storage.db, tenant.graph, ctx.clock, createLogger('silent'), 'test').runOnce();
        const folder = await fixtureFolder();
        // Zipped as the folder itself (one top-level directory), as Explorer's "Send to → zip" does.
        const zip = zipSync(Object.fromEntries([...folder].map(([path, bytes]) => [`SOS-Vorlagen/${path}`, new Uint8Array(bytes)])));
        const post = (body: Uint8Array, dryRun: boolean, previewUser?: string) => {
          const { headers, payload } = upload(body, dryRun, previewUser);
          return app.inject({ method: 'POST', url: '/api/signatures/import-sos', headers: { ...as(admin), ...headers }, payload });
        };
        const count = async (what: 'templates' | 'rules') => (await app.inject({ url: `/api/signatures/${what}`, headers: as(admin) })).json()[what].length;

        const dry = await post(zip, true);
        assert.equal(dry.statusCode, 200, dry.body);
        assert.equal(dry.json().stored, false);
        assert.equal(dry.json().templates.length, 6);
        assert.equal(
          dry.json().rules.find((r: { name: string }) => r.name === 'SOS: Formal Vertrieb').enabled,
          true,
          'the group resolved through Graph by its name',
        );
        assert.deepEqual([await count('templates'), await count('rules')], [0, 0], 'a dry run stores nothing');
        assert.equal(dry.json().previews, undefined, 'previews only when asked for');

        // Side by side for a user: the original file with its SOS placeholders and images, onramp's rendering for the user.
        const previewed = await post(zip, true, seller.userPrincipalName);
        assert.equal(previewed.statusCode, 200, previewed.body);
        const previews = previewed.json().previews as { template: string; file: string; original: string; rendered: string | null; problem: string | null }[];
        assert.deepEqual(
          previews.map((p) => p.template),
          dry.json().templates.map((t: { name: string }) => t.name),
        );
        const formal = previews.find((p) => p.template === 'Formal Vertrieb')!;
        assert.match(formal.original, /\$CurrentUserGivenName\$/, 'the original keeps its placeholders');
        assert.match(formal.original, /src="data:image\/png;base64,/, "the original's image from Formal-Dateien is inlined");
        assert.match(formal.original, /Grüße aus München/, 'windows-1252 or UTF-8, the original reads right');
        assert.equal(formal.problem, null);
        assert.match(formal.rendered!, /Jürgen|J&uuml;rgen|J&#252;rgen/, "rendered with the user's directory attributes");
        assert.doesNotMatch(formal.rendered!, /\$CurrentUser/);
        const short = previews.find((p) => p.file.endsWith('Short.docx'))!;
        assert.match(short.original, /\$CurrentUserDisplayName\$/, 'a DOCX as mammoth reads it');
        assert.match(short.rendered!, new RegExp(seller.displayName!));
        assert.deepEqual([await count('templates'), await count('rules')], [0, 0], 'a previewed dry run stores nothing either');
        const nobody = await post(zip, true, 'nobody@contoso.example');
        assert.equal(nobody.statusCode, 404, nobody.body);

        const real = await post(zip, false);
        assert.equal(real.statusCode, 200, real.body);
        assert.equal(real.json().stored, true);
        assert.deepEqual([await count('templates'), await count('rules')], [6, 7]);
        const variables = (await app.inject({ url: '/api/signatures/variables', headers: as(admin) })).json().variables.map((v: { name: string }) => v.name);
        assert.ok(variables.includes('sos_CurrentUserSalutation'), JSON.stringify(variables));
        const assetNames = (await app.inject({ url: '/api/signatures/assets', headers: as(admin) }))
          .json()
          .assets.map((a: { originalName: string }) => a.originalName);
        assert.deepEqual(assetNames.sort(), ['sos-Formal-Dateien-image001.png', 'sos-Short.docx-image2.png'], 'named after their place in the SOS folder');

        const again = await post(zip, false);
        assert.equal(again.statusCode, 409, 'the template names are taken');
        assert.deepEqual([await count('templates'), await count('rules')], [6, 7], 'all or nothing: the failed run stored nothing');

        // What the rules select: the group template over the common ones; in December the Christmas
        // template is the other users' new-mail default (it comes after Formal in the INI: in SOS it wins).
        const planner = app.signatures.planner;
        const december = new Date('2026-12-10T12:00:00Z');
        const sellers = await planner.expectedFor(seller.mail!, december);
        assert.deepEqual(
          sellers?.signatures.map((s) => [s.name, s.defaultFor]),
          [
            ['Formal Vertrieb', ['new', 'reply']],
            ['Weihnachten', []],
            ['Formal', []],
          ],
        );
        const rendered = sellers!.signatures[0]!.rendered;
        assert.match(rendered.webHtml, /Jürgen|J&uuml;rgen|J&#252;rgen/);
        assert.match(rendered.htm, /Gr&#252;&#223;e aus M&#252;nchen/, 'the HTM writes non-ASCII as character references');
        assert.match(rendered.txt, /^Jürgen \S+\r\n.*Grüße aus München/);
        assert.match(rendered.rtf, /J\\u252\?rgen/);
        assert.deepEqual(
          (await planner.expectedFor(other.mail!, december))?.signatures.map((s) => [s.name, s.defaultFor]),
          [
            ['Weihnachten', ['new']],
            ['Formal', []],
          ],
        );
        assert.deepEqual(
          (await planner.expectedFor(other.mail!, new Date('2027-02-01T12:00:00Z')))?.signatures.map((s) => [s.name, s.defaultFor]),
          [['Formal', ['new']]],
        );

        // Hostile uploads: a name climbing out of the folder, a zip bomb, not a zip at all.
        const traversal = await post(zipSync({ '_Signatures.ini': strToU8('[a.htm]\n'), '../../etc/evil.htm': strToU8('<p>x</p>') }), true);
        assert.equal(traversal.statusCode, 400, traversal.body);
        assert.match(traversal.json().message, /points outside the folder/);
        const bomb = await post(zipSync({ '_Signatures.ini': strToU8('[a.htm]\n'), 'a.htm': new Uint8Array(4 * 1024 * 1024) }, { level: 9 }), true);
        assert.equal(bomb.statusCode, 400, bomb.body);
        assert.match(bomb.json().message, /zip bomb/);
        const garbage = await post(strToU8('not a zip'), true);
        assert.equal(garbage.statusCode, 400, garbage.body);
        assert.deepEqual([await count('templates'), await count('rules')], [6, 7]);
      } finally {
        await app.close();
        await tenant.stop();
        await storage.close();
      }
    });
  });
}
