/**
 * The reg.exe readers against outputs recorded from a real reg.exe (Wine 8.0's, in fixtures/: the
 * layout Windows prints too), and the few cases a recording here cannot show (a localised default name).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addArguments, decodeExport, exportedKey, exportedSubkeys, isExactListing, listedToValue, longKeyName, parseExport, parseQuery } from './reg-output.js';
import { deviceModelName, operatingSystemName } from './facts.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name));
const KEY = 'HKCU\\Software\\Onramp\\T';

describe('reg query listings', () => {
  it('reads every kind from a whole key, and its direct subkeys', () => {
    const listing = parseQuery(fixture('wine-query-key.txt').toString('latin1'), 'HKCU\\Software\\Onramp\\Plain');
    assert.deepEqual(
      listing.values.map((v) => [v.name, v.type, v.data]),
      [
        ['B', 'REG_BINARY', '480069000000'],
        ['D', 'REG_DWORD', '0x2a'],
        ['E', 'REG_SZ', ''],
        ['S', 'REG_SZ', 'hello world'],
      ],
    );
    assert.deepEqual(listing.subkeys, ['Sub 1']);
    assert.deepEqual(listedToValue(listing.values[0]!), { type: 'REG_BINARY', data: Uint8Array.from([0x48, 0, 0x69, 0, 0, 0]) });
    assert.deepEqual(listedToValue(listing.values[1]!), { type: 'REG_DWORD', data: 42 });
    assert.deepEqual(listedToValue(listing.values[2]!), { type: 'REG_SZ', data: '' });
  });

  it('reads one value, the default value and an empty string', () => {
    assert.deepEqual(parseQuery(fixture('wine-query-dword.txt').toString('latin1'), KEY).values, [{ name: 'D', type: 'REG_DWORD', data: '0x2a' }]);
    assert.deepEqual(parseQuery(fixture('wine-query-default.txt').toString('latin1'), KEY).values, [{ name: '(Default)', type: 'REG_SZ', data: 'def' }]);
    assert.deepEqual(parseQuery(fixture('wine-query-empty.txt').toString('latin1'), KEY).values, [{ name: 'E', type: 'REG_SZ', data: '' }]);
  });

  it('takes values from the queried key only, whatever case the hive and path are written in', () => {
    const localised =
      '\r\nHKEY_CURRENT_USER\\Software\\Onramp\\T\r\n    (Standard)    REG_SZ    Wert mit    vier Leerzeichen\r\n\r\nHKEY_CURRENT_USER\\Software\\Onramp\\T\\Sub\r\n    X    REG_SZ    not mine\r\n';
    const listing = parseQuery(localised, 'hkcu\\software\\onramp\\t\\');
    assert.deepEqual(listing.values, [{ name: '(Standard)', type: 'REG_SZ', data: 'Wert mit    vier Leerzeichen' }]);
    assert.deepEqual(listing.subkeys, ['Sub']);
  });

  it('reads a real key of names with spaces and long binary data, and a missing key as nothing', () => {
    const listing = parseQuery(fixture('wine-query-currentversion.txt').toString('latin1'), 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion');
    const byName = new Map(listing.values.map((v) => [v.name, v]));
    assert.equal(byName.get('CurrentBuild')?.data, '18362');
    assert.deepEqual(listedToValue(byName.get('CurrentMajorVersionNumber')!), { type: 'REG_DWORD', data: 10 });
    assert.equal((listedToValue(byName.get('DigitalProductId')!) as { data: Uint8Array }).data.length > 100, true);
    assert.ok(listing.subkeys.includes('Image File Execution Options'));
    assert.deepEqual(parseQuery(fixture('wine-query-missing-key.txt').toString('latin1'), 'HKCU\\Software\\Onramp\\Nope'), { values: [], subkeys: [] });
  });

  it('trusts a listing only when it is plain ASCII: reg.exe prints ? for what its code page lacks', () => {
    assert.equal(isExactListing(fixture('wine-query-key.txt')), true);
    // Recorded: the name "Ünï \"q\" \\x" came out in CP437 and the Cyrillic data as question marks.
    const unicode = fixture('wine-query-unicode.txt');
    assert.equal(isExactListing(unicode), false);
    assert.match(unicode.toString('latin1'), /\?{7} "x"/);
  });

  it('leaves kinds the agent does not write as unreadable rather than guessing', () => {
    assert.equal(listedToValue({ name: 'M', type: 'REG_MULTI_SZ', data: 'a\\0b' }), null);
    assert.equal(listedToValue({ name: 'Q', type: 'REG_QWORD', data: '0x1' }), null);
    assert.deepEqual(listedToValue({ name: 'X', type: 'REG_EXPAND_SZ', data: '%APPDATA%\\x' }), { type: 'REG_SZ', data: '%APPDATA%\\x' });
  });
});

describe('reg export files', () => {
  it('reads the recorded UTF-16 export exactly, escapes and all', () => {
    const keys = parseExport(decodeExport(fixture('wine-export.reg')));
    const own = exportedKey(keys, KEY);
    assert.ok(own);
    assert.deepEqual(own.values.get('Ünï "q" \\x'), { type: 'REG_SZ', data: 'Подписи "x" \\ y' });
    assert.deepEqual(own.values.get(''), { type: 'REG_SZ', data: 'def' });
    assert.deepEqual(own.values.get('D'), { type: 'REG_DWORD', data: 42 });
    assert.deepEqual(own.values.get('B'), { type: 'REG_BINARY', data: Uint8Array.from([0x48, 0, 0x69, 0, 0, 0]) });
    assert.deepEqual(own.values.get('E'), { type: 'REG_SZ', data: '' });
    assert.deepEqual(exportedSubkeys(keys, KEY), ['Sub 1']);
  });

  it('joins hex lists continued over lines and reads expandable strings', () => {
    const text = [
      'Windows Registry Editor Version 5.00',
      '',
      '[HKEY_CURRENT_USER\\Software\\X]',
      '"Long"=hex:01,02,\\',
      '  03,04',
      '"Path"=hex(2):25,00,41,00,25,00,00,00',
      '"Multi"=hex(7):61,00,00,00,00,00',
      '',
    ].join('\r\n');
    const own = exportedKey(parseExport(text), 'HKCU\\Software\\X');
    assert.deepEqual(own?.values.get('Long'), { type: 'REG_BINARY', data: Uint8Array.from([1, 2, 3, 4]) });
    assert.deepEqual(own?.values.get('Path'), { type: 'REG_SZ', data: '%A%' });
    assert.deepEqual(own?.values.get('Multi'), { type: 'other', kind: 'hex(7)' });
  });
});

describe('reg add arguments and key names', () => {
  it('writes text as given, numbers unsigned in decimal, bytes in hex', () => {
    assert.deepEqual(addArguments({ type: 'REG_SZ', data: 'Müller "x"\\' }), ['/t', 'REG_SZ', '/d', 'Müller "x"\\']);
    assert.deepEqual(addArguments({ type: 'REG_DWORD', data: -1 }), ['/t', 'REG_DWORD', '/d', '4294967295']);
    assert.deepEqual(addArguments({ type: 'REG_BINARY', data: Uint8Array.from([0x41, 0, 0, 0]) }), ['/t', 'REG_BINARY', '/d', '41000000']);
    assert.equal(longKeyName('HKLM\\SOFTWARE\\x\\'), 'HKEY_LOCAL_MACHINE\\SOFTWARE\\x');
  });
});

describe('facts from registry values', () => {
  it('names Windows 11 by its build, as ProductName still says 10', () => {
    assert.equal(
      operatingSystemName({ productName: 'Windows 10 Pro', displayVersion: '23H2', currentBuild: '22631', ubr: 4317 }),
      'Windows 11 Pro 23H2 (build 22631.4317)',
    );
    assert.equal(
      operatingSystemName({ productName: 'Windows 10 Enterprise', displayVersion: '22H2', currentBuild: '19045', ubr: null }),
      'Windows 10 Enterprise 22H2 (build 19045)',
    );
    // Recorded under Wine (win10 mode): ProductName "Microsoft Windows 10", build 18362, no DisplayVersion.
    const wine = parseQuery(fixture('wine-query-currentversion.txt').toString('latin1'), 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion');
    const get = (name: string) => wine.values.find((v) => v.name === name)?.data ?? null;
    assert.equal(
      operatingSystemName({ productName: get('ProductName'), displayVersion: get('DisplayVersion'), currentBuild: get('CurrentBuild'), ubr: null }),
      'Windows 10 (build 18362)',
    );
  });

  it('names the model from the firmware, and nothing when the firmware leaves it blank', () => {
    assert.equal(deviceModelName('LENOVO', '20XW0026GE'), 'LENOVO 20XW0026GE');
    assert.equal(deviceModelName('System manufacturer', 'To Be Filled By O.E.M.'), 'System manufacturer');
    const bios = parseQuery(fixture('wine-query-bios.txt').toString('latin1'), 'HKLM\\HARDWARE\\DESCRIPTION\\System\\BIOS');
    const get = (name: string) => bios.values.find((v) => v.name === name)?.data ?? null;
    assert.equal(deviceModelName(get('SystemManufacturer'), get('SystemProductName')), null);
  });
});
