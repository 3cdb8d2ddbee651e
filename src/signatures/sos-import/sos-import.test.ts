import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureFolder } from '../../../test/support/sos-fixtures.js';
import { compileTemplate } from '../template/compile.js';
import { readSosIni } from './ini.js';
import { classifyPlaceholder } from './placeholders.js';
import { planSosImport, printSosReport } from './importer.js';

const limits = { maxBytes: 100_000, maxNestingDepth: 48, maxElements: 5000 };
const GROUPS: Record<string, { id: string; displayName: string }> = {
  'vertrieb münchen': { id: 'g-vertrieb', displayName: 'Vertrieb München' },
  praktikanten: { id: 'g-praktikanten', displayName: 'Praktikanten' },
  marketing: { id: 'g-marketing', displayName: 'Marketing' },
};
const findGroup = async (name: string) => GROUPS[name.toLowerCase()];

test('the INI reader knows every SOS tag, negations, repeated sections and the configuration section; errors name file and line', () => {
  const ini = readSosIni(
    '[<Set-OutlookSignatures configuration>]\nSortOrder = AsInThisFile\n[a.docx]\n-:EntraID Sales Team\nEXAMPLE Marketing\nx@y.example\n202401010000-202401312359\n202401010000Z-202401312359Z\n$CurrentUserTelephone$\ndefaultNew\n-:defaultReplyFwd\nwriteProtect\nexternal\nOutlookSignatureName = Ä\n[a.docx]\n202402300000-202403010000\n',
    'x.ini',
  );
  assert.equal(ini.sortOrder, 'AsInThisFile');
  assert.equal(ini.sections.length, 2);
  assert.deepEqual(
    ini.sections[0]!.tags.map((t) => [t.kind, t.negated, t.line]),
    [
      ['group', true, 4],
      ['group', false, 5],
      ['mailbox', false, 6],
      ['time', false, 7],
      ['time', false, 8],
      ['variable', false, 9],
      ['defaultNew', false, 10],
      ['defaultReplyFwd', true, 11],
      ['writeProtect', false, 12],
      ['oof', false, 13],
    ],
  );
  assert.deepEqual(ini.sections[0]!.tags[0], { kind: 'group', directory: 'EntraID', group: 'Sales Team', negated: true, line: 4 });
  assert.deepEqual(ini.sections[0]!.tags[4], { kind: 'time', from: '202401010000', to: '202401312359', utc: true, negated: false, line: 8 });
  assert.equal(ini.sections[0]!.signatureName, 'Ä');
  assert.deepEqual(ini.problems, [{ file: 'x.ini', line: 16, message: '"202402300000-202403010000" is not a valid time range (yyyyMMddHHmm-yyyyMMddHHmm)' }]);
  assert.deepEqual(readSosIni('defaultNew\n', 'y.ini').problems, [{ file: 'y.ini', line: 1, message: '"defaultNew" is outside any section' }]);
});

test('placeholders map case-insensitively in all four namespaces and their short forms; the rest become custom variables', () => {
  const expect = (name: string) => {
    const p = classifyPlaceholder(name);
    return p.kind === 'attribute'
      ? `${p.namespace}.${p.attribute}`
      : p.kind === 'photo'
        ? `photo.${p.namespace}${p.deleteEmpty ? '!' : ''}`
        : `var.${p.variable}`;
  };
  assert.equal(expect('CurrentUserGivenName'), 'user.givenName');
  assert.equal(expect('currentusermanagermail'), 'manager.mail');
  assert.equal(expect('CurrentMailboxTelephone'), 'mailbox.businessPhone');
  assert.equal(expect('CurrentMailboxManagerExtAttr15'), 'mailboxManager.extensionAttribute15');
  assert.equal(expect('UMail'), 'user.mail');
  assert.equal(expect('UMMail'), 'manager.mail');
  assert.equal(expect('MMail'), 'mailbox.mail');
  assert.equal(expect('MMMobile'), 'mailboxManager.mobilePhone');
  assert.equal(expect('CurrentUserPhotoDeleteEmpty'), 'photo.user!');
  assert.equal(expect('UMPhoto'), 'photo.manager');
  assert.equal(expect('USalutation'), 'var.sos_CurrentUserSalutation');
  assert.equal(expect('CurrentUserSalutation'), 'var.sos_CurrentUserSalutation');
  assert.equal(expect('VariableX'), 'var.sos_VariableX');
});

