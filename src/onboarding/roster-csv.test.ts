import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRoster, parseRoster, type RosterParsed } from './roster-csv.js';

function parsed(text: string): RosterParsed {
  const r = parseRoster(text);
  assert.ok(r.ok, `expected a parse, got ${JSON.stringify(r)}`);
  return r;
}

test('BOM, CRLF and the UPN column found by any of its names in any case', () => {
  const r = parsed('\uFEFFName,UserPrincipalName\r\nAda,ada@example.com\r\nBob,bob@example.com\r\n');
  assert.equal(r.upnHeader, 'UserPrincipalName');
  assert.deepEqual(
    r.entries.map((e) => [e.upn, e.row]),
    [
      ['ada@example.com', 2],
      ['bob@example.com', 3],
    ],
  );
  assert.equal(parsed('EMAIL\nx@example.com').entries[0]?.key, 'x@example.com');
});

test('semicolon files (Excel in many locales), quoted fields with delimiters, doubled quotes and line breaks', () => {
  const r = parsed('Name;UPN;Note\n"Lovelace; Ada";ada@example.com;"said ""hi""\nover two lines"\nBob;bob@example.com;x\n');
  assert.equal(r.delimiter, ';');
  assert.deepEqual(
    r.entries.map((e) => [e.upn, e.row]),
    [
      ['ada@example.com', 2],
      ['bob@example.com', 4],
    ],
  );
  const c = parsed('"UPN","Name"\n"carol@example.com","Carol, C."\n');
  assert.equal(c.delimiter, ',');
  assert.deepEqual(
    c.entries.map((e) => e.upn),
    ['carol@example.com'],
  );
});

test('blank lines ignored; duplicates (any case) reported once and stored once; invalid addresses reported with rows', () => {
  const r = parsed('UPN\n\nada@example.com\n  \nADA@Example.com\nnot-an-address\n;\nbob@example.com\nada@EXAMPLE.com\n\n');
  assert.deepEqual(
    r.entries.map((e) => e.upn),
    ['ada@example.com', 'bob@example.com'],
  );
  assert.deepEqual(r.skipped, [
    { upn: 'ADA@Example.com', row: 5, reason: 'duplicate of row 3' },
    { upn: 'ada@EXAMPLE.com', row: 9, reason: 'duplicate of row 3' },
  ]);
  assert.deepEqual(r.invalid, [{ upn: 'not-an-address', row: 6, reason: 'not a valid address (expected name@domain)' }]);
  assert.equal(r.total, 5);
});

test('a file that cannot be read is rejected whole with the line and the reason', () => {
  assert.deepEqual(parseRoster('Name,Mail\nAda,ada@example.com\n'), {
    ok: false,
    line: 1,
    reason: 'no UPN column: the header needs a column named UPN, UserPrincipalName or Email',
  });
  const unterminated = parseRoster('UPN,Name\nada@example.com,Ada\nbob@example.com,"Bob\nsmith@example.com,x\n');
  assert.equal(unterminated.ok, false);
  assert.deepEqual(unterminated.ok ? null : [unterminated.line, unterminated.reason], [3, 'unterminated quoted field (a " opened here is never closed)']);
  const stray = parseRoster('UPN,Name\n"ada@example.com"x,Ada\n');
  assert.deepEqual(stray.ok ? null : stray.line, 2);
  assert.deepEqual(parseRoster('\uFEFF\r\n\r\n'), { ok: false, line: 1, reason: 'the file is empty (expected a header row with a UPN column)' });
});

test('header only: nothing to store, still a valid file', () => {
  const r = parsed('UPN\r\n');
  assert.deepEqual([r.entries, r.total], [[], 0]);
});

/** Bytes as Excel's "Unicode text" writes them: UTF-16 with a byte-order mark (or none, as some tools). */
function utf16(text: string, order: 'LE' | 'BE', bom = true): Uint8Array {
  const le = Buffer.from((bom ? '\uFEFF' : '') + text, 'utf16le');
  return order === 'LE' ? le : le.swap16();
}

