import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readRtf } from '../../../test/support/rtf-reader.js';
import type { PersonAttributes, SignatureImage, SignatureSubject } from '../model.js';
import { sanitiseSignatureHtml } from '../sanitise.js';
import { type CompileOptions, type CompiledTemplate, compileTemplate } from './compile.js';
import { type RenderOptions, renderSignature } from './render.js';
import { rtfEscape } from './rtf.js';

const limits = { maxBytes: 100_000, maxNestingDepth: 48, maxElements: 5000 };

/** A real PNG header (8×4 pixels) and enough of a body to be told apart. */
function png(seed: string, width = 8, height = 4): SignatureImage {
  const header = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  const size = Buffer.alloc(8);
  size.writeUInt32BE(width, 0);
  size.writeUInt32BE(height, 4);
  const bytes = Buffer.concat([header, size, Buffer.from(seed)]);
  return { hash: createHash('sha256').update(bytes).digest('hex'), contentType: 'image/png', bytes };
}

function compile(source: string, options: Partial<CompileOptions> = {}): CompiledTemplate {
  const result = compileTemplate(source, { limits, ...options });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  return result.template;
}

function subject(user: PersonAttributes, more: Partial<SignatureSubject> = {}): SignatureSubject {
  return { user, manager: null, mailbox: user, mailboxManager: null, variables: {}, photos: {}, ...more };
}

const at: RenderOptions = { name: 'Contoso', now: new Date('2026-12-04T23:30:00Z'), timeZone: 'Europe/Berlin' };

test('placeholders of all four people, custom variables, filters and the seed’s fallbacks', () => {
  const template = compile(
    '<p>{{ user.displayName | upcase }}|{{ manager.displayName }}|{{ mailbox.mail }}|{{ mailboxManager.givenName | downcase }}|{{ var.pronouns | capitalize }}|' +
      '{{az_jobtitle, ad_title, custom_title}}|{{ad_mobile, custom_nomobile}}|{{ user.mobilePhone | phone: "e164" }}|{{ now | date: "%d.%m.%Y %H:%M" }}|{{ today }}</p>',
  );
  const out = renderSignature(
    template,
    subject(
      { displayName: 'Ada Lovelace', jobTitle: '', mobilePhone: '+44 (0)20 7946-0000', mail: 'ada@contoso.com' },
      {
        manager: { displayName: 'Charles Babbage' },
        mailbox: { mail: 'sales@contoso.com' },
        mailboxManager: { givenName: 'GRACE' },
        variables: { pronouns: 'she/her', title: 'Analyst', nomobile: 'n/a' },
      },
    ),
    at,
  );
  // Berlin is an hour ahead of UTC in December: the 4th at 23:30 UTC is the 5th there.
  assert.equal(
    out.webHtml,
    '<p>ADA LOVELACE|Charles Babbage|sales@contoso.com|grace|She/her|Analyst|+44 (0)20 7946-0000|+442079460000|05.12.2026 00:30|2026-12-05</p>',
  );
  assert.equal(out.txt, 'ADA LOVELACE|Charles Babbage|sales@contoso.com|grace|She/her|Analyst|+44 (0)20 7946-0000|+442079460000|05.12.2026 00:30|2026-12-05');
});

test('conditional rows, lines and blocks drop when their attribute is empty, and stay when it is not', () => {
  const template = compile(
    [
      '<table>',
      '<tr data-onramp-if="user.mobilePhone"><td>Mobile</td><td>{{ user.mobilePhone }}</td></tr>',
      '<tr data-onramp-if><td>Fax</td><td>{{ user.faxNumber }}</td></tr>',
      '<tr><td>Mail</td><td>{{ user.mail }}</td></tr>',
      '</table>',
      '<p>{{ user.displayName }}<br>',
      '<span data-onramp-if>{{ user.jobTitle }}, {{ user.department }}<br></span>',
      '{% if user.officeLocation %}Office: {{ user.officeLocation }}<br>{% endif %}',
      '{{if_az_city}}City: {{az_city}}<br>{{endif}}',
      'Phone: {{ user.businessPhone }}</p>',
    ].join(''),
  );
  const empty = renderSignature(template, subject({ displayName: 'Ada', mail: 'ada@contoso.com', mobilePhone: '', businessPhone: '+44 1' }), at);
  assert.equal(empty.webHtml, '<table><tr><td>Mail</td><td>ada@contoso.com</td></tr></table><p>Ada<br />Phone: +44 1</p>');
  assert.equal(empty.txt, 'Mail\tada@contoso.com\r\nAda\r\nPhone: +44 1');
  assert.equal(readRtf(empty.rtf).text, 'Mail\tada@contoso.com\nAda\nPhone: +44 1\n');

  const full = renderSignature(
    template,
    subject({
      displayName: 'Ada',
      mail: 'a@c.com',
      mobilePhone: '+44 2',
      faxNumber: '+44 3',
      jobTitle: 'Analyst',
      officeLocation: 'HQ',
      city: 'London',
      businessPhone: '+44 1',
    }),
    at,
  );
  assert.equal(full.txt, ['Mobile\t+44 2', 'Fax\t+44 3', 'Mail\ta@c.com', 'Ada', 'Analyst,', 'Office: HQ', 'City: London', 'Phone: +44 1'].join('\r\n'));
  // A line with one of its two placeholders set stays.
  assert.match(renderSignature(template, subject({ department: 'Research' }), at).txt, /^, Research$/m);
});

