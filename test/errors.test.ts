import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CATALOGUE, OnrampError, STARTUP_ERROR_CODES, type OnrampErrorCode } from '../src/errors.js';

test('every error code is documented in docs/ERRORS.md with its status', () => {
  const doc = readFileSync(new URL('../docs/ERRORS.md', import.meta.url), 'utf8');
  for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) {
    assert.match(doc, new RegExp(`\\| \`${code}\` \\| ${status} \\|`), `${code} (${status}) missing from docs/ERRORS.md`);
  }
  const documented = [...doc.matchAll(/\| `(ONRAMP_ERR_\w+)` \|/g)].map((m) => m[1]);
  assert.deepEqual(
    documented.filter((c) => !(c! in ERROR_CATALOGUE)),
    [],
    'docs/ERRORS.md lists codes that no longer exist',
  );
});

test('codes are ONRAMP_ERR_ names with client or server statuses, and messages fill their slots', () => {
  for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) {
    assert.match(code, /^ONRAMP_ERR_[A-Z_]+$/);
    assert.ok(status >= 400 && status < 600, code);
  }
  const err = new OnrampError('ONRAMP_ERR_BODY_TOO_LARGE', [1024]);
  assert.equal(err.message, 'Request body is larger than the limit of 1024 bytes');
  assert.equal(err.statusCode, 413);
  assert.equal(err.code satisfies OnrampErrorCode, 'ONRAMP_ERR_BODY_TOO_LARGE');
});

test('every start-up error code is documented in docs/ERRORS.md, and no other', () => {
  const doc = readFileSync(new URL('../docs/ERRORS.md', import.meta.url), 'utf8');
  const documented = [...doc.matchAll(/\| `(ONRAMP_START_\w+)` \|/g)].map((m) => m[1]);
  assert.deepEqual(documented.sort(), [...STARTUP_ERROR_CODES].sort());
});
