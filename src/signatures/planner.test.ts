import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../../test/support/storage.js';
import { adminApp } from '../../test/support/admin-app.js';
import { startTestTenant } from '../../test/support/simulator.js';
import { DirectorySync } from '../directory/directory-sync.js';
import { createLogger } from '../lib/logger.js';

const STANDARD = '<p>{{ user.displayName }}</p>\n{% if manager.displayName %}<p>Manager: {{ manager.displayName }}</p>{% endif %}\n';
const SALES = '<p><b>{{ user.displayName }}</b> · Sales</p>\n';
const BANNER = '<p>Christmas sale: 20% off</p>\n';

for (const backend of BACKENDS) {
  describe(`signature planner, explain and preview against the directory copy [${backend.name}]`, { skip: backend.skip }, () => {
    test('nested groups, exclusions, banners in their window; a real and a made-up preview', async () => {
      const storage = await backend.open();
      const tenant = await startTestTenant({ users: 12 });
      const { app, as, admin, viewer, ctx } = await adminApp(storage, { graph: tenant.graph });
      try {
        const t = tenant.sim.control.tenant;
        const members = [...t.users.values()].filter((u) => u.accountEnabled && u.mail && u.userType === 'Member' && u.managerId);
        const [seller, other] = members as [(typeof members)[0], (typeof members)[0]];
        assert.ok(other, 'the simulated tenant has enough members with managers');
        const sellersManager = t.users.get(seller.managerId!)!;
        const emea = t.addGroup('Sales EMEA', [seller.id]);
        const sales = t.addGroup('Sales', [emea.id]);
        await new DirectorySync(storage.db, tenant.graph, ctx.clock, createLogger('silent'), 'test').runOnce();

        // The rule editor's group picker: Entra groups by the start of their name.
        const found = await app.inject({ url: '/api/signatures/groups?search=sales', headers: as(viewer) });
        assert.equal(found.statusCode, 200, found.body);
        assert.deepEqual(found.json().groups, [
          { id: sales.id, displayName: 'Sales' },
          { id: emea.id, displayName: 'Sales EMEA' },
        ]);
        assert.deepEqual((await app.inject({ url: `/api/signatures/groups?search=${encodeURIComponent("O'Brien")}`, headers: as(viewer) })).json().groups, []);

        const template = async (name: string, source: string) => {
          const r = await app.inject({ method: 'POST', url: '/api/signatures/templates', headers: as(admin), payload: { name, source } });
          assert.equal(r.statusCode, 201, r.body);
          return r.json().id as number;
        };
        const standard = await template('Standard', STANDARD);
        const salesTemplate = await template('Sales', SALES);
        const banner = await template('Christmas', BANNER);
        const rule = async (body: object) => {
          const r = await app.inject({
            method: 'POST',
            url: '/api/signatures/rules',
            headers: as(admin),
            payload: { enabled: true, kind: 'signature', conditions: {}, exclusions: {}, window: null, ...body },
          });
          assert.equal(r.statusCode, 201, r.body);
        };
        // Saving the rule reads the group's transitive members from Graph.
        await rule({ name: 'Sales group', templateId: salesTemplate, defaults: 'new', conditions: { groups: [{ id: sales.id, displayName: 'Sales' }] } });
        await rule({ name: 'Everyone', templateId: standard, defaults: 'both', exclusions: { users: [other.userPrincipalName] } });
        await rule({
          name: 'Christmas banner',
          kind: 'banner',
          templateId: banner,
          defaults: 'new',
          window: { from: '2026-12-01T00:00', to: '2026-12-24T00:00', timeZone: 'Europe/Berlin' },
        });

        const explain = async (user: string, at: string) => {
          const r = await app.inject({ url: `/api/signatures/explain?user=${encodeURIComponent(user)}&at=${at}`, headers: as(viewer) });
          assert.equal(r.statusCode, 200, r.body);
          return r.json();
        };
        const december = await explain(seller.userPrincipalName, '2026-12-10T12:00:00Z');
        assert.equal(december.newMail.templateName, 'Sales');
        assert.equal(december.reply.templateName, 'Standard');
        assert.deepEqual(
          december.banners.map((b: { templateName: string }) => b.templateName),
          ['Christmas'],
        );
        assert.ok(december.verdicts[0].reasons.includes('matched: member of group Sales'), JSON.stringify(december.verdicts[0]));
        const excluded = await explain(other.mail!, '2026-12-10T12:00:00Z');
        assert.equal(excluded.newMail, null);
        assert.ok(excluded.verdicts[0].reasons.includes('not matched: not a member of group Sales'));
        assert.ok(excluded.verdicts[1].reasons.includes(`excluded: user ${other.userPrincipalName} listed`), JSON.stringify(excluded.verdicts[1]));
        const christmasEve = await explain(seller.userPrincipalName, '2026-12-23T23:30:00Z');
        assert.deepEqual(christmasEve.banners, [], 'already the 24th in Berlin');
        assert.match(christmasEve.verdicts[2].reasons[0], /^outside window .*it is 2026-12-24 00:30 there/);
        assert.equal((await app.inject({ url: '/api/signatures/explain?user=nobody@nowhere.test', headers: as(viewer) })).statusCode, 404);

        // The planner: what the deployments push.
        const planner = app.signatures.planner;
        const expected = await planner.expectedFor(seller.mail!, new Date('2026-12-10T12:00:00Z'));
        assert.ok(expected);
        assert.equal(expected.userPrincipalName, seller.userPrincipalName);
        assert.deepEqual(
          expected.signatures.map((s) => [s.name, s.defaultFor, s.templateVersion]),
          [
            ['Sales', ['new'], 1],
            ['Standard', ['reply'], 1],
          ],
        );
        const [newMail, reply] = expected.signatures as [(typeof expected.signatures)[0], (typeof expected.signatures)[0]];
        assert.match(newMail.rendered.webHtml, /Christmas sale/, 'the banner is inside the new-mail signature');
        assert.match(newMail.rendered.txt, /Christmas sale/);
        assert.doesNotMatch(reply.rendered.webHtml, /Christmas sale/, 'the banner is for new mail only');
        assert.match(reply.rendered.webHtml, new RegExp(`Manager: ${sellersManager.displayName}`));
        assert.equal((await planner.expectedFor(seller.mail!, new Date('2026-12-10T12:00:00Z')))?.setHash, expected.setHash, 'the same set has the same hash');
        const after = await planner.expectedFor(seller.mail!, new Date('2026-12-27T12:00:00Z'));
        assert.notEqual(after?.setHash, expected.setHash);
        assert.doesNotMatch(after!.signatures[0]!.rendered.webHtml, /Christmas sale/);
        assert.equal(await planner.expectedFor('nobody@nowhere.test'), null);
        const scope = await planner.mailboxesInScope(null, 1000);
        assert.ok(scope.includes(seller.mail!.toLowerCase()));
        assert.deepEqual(await planner.mailboxesInScope(scope[0]!, 1), [scope[1]]);

        // A shared mailbox (a user object with sign-in blocked) comes into scope when a rule lists it, and
        // renders with its own attributes.
        const shared = tenant.sim.sharedMailbox.toLowerCase();
        assert.ok(!scope.includes(shared), 'disabled accounts are not in scope by themselves');
        await rule({ name: 'Shared mailbox', templateId: standard, defaults: 'new', conditions: { mailboxes: [tenant.sim.sharedMailbox.toUpperCase()] } });
        assert.ok((await planner.mailboxesInScope(null, 1000)).includes(shared));
        const sharedSet = await planner.expectedFor(shared, new Date('2026-12-27T12:00:00Z'));
        assert.equal(sharedSet?.signatures[0]?.name, 'Standard');
        assert.ok(sharedSet?.signatures[0]?.rendered.webHtml.includes(t.findByUpn(shared)!.displayName));

        // A new version of a template shows at once in what the planner renders.
        const v2 = await app.inject({
          method: 'PUT',
          url: `/api/signatures/templates/${salesTemplate}`,
          headers: as(admin),
          payload: { baseVersion: 1, source: '<p>{{ user.displayName }} — Sales v2</p>' },
        });
        assert.equal(v2.statusCode, 200);
        const replanned = await planner.expectedFor(seller.mail!, new Date('2026-12-27T12:00:00Z'));
        assert.equal(replanned?.signatures[0]?.templateVersion, 2);
        assert.match(replanned!.signatures[0]!.rendered.webHtml, /Sales v2/);

        const preview = async (body: object) => app.inject({ method: 'POST', url: '/api/signatures/preview', headers: as(viewer), payload: body });

        // Custom variables: a user's own value over a group's (nested membership counts) over the default.
        const putVariable = (name: string, body: object) =>
          app.inject({ method: 'PUT', url: `/api/signatures/variables/${name}`, headers: as(admin), payload: body });
        assert.equal(
          (
            await putVariable('team', {
              defaultValue: 'Contoso',
              groupValues: [{ group: { id: emea.id, displayName: 'Sales EMEA' }, value: 'Sales EMEA team' }],
            })
          ).statusCode,
          200,
        );
        assert.equal(
          (await putVariable('motto', { defaultValue: '', userValues: [{ upn: seller.userPrincipalName, value: 'Always closing' }] })).statusCode,
          200,
        );
        const variables = '<p>{{ var.team }}</p><p>{{ var.motto }}</p>';
        const sellerVars = (await preview({ source: variables, user: seller.userPrincipalName })).json();
        assert.match(sellerVars.txt, /Sales EMEA team/);
        assert.match(sellerVars.txt, /Always closing/);
        const otherVars = (await preview({ source: variables, user: other.userPrincipalName })).json();
        assert.match(otherVars.txt, /Contoso/);
        assert.doesNotMatch(otherVars.txt, /Always closing|Sales EMEA team/);
        const real = await preview({ templateId: standard, user: seller.userPrincipalName });
        assert.equal(real.statusCode, 200, real.body);
        assert.ok(real.json().webHtml.includes(seller.displayName));
        assert.ok(real.json().txt.includes(`Manager: ${sellersManager.displayName}`));
        assert.match(real.json().htm, /<html/i);
        assert.match(real.json().rtf, /^\{\\rtf1/);
        const madeUp = await preview({
          source: '<p>{{ user.displayName }}</p>{% if user.mobilePhone %}<p>Mobile {{ user.mobilePhone }}</p>{% endif %}',
          person: { user: { displayName: 'Zoë Ünal' } },
        });
        assert.equal(madeUp.statusCode, 200, madeUp.body);
        assert.match(madeUp.json().webHtml, /Zo(ë|&euml;|&#235;|&#xeb;)/i);
        assert.match(madeUp.json().txt, /Zoë Ünal/);
        assert.doesNotMatch(madeUp.json().txt, /Mobile/);
        const oldVersion = await preview({ templateId: salesTemplate, version: 1, person: { user: { displayName: 'Ann' } } });
        assert.match(oldVersion.json().webHtml, /· Sales/);
        const invalid = await preview({ source: '<p>{{ user.displayName }</p>', person: { user: {} } });
        assert.equal(invalid.statusCode, 400);
        assert.equal(invalid.json().code, 'ONRAMP_ERR_TEMPLATE_INVALID');
        assert.equal(invalid.json().problems[0].line, 1);
        assert.equal((await preview({ person: { user: {} } })).statusCode, 400, 'a template or a source is needed');
      } finally {
        await app.close();
        await tenant.stop();
        await storage.close();
      }
    });
  });
}