test('photos render when the person has one and leave no trace when not; assets by name, by hash, inline and missing', () => {
  const logo = png('logo', 120, 40);
  const banner = png('banner', 600, 100);
  const template = compile(
    '<table><tr><td><img src="{{ photo.user }}" width="64" height="64" alt="Photo"></td>' +
      '<td><img src="asset:logo" alt="Contoso"><img src="asset:{hash}"><img src="{{ photo.manager }}"></td></tr></table>'.replace('{hash}', banner.hash),
    { assets: { logo: logo.hash } },
  );
  assert.deepEqual(template.assets, [logo.hash, banner.hash], 'the assets to load before rendering, by hash');
  const photo = png('ada', 96, 96);
  const assets = (hash: string) => [logo, banner].find((a) => a.hash === hash);
  const withPhoto = renderSignature(template, subject({ displayName: 'Ada' }, { photos: { user: photo } }), { ...at, assets });
  const dataUri = (i: SignatureImage) => `data:image/png;base64,${i.bytes.toString('base64')}`;
  assert.equal(
    withPhoto.webHtml,
    `<table><tr><td><img src="${dataUri(photo)}" width="64" height="64" alt="Photo" /></td><td><img src="${dataUri(logo)}" alt="Contoso" /><img src="${dataUri(banner)}" /></td></tr></table>`,
  );
  assert.deepEqual(
    withPhoto.files.map((f) => [f.path, f.contentType, f.bytes.equals(photo.bytes) || f.bytes.equals(logo.bytes) || f.bytes.equals(banner.bytes)]),
    [
      ['Contoso_files/image001.png', 'image/png', true],
      ['Contoso_files/image002.png', 'image/png', true],
      ['Contoso_files/image003.png', 'image/png', true],
    ],
  );
  assert.match(
    withPhoto.htm,
    /<img src="Contoso_files\/image001.png" width="64" height="64" alt="Photo" \/>.*<img src="Contoso_files\/image002.png" alt="Contoso" \/><img src="Contoso_files\/image003.png" \/>/s,
  );
  const pictures = readRtf(withPhoto.rtf).pictures;
  assert.deepEqual(
    pictures.map((p) => [p.type, p.widthGoal, p.bytes.equals(photo.bytes)]),
    [
      ['png', 64 * 15, true],
      ['png', 120 * 15, false],
      ['png', 600 * 15, false],
    ],
  );

  // No photo, no assets resolver: every image goes, and nothing else changes.
  const bare = renderSignature(template, subject({ displayName: 'Ada' }), at);
  assert.equal(bare.webHtml, '<table><tr><td></td><td></td></tr></table>');
  assert.deepEqual(bare.files, []);
  assert.equal(readRtf(bare.rtf).pictures.length, 0);

  // Web HTML with https URLs instead of data: URIs; Outlook classic keeps its files.
  const byUrl = renderSignature(template, subject({}, { photos: { user: photo } }), {
    ...at,
    assets,
    imageMode: 'url',
    publicBaseUrl: 'https://onramp.contoso.com/signature-images/',
  });
  assert.match(byUrl.webHtml, new RegExp(`<img src="https://onramp.contoso.com/signature-images/${photo.hash}.png" width="64"`));
  assert.equal(byUrl.files.length, 3);
});

test('an image written into the template as a data: URI is kept out of the render and still lands in every output', () => {
  const dot = png('dot', 1, 1);
  const template = compile(`<p><img src="data:image/png;base64,${dot.bytes.toString('base64')}" alt="·"></p>`);
  assert.equal(template.images.get(dot.hash)?.bytes.equals(dot.bytes), true);
  const out = renderSignature(template, subject({}), { ...at, name: 'Müller & Co' });
  assert.equal(out.webHtml, `<p><img src="data:image/png;base64,${dot.bytes.toString('base64')}" alt="·" /></p>`);
  assert.deepEqual(
    out.files.map((f) => f.path),
    ['Müller & Co_files/image001.png'],
  );
  assert.match(out.htm, /<img src="M%C3%BCller%20%26%20Co_files\/image001.png" alt="&#183;" \/>/);
});