const UNICODE_TEXT = 'Name\tUserPrincipalName\tDepartment\r\nZoë Ångström\tzoe@example.com\tR&D, Lab\r\nBob\tbob@example.com\tSales\r\n';

for (const order of ['LE', 'BE'] as const) {
  test(`UTF-16 ${order} with its byte-order mark, tab-separated (Excel "Unicode text"), is read as such`, () => {
    const decoded = decodeRoster(utf16(UNICODE_TEXT, order));
    assert.ok(decoded.ok);
    assert.equal(decoded.encoding, `UTF-16 ${order}`);
    const r = parsed(decoded.text);
    assert.equal(r.delimiter, '\t');
    assert.equal(r.upnHeader, 'UserPrincipalName');
    assert.deepEqual(
      r.entries.map((e) => [e.upn, e.row]),
      [
        ['zoe@example.com', 2],
        ['bob@example.com', 3],
      ],
    );
  });
}

test('UTF-16 without a byte-order mark is recognised by its zero bytes; UTF-8 with or without BOM stays UTF-8', () => {
  for (const order of ['LE', 'BE'] as const) {
    const decoded = decodeRoster(utf16(UNICODE_TEXT, order, false));
    assert.deepEqual(decoded.ok && [decoded.encoding, parsed(decoded.text).entries.length], [`UTF-16 ${order}`, 2]);
  }
  for (const bytes of [Buffer.from(UNICODE_TEXT), Buffer.from('\uFEFF' + UNICODE_TEXT)]) {
    const decoded = decodeRoster(bytes);
    assert.deepEqual(decoded.ok && [decoded.encoding, parsed(decoded.text).entries[0]?.upn], ['UTF-8', 'zoe@example.com']);
  }
});

test('UTF-16 that does not decode is refused naming the encoding, never "no UPN column"', () => {
  const cut = utf16(UNICODE_TEXT, 'LE').subarray(0, 41); // an odd number of bytes: cut mid-character
  const refused = decodeRoster(cut);
  assert.equal(refused.ok, false);
  assert.match(refused.ok ? '' : refused.reason, /not valid UTF-16 LE text/);
  // Its bytes read as UTF-8 by some client before reaching the parser: named too.
  const misread = parseRoster(Buffer.from(utf16(UNICODE_TEXT, 'LE')).toString('utf8'));
  assert.equal(misread.ok, false);
  assert.match(misread.ok ? '' : misread.reason, /looks like UTF-16 read as UTF-8/);
});

test('tabs win only where the header has more of them than commas or semicolons', () => {
  assert.equal(parsed('UPN\tName, first\tDept\nada@example.com\tAda\tR&D\n').delimiter, '\t');
  assert.equal(parsed('UPN,Name\tx,y\nada@example.com,Ada\n').delimiter, ',');
});

test('profile columns besides the UPN are kept, found by their usual headers; empty cells and a manager that is not an address are null', () => {
  const r = parsed(
    'Display Name,UPN,department,Job_Title,ManagerUPN,Other\n' +
      'Ada Lovelace,ada@example.com,Research,Analyst,boss@example.com,x\n' +
      'Bob,bob@example.com,,Clerk,not a manager,y\n',
  );
  assert.deepEqual(r.profileHeaders, { displayName: 'Display Name', department: 'department', jobTitle: 'Job_Title', managerUpn: 'ManagerUPN' });
  assert.deepEqual(
    r.entries.map((e) => e.profile),
    [
      { displayName: 'Ada Lovelace', department: 'Research', jobTitle: 'Analyst', managerUpn: 'boss@example.com' },
      { displayName: 'Bob', department: null, jobTitle: 'Clerk', managerUpn: null },
    ],
  );
  // A file of UPNs only carries no profile at all.
  assert.equal(parsed('UPN\nx@example.com\n').entries[0]?.profile, undefined);
  assert.equal(parsed(`UPN,Department\nx@example.com,${'d'.repeat(300)}\n`).entries[0]?.profile?.department?.length, 256);
});
