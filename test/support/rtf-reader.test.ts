import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readRtf } from './rtf-reader.js';

test('the test RTF reader reads a Word-style signature: code-page bytes, \\u with fallbacks, surrogate pairs, fields, pictures', () => {
  const doc = readRtf(readFileSync(new URL('../fixtures/rtf/word-style-signature.rtf', import.meta.url), 'latin1'));
  assert.equal(doc.text, 'Jürgen Müller\nStraße 1, 80331 München — Café 東京 שלום 😀\njuergen@contoso.com\t{braces} and a back\\slash\n\n');
  assert.deepEqual(doc.fonts, ['Times New Roman', 'Calibri']);
  assert.deepEqual(doc.colours, ['auto', '#000000', '#0563c1', '#0078d4']);
  const name = doc.runs.find((r) => r.text === 'Jürgen Müller');
  assert.deepEqual(name && { bold: name.bold, fontSize: name.fontSize, colour: name.colour, font: name.font }, {
    bold: true,
    fontSize: 22,
    colour: '#0078d4',
    font: 'Calibri',
  });
  assert.deepEqual(doc.links, [{ url: 'mailto:juergen@contoso.com', text: 'juergen@contoso.com' }]);
  assert.equal(doc.runs.find((r) => r.text === 'juergen@contoso.com')?.underline, true);
  // The PNG, not Word's WMF fallback for old readers.
  assert.equal(doc.pictures.length, 1);
  assert.deepEqual([doc.pictures[0]!.type, doc.pictures[0]!.widthGoal, doc.pictures[0]!.bytes.subarray(1, 4).toString()], ['png', 960, 'PNG']);
});

test('the test RTF reader refuses what is not RTF', () => {
  assert.throws(() => readRtf('<html></html>'), /not an RTF document/);
});
