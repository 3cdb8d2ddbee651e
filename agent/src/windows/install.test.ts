/** The install kit's sample config is one the agent accepts (the install script writes the same fields). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAgentConfig } from '../config.js';

const INSTALL = join(import.meta.dirname, '..', '..', 'install');

test('the sample config passes the agent config schema', () => {
  const config = parseAgentConfig(JSON.parse(readFileSync(join(INSTALL, 'onramp-agent.sample.json'), 'utf8')), 'C:\\ProgramData\\onramp');
  assert.equal(config.serverUrl, 'https://onramp.contoso.com:8443');
  assert.ok('pfxFile' in config.credentials);
  assert.equal(config.upn, 'auto', 'the signed-in user is found by the agent');
});

test('install.ps1 writes only fields the agent config knows', () => {
  const script = readFileSync(join(INSTALL, 'install.ps1'), 'utf8');
  const written = [...script.matchAll(/\$(?:settings|pfx)\.(\w+) =|(\w+) = \$(?:ServerUrl|Upn|JitterMinutes|CertFile|KeyFile|PfxFile)\b/g)].map(
    (m) => m[1] ?? m[2],
  );
  assert.deepEqual(written.sort(), ['caFile', 'certFile', 'jitterMinutes', 'keyFile', 'passphraseFile', 'pfxFile', 'screensaverPlayer', 'serverUrl', 'upn']);
  const raw = {
    serverUrl: 'https://onramp.contoso.com:8443',
    upn: 'alice@contoso.com',
    credentials: { certFile: 'c.pem', keyFile: 'c.key' },
    jitterMinutes: 15,
    caFile: 'ca.pem',
    screensaverPlayer: 'C:\\Windows\\System32\\onramp.scr',
  };
  assert.doesNotThrow(() => parseAgentConfig(raw, 'C:\\ProgramData\\onramp'));
  // -Upn's default and its check are the config's.
  assert.match(script, /\[ValidatePattern\('\^\(auto\|\[\^@\\s\]\+@\[\^@\\s\]\+\)\$'\)\]\s+\[string\] \$Upn = 'auto'/);
});
