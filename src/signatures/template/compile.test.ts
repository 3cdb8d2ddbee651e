import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TemplateProblem } from '../model.js';
import { type CompileOptions, compileTemplate } from './compile.js';
import { formatPhone } from './filters.js';

const limits = { maxBytes: 20_000, maxNestingDepth: 12, maxElements: 60 };
const options: CompileOptions = { limits, variables: ['pronouns', 'title'], assets: { logo: 'a'.repeat(64) } };

function problemsOf(source: string, opts: CompileOptions = options): TemplateProblem[] {
  const result = compileTemplate(source, opts);
  assert.equal(result.ok, false, `expected problems in ${source}`);
  return result.ok ? [] : result.problems;
}

/** The one problem a source has, as "line:column message". */
function problemOf(source: string, opts: CompileOptions = options): string {
  const problems = problemsOf(source, opts);
  assert.equal(problems.length, 1, JSON.stringify(problems));
  return `${problems[0]!.line}:${problems[0]!.column} ${problems[0]!.message}`;
}

test('a template in our syntax and the seed’s compiles, and says which placeholders it reads', () => {
  const result = compileTemplate(
    [
      '<p><b>{{ user.displayName }}</b> {{ var.pronouns }}<br>',
      '{{ manager.displayName | upcase }} · {{ mailbox.mail }} · {{ mailboxManager.jobTitle | downcase | capitalize }}<br>',
      '{{az_displayname, ad_displayname, custom_title}} {{ad_telephonenumber}}<br>',
      '{% if user.mobilePhone %}Mobile: {{ user.mobilePhone | phone }}{% endif %}',
      '{{if_az_mobilephone}}M{{endif}} {{ now | date: "%d.%m.%Y" }} {% if today >= "2026-12-01" %}X{% endif %}',
      '<img src="{{ photo.user }}" alt=""><img src="asset:logo"></p>',
    ].join('\n'),
    options,
  );
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  assert.deepEqual(result.placeholders, [
    'mailbox.mail',
    'mailboxManager.jobTitle',
    'manager.displayName',
    'now',
    'photo.user',
    'today',
    'user.businessPhone',
    'user.displayName',
    'user.mobilePhone',
    'var.pronouns',
    'var.title',
  ]);
});

test('unknown placeholders, namespaces, filters and variables are problems at their line and column', () => {
  assert.equal(problemOf('<p>Hi\n  {{ user.displayname }}</p>'), '2:6 unknown attribute "user.displayname" (did you mean displayName?)');
  assert.equal(
    problemOf('<p>{{ boss.mail }}</p>'),
    '1:7 unknown placeholder "boss.mail": names start with user, manager, mailbox, mailboxManager, var, photo, now, today',
  );
  assert.equal(problemOf('<p>{{ var.nickname }}</p>'), '1:7 unknown custom variable "nickname"');
  assert.equal(compileTemplate('<p>{{ var.nickname }}</p>', { limits }).ok, true, 'without a list of variables any name goes');
  assert.equal(problemOf('<p>{{ user }}</p>'), '1:7 name an attribute: user.displayName, user.mail, …');
  assert.equal(problemOf('<p>{{ user.mail | shout }}</p>'), '1:4 undefined filter: shout');
  assert.equal(problemOf('<p>{{ user.mail | raw }}</p>'), '1:4 undefined filter: raw');
  assert.equal(problemOf('<p>{% assign user = "x" %}</p>'), '1:14 "user" is a placeholder namespace: assign another name');
  // Seed syntax: positions in what the admin wrote, not in the translation; every problem at once.
  assert.deepEqual(
    problemsOf('<p>ab\ncd {{az_displayname, az_shoesize}} {{ user.x }}</p>').map((p) => `${p.line}:${p.column} ${p.message}`),
    ['2:22 unknown attribute "az_shoesize"', '2:39 unknown attribute "user.x"'],
  );
  assert.equal(problemOf('{{az_title}} and\n{{ user.nope }}'), '2:4 unknown attribute "user.nope"');
});

test('loops, includes, layouts and other tags are not part of the language', () => {
  for (const tag of ['{% for x in user %}{% endfor %}', "{% include 'x' %}", "{% render 'x' %}", "{% layout 'x' %}", '{% increment n %}', '{% cycle "a" %}']) {
    const problems = problemsOf(`<p>${tag}</p>`);
    assert.match(problems[0]!.message, /tag ".+" not found/, tag);
    assert.equal(problems[0]!.column, 4);
  }
});

test('unclosed blocks and tags are problems where they open', () => {
  assert.equal(problemOf('<p>x</p>\n{% if user.mail %}<b>m</b>'), '2:1 tag {% if user.mail %} not closed');
  assert.equal(problemOf('<p>{{ user.mail </p>').split(' ')[0], '1:4');
  assert.equal(problemOf('<p>x</p>\n<b>{{ user.mail }}'), '2:1 <b> is never closed');
  assert.equal(problemOf('<p>x</p><a href="https://x"'), '1:9 this tag is never closed with >');
  assert.equal(compileTemplate('<table><tr><td>a<td>b</table><p>one<p>two', options).ok, true, 'HTML closes cells and paragraphs itself');
});