test('hostile directory values are text in every output, and a placeholder cannot make a link or image active', () => {
  const template = compile(
    '<p title="{{ user.jobTitle }}"><b>{{ user.displayName }}</b><br><a href="{{ var.website }}">{{ var.website }}</a> <img src="{{ var.website }}"></p>',
  );
  const hostile = subject(
    { displayName: '<img src=x onerror=alert(1)>', jobTitle: '" onmouseover="alert(1)' },
    { variables: { website: 'javascript:alert(1)' } },
  );
  const out = renderSignature(template, hostile, at);
  assert.equal(out.webHtml, '<p title="&quot; onmouseover=&quot;alert(1)"><b>&lt;img src=x onerror=alert(1)&gt;</b><br /><a>javascript:alert(1)</a> </p>');
  assert.equal(sanitiseSignatureHtml(out.webHtml), out.webHtml);
  assert.equal(out.txt, '<img src=x onerror=alert(1)>\r\njavascript:alert(1)');
  assert.equal(readRtf(out.rtf).links.length, 0);
  assert.doesNotMatch(out.htm, /<img src=x|onmouseover="/);

  // The renderer's own marks in a value are dropped, and the values after it stay in their places.
  const marks = renderSignature(compile('<p>{{ user.displayName }}|{{ user.jobTitle }}</p>'), subject({ displayName: 'a\u0001b\u0000c', jobTitle: 'T' }), at);
  assert.equal(marks.webHtml, '<p>abc|T</p>');
});

test('the sanitiser finds nothing to remove in what the renderer writes', () => {
  const logo = png('logo', 120, 40);
  const template = compile(
    [
      '<table cellpadding="0" cellspacing="0" style="border-collapse:collapse;font-family:Segoe UI, Arial;color:rgb(0, 120, 212)">',
      '<tr><td valign="top" style="padding-right:12px"><img src="asset:logo" width="120" alt="Contoso &amp; Co"></td>',
      '<td><font face="Arial" size="2" color="#333333"><b>{{ user.displayName }}</b></font><br>',
      '<span style="color:#888;font-size:9pt;position:absolute">{{ user.jobTitle }}</span><br>',
      '<a href="mailto:{{ user.mail }}" target="_blank">{{ user.mail }}</a> &nbsp;|&nbsp; <a href="tel:{{ user.mobilePhone | phone: "e164" }}">{{ user.mobilePhone | phone }}</a>',
      '<hr><ul><li>one</li></ul><h2 align="center">R&amp;D &lt;3</h2></td></tr></table>',
    ].join('\n'),
    { assets: { logo: logo.hash } },
  );
  const out = renderSignature(template, subject({ displayName: 'Zoë "Z" <Ng>', jobTitle: 'R&D', mail: 'zoe@contoso.com', mobilePhone: '+49 170 1' }), {
    ...at,
    assets: () => logo,
  });
  assert.equal(sanitiseSignatureHtml(out.webHtml), out.webHtml);
  assert.match(out.webHtml, /<span style="color:#888;font-size:9pt">/, 'a style property outside the allow-list goes, the rest stays');
});

test('non-ASCII comes out right in all four: umlauts, accents, CJK, Hebrew and Arabic right to left, emoji', () => {
  const template = compile(
    '<p><b>{{ user.displayName }}</b><br>{{ user.jobTitle }}<br><span dir="rtl">{{ var.hebrew }} {{ var.arabic }}</span><br>{{ user.city }} {{ var.mood }}</p>',
  );
  const values = {
    name: 'Jürgen Müller-Lüdenscheidt',
    title: 'Directeur général · Ñandú',
    city: '東京都 서울',
    hebrew: 'שלום עולם',
    arabic: 'مرحبا بالعالم',
    mood: '😀👍🏽',
  };
  const out = renderSignature(
    template,
    subject(
      { displayName: values.name, jobTitle: values.title, city: values.city },
      { variables: { hebrew: values.hebrew, arabic: values.arabic, mood: values.mood } },
    ),
    at,
  );
  const expectedText = [values.name, values.title, `${values.hebrew} ${values.arabic}`, `${values.city} ${values.mood}`];
  // Web HTML: UTF-8 as is; Exchange takes it as a string.
  assert.equal(
    out.webHtml,
    `<p><b>${values.name}</b><br />${values.title}<br /><span dir="rtl">${values.hebrew} ${values.arabic}</span><br />${values.city} ${values.mood}</p>`,
  );
  // HTM: pure ASCII, every other character a numeric reference (one per code point, emoji included).
  assert.match(out.htm, /^[\x20-\x7e\r\n]*$/);
  assert.match(out.htm, /<meta http-equiv="Content-Type" content="text\/html; charset=utf-8">/);
  assert.match(out.htm, /J&#252;rgen M&#252;ller-L&#252;denscheidt/);
  assert.match(out.htm, /&#128512;&#128077;&#127997;/);
  assert.match(out.htm, /<span dir="rtl">&#1513;&#1500;&#1493;&#1501; &#1506;&#1493;&#1500;&#1501; &#1605;/);
  const decoded = out.htm.replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));
  for (const line of expectedText) assert.ok(decoded.includes(line.split(' ')[0]!), line);
  // RTF: ASCII only, read back to the same text.
  assert.match(out.rtf, /^[\x20-\x7e\r\n]*$/);
  const rtf = readRtf(out.rtf);
  assert.equal(rtf.text, `${expectedText.join('\n')}\n`);
  assert.equal(rtf.runs.find((r) => r.text === values.name)?.bold, true);
  assert.match(out.rtf, /\\rtlpar\\rtlch/);
  // Text: as is.
  assert.equal(out.txt, expectedText.join('\r\n'));
});

test('RTF carries formatting, links and table rows the reader sees', () => {
  const template = compile(
    '<table><tr><td><span style="font-family:\'Segoe UI\', Arial;font-size:12pt;color:#0078d4;font-weight:bold">{{ user.displayName }}</span></td>' +
      '<td><i>{{ user.jobTitle }}</i> <u>u</u> {a\\b}</td></tr>' +
      '<tr><td><a href="https://contoso.com/?q=1&amp;r=&quot;2&quot;">Contoso</a> <a href="mailto:{{ user.mail }}">{{ user.mail }}</a></td></tr></table>',
  );
  const out = renderSignature(template, subject({ displayName: 'Ada', jobTitle: 'Analyst', mail: 'ada@contoso.com' }), at);
  const rtf = readRtf(out.rtf);
  assert.equal(rtf.text, 'Ada\tAnalyst u {a\\b}\nContoso ada@contoso.com\n');
  const ada = rtf.runs.find((r) => r.text === 'Ada');
  assert.deepEqual(ada && [ada.bold, ada.fontSize, ada.colour, ada.font], [true, 24, '#0078d4', 'Segoe UI']);
  assert.equal(rtf.runs.find((r) => r.text === 'Analyst')?.italic, true);
  assert.equal(rtf.runs.find((r) => r.text === 'u')?.underline, true);
  assert.deepEqual(rtf.links, [
    { url: 'https://contoso.com/?q=1&r=%222%22', text: 'Contoso' },
    { url: 'mailto:ada@contoso.com', text: 'ada@contoso.com' },
  ]);
  assert.equal(out.txt, 'Ada\tAnalyst u {a\\b}\r\nContoso <https://contoso.com/?q=1&r="2"> ada@contoso.com');
});

test('the hash is stable for the same render and changes with any output', () => {
  const template = compile('<p>{{ user.displayName }}<img src="{{ photo.user }}"></p>');
  const photo = png('p');
  const one = renderSignature(template, subject({ displayName: 'Ada' }, { photos: { user: photo } }), at);
  assert.equal(renderSignature(template, subject({ displayName: 'Ada' }, { photos: { user: photo } }), at).hash, one.hash);
  assert.match(one.hash, /^[0-9a-f]{64}$/);
  assert.notEqual(renderSignature(template, subject({ displayName: 'Ada' }, { photos: { user: png('q') } }), at).hash, one.hash);
  assert.notEqual(renderSignature(template, subject({ displayName: 'Ada' }), at).hash, one.hash);
  assert.notEqual(renderSignature(template, subject({ displayName: 'Ada' }, { photos: { user: photo } }), { ...at, name: 'Other' }).hash, one.hash);
});

test('the complete example of docs/SIGNATURES.md compiles and renders as the page says', () => {
  const docs = readFileSync(new URL('../../../docs/SIGNATURES.md', import.meta.url), 'utf8');
  const example = /## A complete example\s+```html\n([\s\S]*?)```/.exec(docs)?.[1];
  assert.ok(example, 'the example is in the docs');
  const logo = png('logo', 160, 40);
  const banner = png('banner', 400, 80);
  const template = compile(example, { assets: { logo: logo.hash, 'xmas-banner': banner.hash } });
  const assets = (hash: string) => [logo, banner].find((a) => a.hash === hash);
  const ada = subject(
    { displayName: 'Ada Lovelace', jobTitle: 'Analyst', department: '', mobilePhone: '+44 (0)20 7946 0000', mail: 'ada@contoso.com' },
    { variables: { pronouns: 'she/her', company: 'Contoso Ltd' }, photos: { user: png('ada', 96, 96) } },
  );
  const december = renderSignature(template, ada, { ...at, now: new Date('2026-12-10T12:00:00Z'), assets });
  assert.equal(december.txt, ['Ada Lovelace she/her', 'Analyst ·', 'Mobile: +44 20 7946 0000', 'ada@contoso.com', 'Contoso Ltd'].join('\r\n'));
  assert.match(december.webHtml, /<a href="tel:\+442079460000">\+44 20 7946 0000<\/a>/);
  assert.equal(december.files.length, 3, 'photo, banner and logo');
  const january = renderSignature(template, subject({ displayName: 'Bob' }), { ...at, now: new Date('2027-01-10T12:00:00Z'), assets });
  assert.equal(january.txt, 'Bob');
  assert.deepEqual(
    january.files.map((f) => f.bytes.equals(logo.bytes)),
    [true],
    'no photo, no banner in January: only the logo',
  );
});

test('unless and case work as in Liquid', () => {
  const template = compile(
    '<p>{% unless user.mobilePhone %}no mobile{% endunless %}|{% case user.country %}{% when "DE" %}Grüße{% when "FR" %}Salutations{% else %}Regards{% endcase %}</p>',
  );
  assert.equal(renderSignature(template, subject({ country: 'DE' }), at).txt, 'no mobile|Grüße');
  assert.equal(renderSignature(template, subject({ country: 'US', mobilePhone: '1' }), at).txt, '|Regards');
});

test('a render does not depend on the renders before it (programs, styles and encodings are cached)', () => {
  const logo = png('logo', 120, 40);
  const template = compile(
    '<table style="color:#333"><tr><td><img src="{{ photo.user }}" width="48"></td><td><b style="color:#0078d4">{{ user.displayName }}</b><br>' +
      '<span data-onramp-if="user.mobilePhone">M: {{ user.mobilePhone }}<br></span>{% if var.x %}<i>{{ var.x }}</i>{% endif %}<img src="asset:logo"></td></tr></table>',
    { assets: { logo: logo.hash } },
  );
  const options = { ...at, assets: () => logo };
  const people = Array.from({ length: 40 }, (_, i) =>
    subject(
      { displayName: `Person ${i} Ünal`, mobilePhone: i % 2 ? `+49 ${i}` : null },
      { variables: i % 3 ? { x: `v${i}` } : {}, photos: i % 4 ? { user: png(`p${i}`, 48, 48) } : {} },
    ),
  );
  const cold = people.map((p) => renderSignature(compile(template.source, { assets: { logo: logo.hash } }), p, options));
  const warm = people.map((p) => renderSignature(template, p, options));
  const again = people
    .reverse()
    .map((p) => renderSignature(template, p, options))
    .reverse();
  assert.deepEqual(warm, cold);
  assert.deepEqual(again, cold);
});

test('plain text prints a link target only when it says more than the link text', () => {
  const template = compile(
    '<a href="mailto:{{ user.mail }}">{{ user.mail }}</a><br><a href="tel:{{ user.mobilePhone | phone: "e164" }}">{{ user.mobilePhone | phone }}</a><br><a href="https://contoso.example/">contoso.example</a><br><a href="https://contoso.example/jobs">Jobs</a><br><a href="tel:+4989123">Call us</a>',
  );
  const { txt } = renderSignature(template, subject({ mail: 'Ana@Contoso.example', mobilePhone: '+49 (0)170 123-45' }), at);
  assert.equal(txt, 'Ana@Contoso.example\r\n+49 170 123 45\r\ncontoso.example\r\nJobs <https://contoso.example/jobs>\r\nCall us <+4989123>');
});

test('RTF text escapes its specials, drops control characters and writes non-ASCII as signed UTF-16 units', () => {
  assert.equal(rtfEscape('plain ASCII, 1-2-3'), 'plain ASCII, 1-2-3');
  assert.equal(rtfEscape('a\\{b}\tc\u00a0d\u0001\u007fü😀!'), 'a\\\\\\{b\\}\\tab c\\~d\\u252?\\u-10179?\\u-8704?!');
});
