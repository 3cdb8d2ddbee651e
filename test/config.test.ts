import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configReference, loadConfig, redactConfig } from '../src/onramp-config.js';
import { ConfigError } from '../src/config/loader.js';

const noFile = join(tmpdir(), 'onramp-no-such-config.json');

test('defaults apply when nothing is configured', () => {
  const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: noFile } });
  assert.equal(config.server.publicPort, 8080);
  assert.equal(config.server.devicePort, 8443);
  assert.equal(config.dataDir, './data');
  assert.equal(config.database.url, undefined);
});

test('environment overrides the file, and lists split on commas', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onramp-cfg-'));
  const file = join(dir, 'onramp.config.json');
  writeFileSync(file, JSON.stringify({ server: { publicPort: 9000, devicePort: 9443 } }));
  const config = loadConfig({ file, env: { ONRAMP_PUBLIC_PORT: '9100', ONRAMP_TRUST_PROXY: '10.0.0.1, 10.0.0.0/8' } });
  assert.equal(config.server.publicPort, 9100);
  assert.equal(config.server.devicePort, 9443);
  assert.deepEqual(config.server.trustProxy, ['10.0.0.1', '10.0.0.0/8']);
});

test('every bad setting is named with its source and reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onramp-cfg-'));
  const file = join(dir, 'onramp.config.json');
  writeFileSync(file, JSON.stringify({ server: { publicPort: 70000, colour: 'blue' } }));
  let problems: ConfigError['problems'] = [];
  try {
    loadConfig({ file, env: { ONRAMP_LOG_LEVEL: 'loud', ONRAMP_BODY_LIMIT_BYTES: 'lots' } });
    assert.fail('expected a ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    problems = err.problems;
  }
  const byKey = Object.fromEntries(problems.map((p) => [p.key, p]));
  assert.match(byKey['server.publicPort']!.message, /65535/);
  assert.equal(byKey['server.publicPort']!.source, file);
  assert.equal(byKey['server.colour']!.message, 'unknown setting');
  assert.match(byKey['log.level']!.message, /must be one of fatal, error, warn, info/);
  assert.equal(byKey['log.level']!.source, 'env ONRAMP_LOG_LEVEL');
  assert.match(byKey['server.bodyLimitBytes']!.message, /expected a number, got "lots"/);
});

test('a file that is not JSON is refused with its path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onramp-cfg-'));
  const file = join(dir, 'onramp.config.json');
  writeFileSync(file, '{ "server": ');
  assert.throws(
    () => loadConfig({ file, env: {} }),
    (err: ConfigError) => err.problems[0]!.source === file && /not valid JSON/.test(err.message),
  );
});

test('secrets are redacted, and URLs keep everything but the password', () => {
  const config = loadConfig({ env: { ONRAMP_CONFIG_FILE: noFile, ONRAMP_DATABASE_URL: 'postgres://onramp:s3cret-pw@db.internal:5432/onramp' } });
  const shown = JSON.stringify(redactConfig(config));
  assert.doesNotMatch(shown, /s3cret-pw/);
  assert.match(shown, /postgres:\/\/onramp:\[redacted\]@db\.internal:5432\/onramp/);
});

test('docs/CONFIGURATION.md is the generated reference', () => {
  const doc = readFileSync(new URL('../docs/CONFIGURATION.md', import.meta.url), 'utf8');
  assert.equal(doc, configReference(), 'regenerate with: node --import tsx src/cli.ts config reference > docs/CONFIGURATION.md');
});

test("single sign-on needs a tenant's own issuer: a multi-tenant authority would let any tenant in", () => {
  for (const issuer of [
    'https://login.microsoftonline.com/common/v2.0',
    'https://login.microsoftonline.com/organizations/v2.0',
    'https://login.microsoftonline.com/consumers',
  ]) {
    assert.throws(
      () => loadConfig({ env: { ONRAMP_CONFIG_FILE: noFile, ONRAMP_OIDC_ISSUER: issuer } }),
      (err: unknown) => err instanceof ConfigError && /auth\.oidc\.issuer/.test(err.message),
      issuer,
    );
  }
  const own = loadConfig({
    env: { ONRAMP_CONFIG_FILE: noFile, ONRAMP_OIDC_ISSUER: 'https://login.microsoftonline.com/8f1c2b2e-5c1d-4c5e-9d3f-2a1b0c9d8e7f/v2.0' },
  });
  assert.match(own.auth.oidc.issuer ?? '', /8f1c2b2e/);
});