test('a dry run plans templates, rules, variables and assets from the fixture folder, and reports what does not map', async () => {
  const { report, bundle } = await planSosImport(await fixtureFolder(), { findGroup, timeZone: 'Europe/Berlin' });
  assert.equal(report.stored, false);
  assert.deepEqual(
    report.templates.map((t) => [t.name, t.format]),
    [
      ['Formal', 'htm'],
      ['Formal Vertrieb', 'htm'],
      ['Short', 'docx'],
      ['Shared Info', 'docx'],
      ['Weihnachten', 'htm'],
      ['Mit Durchwahl', 'docx'],
    ],
  );
  const variables = bundle.variables.map((v) => v.name);
  assert.deepEqual(variables.sort(), ['sos_CurrentUserCustomAttribute1', 'sos_CurrentUserGenderPronouns', 'sos_CurrentUserSalutation', 'sos_VariableX']);
  for (const template of bundle.templates) {
    const compiled = compileTemplate(template.source, { limits, variables });
    assert.ok(compiled.ok, `${template.name} compiles: ${JSON.stringify(!compiled.ok && compiled.problems)}`);
  }
  const formal = bundle.templates.find((t) => t.name === 'Formal')!.source;
  assert.match(formal, /Grüße aus München/, 'windows-1252 umlauts survive');
  assert.match(formal, /<img width="72" height="72" src="\{\{ photo\.user \}\}" alt="">/);
  assert.match(formal, /src="asset:[0-9a-f]{64}"/, 'the image folder became an asset');
  assert.match(formal, /href="mailto:\{\{ user\.mail \}\}"/);
  assert.match(formal, /\{\{ manager\.displayName \}\} \(\{\{ manager\.mail \}\}\)/);
  assert.match(formal, /\{\{ mailboxManager\.givenName \}\} \{\{ mailboxManager\.surname \}\}/);
  assert.match(formal, /<span style="font-family:&quot;Segoe UI&quot;,sans-serif;color:#0078D4">/, 'inline fonts and colours stay, mso- styles go');
  assert.doesNotMatch(formal, /mso-|o:p|v:shape|class=|xmlns|<!\[|<!--/);
  assert.match(
    formal,
    /<p style="margin:0cm;font-size:11\.0pt;font-family:&quot;Calibri&quot;,sans-serif"><b>/,
    "p.MsoNormal's format is written into each paragraph",
  );
  assert.equal(report.assets.length, 2, "the HTML's logo and the DOCX's logo: the photos' stand-in pictures are not kept");
  const short = bundle.templates.find((t) => t.name === 'Short')!.source;
  assert.match(short, /<strong>\{\{ user\.displayName \}\}<\/strong>/);
  assert.match(short, /\{\{ user\.jobTitle \}\} – Grüße, \{\{ var\.sos_CurrentUserGenderPronouns \}\}/);
  assert.match(short, /<img alt="" src="\{\{ photo\.manager \}\}" \/>/);

  // Rules: variable, mailbox, group, common; each class in reverse of SOS's order (a later default wins in SOS).
  assert.deepEqual(
    report.rules.map((r) => [r.name, r.enabled, r.defaults]),
    [
      ['SOS: Mit Durchwahl', false, 'none'],
      ['SOS: Shared Info', true, 'none'],
      ['SOS: Short', false, 'reply'],
      ['SOS: Formal Vertrieb', true, 'both'],
      ['SOS: Weihnachten (202612300000Z)', true, 'new'],
      ['SOS: Weihnachten (2026-12-01T00:00)', true, 'new'],
      ['SOS: Formal', true, 'new'],
    ].map(([name, enabled, defaults]) => [name === 'SOS: Weihnachten (202612300000Z)' ? 'SOS: Weihnachten (2026-12-30T00:00)' : name, enabled, defaults]),
  );
  const vertrieb = bundle.rules.find((r) => r.name === 'SOS: Formal Vertrieb')!;
  assert.deepEqual(vertrieb.conditions, { groups: [GROUPS['vertrieb münchen']] });
  assert.deepEqual(vertrieb.exclusions, { groups: [GROUPS.praktikanten], mailboxes: ['jürgen.groß@contoso.example'] });
  const windows = bundle.rules.filter((r) => r.window).map((r) => r.window);
  assert.deepEqual(windows, [
    { from: '2026-12-30T00:00', to: '2027-01-01T00:00', timeZone: 'UTC' },
    { from: '2026-12-01T00:00', to: '2026-12-27T00:00', timeZone: 'Europe/Berlin' },
  ]);
  const durchwahl = bundle.rules.find((r) => r.name === 'SOS: Mit Durchwahl')!;
  assert.deepEqual(durchwahl.conditions, { attributes: [{ attribute: 'businessPhone', operator: 'notEmpty' }] });
  assert.deepEqual(durchwahl.exclusions, { attributes: [{ attribute: 'extensionAttribute1', operator: 'notEmpty' }] });

  const unmapped = report.unmapped.map((u) => `${u.file}:${u.line} ${u.message}`);
  const expectNote = (pattern: RegExp) =>
    assert.ok(
      unmapped.some((u) => pattern.test(u)),
      `reported: ${pattern}\n${unmapped.join('\n')}`,
    );
  expectNote(/_Signatures\.ini:22 -:EntraID Gibt es nicht: no Entra group/);
  expectNote(/_Signatures\.ini:27 writeProtect/);
  expectNote(/_Signatures\.ini:33 -:202612240000-202612242359: "except during"/);
  expectNote(/_Signatures\.ini:40 \$CurrentUserManagerMail\$: only the user's or mailbox's/);
  expectNote(/_Signatures\.ini:41 internal: out-of-office/);
  expectNote(/_Signatures\.ini:42 "somethingodd"/);
  expectNote(/Formal\.htm:\d+ \$CurrentUserCustomAttribute1\$ has no directory equivalent/);
  expectNote(/Short\.docx:0 \$CurrentUserManagerPhoto\$: without a photo/);
  expectNote(/Short\.docx:0 \$CurrentUserGenderPronouns\$ has no directory equivalent/);
  const text = printSosReport(report);
  assert.match(text, /Formal Vertrieb ← Formal\.htm \(htm, 1 image\(s\)\)/);
  assert.match(text, /\$UMMail\$ → manager\.mail/);
  assert.match(text, /var\.sos_VariableX ← \$VariableX\$ in Formal\.htm:\d+/);
});