test('every unsafe construct is a problem at its line and column', () => {
  const cases: Array<[string, string]> = [
    ['<p>x</p>\n<script>alert(1)</script>', '2:1 <script> is not allowed in a signature'],
    ['<p>\n  <img src="https://x/a.png" onerror="alert(1)"></p>', '2:30 event handler attribute onerror is not allowed'],
    ['<p ONCLICK="x">t</p>', '1:4 event handler attribute onclick is not allowed'],
    ['<a href="javascript:alert(1)">x</a>', '1:4 href with a script URL is not allowed'],
    ['<a href="&#106;avascript:alert(1)">x</a>', '1:4 href with a script URL is not allowed'],
    ['<a href=" java\tscript:alert(1)">x</a>', '1:4 href with a script URL is not allowed'],
    ['<a href="vbscript:msgbox">x</a>', '1:4 href with a script URL is not allowed'],
    ['<a href="data:text/html,<script>x</script>">x</a>', '1:4 href with a data: URL is only allowed as an image source'],
    ['<img src="data:text/html;base64,PHNjcmlwdD4=">', '1:6 data: images must be PNG, JPEG or GIF, base64-encoded'],
    ['<img src="data:image/svg+xml;base64,PHN2Zz4=">', '1:6 data: images must be PNG, JPEG or GIF, base64-encoded'],
    ['<p style="width:expression(alert(1))">x</p>', '1:4 unsafe CSS in style (expression(), javascript:, behavior, url() of a script)'],
    ['<p style="background:url(javascript:alert(1))">x</p>', '1:4 unsafe CSS in style (expression(), javascript:, behavior, url() of a script)'],
    ['<p style="width:expr\\65 ssion(alert(1))">x</p>', '1:4 unsafe CSS in style (expression(), javascript:, behavior, url() of a script)'],
    ['<style>p{width:expression(alert(1))}</style>', '1:8 unsafe CSS in <style> (expression(), javascript:, behavior)'],
    ['<style>p{color:red}</style>', '1:8 <style> is not kept in signatures: use style attributes'],
    ['<iframe src="https://x"></iframe>', '1:1 <iframe> is not allowed in a signature'],
    ['<object data="x"></object>', '1:1 <object> is not allowed in a signature'],
    ['<embed src="x.swf">', '1:1 <embed> is not allowed in a signature'],
    ['<form action="https://x"><p>x</p></form>', '1:1 <form> is not allowed in a signature'],
    ['<base href="https://evil/">', '1:1 <base> is not allowed in a signature'],
    ['<meta http-equiv="refresh" content="0;url=https://evil">', '1:1 <meta http-equiv> is not allowed'],
    ['<section>x</section>', '1:1 <section> is not an element signatures keep'],
    ['<a href="contact.html">x</a>', '1:4 a link starts with https://, http://, mailto: or tel:'],
    [
      '<img src="logo.png">',
      '1:6 an image source is asset:<name or sha256>, {{ photo.user }} (or manager, mailbox, mailboxManager), https://… or a data:image',
    ],
    ['<img src="asset:banner">', '1:6 unknown asset "banner"'],
    ['<p>{{ photo.user }}</p>', '1:4 photo.user is an image: use it as <img src="{{ photo.user }}">'],
    [
      '<td {% if user.mail %}style="color:red"{% endif %}>x</td>',
      "1:5 Liquid inside <td>'s tag is not supported: put the condition on the element with data-onramp-if, or around it",
    ],
  ];
  for (const [source, expected] of cases) {
    const problems = problemsOf(source);
    assert.equal(`${problems[0]!.line}:${problems[0]!.column} ${problems[0]!.message}`, expected, source);
  }
  // <svg> is refused as an element as well as for its handler.
  assert.deepEqual(
    problemsOf('<svg onload="alert(1)"></svg>').map((p) => p.message),
    ['<svg> is not allowed in a signature', 'event handler attribute onload is not allowed'],
  );
});

test('size, nesting and element limits are problems, checked before anything is parsed deeper', () => {
  assert.equal(problemOf('x'.repeat(20_001)), '1:1 the template is 20001 bytes, more than 20000');
  assert.equal(problemOf(`${'<div>'.repeat(13)}x${'</div>'.repeat(13)}`), '1:61 elements are nested more than 12 deep');
  assert.equal(problemOf('<br>'.repeat(61)), '1:241 the template has more than 60 elements');
});

test('data-onramp-if takes a condition, or tests the placeholders inside; problems in it point at it', () => {
  assert.equal(compileTemplate('<p data-onramp-if="user.mobilePhone and var.title">x</p>', options).ok, true);
  assert.equal(problemOf('<p>\n<span data-onramp-if="user.mobile">x</span></p>'), '2:7 unknown attribute "user.mobile"');
  assert.equal(problemOf('<p data-onramp-if>static</p>'), '1:4 data-onramp-if without a condition needs a placeholder inside the element');
  assert.equal(problemOf('<p data-onramp-if="{{ user.mail }}">x</p>'), '1:4 data-onramp-if takes a condition such as "user.mobilePhone", without {{ }}');
});

test('phone numbers: separators made regular, or E.164 for tel: links', () => {
  assert.equal(formatPhone('+49 (0)89 / 1234-567'), '+49 89 1234 567');
  assert.equal(formatPhone('0049 170.123.45'), '+49 170 123 45');
  assert.equal(formatPhone('  (030)  1234 5678 '), '030 1234 5678');
  assert.equal(formatPhone('+49 (0)89 / 1234-567', 'e164'), '+49891234567');
  assert.equal(formatPhone('089 1234567', 'e164', '49'), '+49891234567');
  assert.equal(formatPhone('089 1234567', 'e164'), '0891234567');
  assert.equal(formatPhone('ask reception '), 'ask reception');
  assert.equal(formatPhone(null), '');
});
