/** The Windows platform's pure parts: folders from the environment, telling the SYSTEM task apart, finding the signed-in user. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordedRegistryFile } from '../fake-root.js';
import { asUpn, LOCAL_ACCOUNT } from '../user.js';
import { regExePath } from './registry.js';
import { OFFICE_IDENTITIES_KEY, windowsSignedInUser } from './signed-in-user.js';
import { isSystemAccount, knownFolders, WindowsPlatform } from './windows-platform.js';

const USER = {
  APPDATA: 'C:\\Users\\alice\\AppData\\Roaming',
  LOCALAPPDATA: 'C:\\Users\\alice\\AppData\\Local',
  ProgramData: 'C:\\ProgramData',
  USERPROFILE: 'C:\\Users\\alice',
  USERNAME: 'alice',
  SystemRoot: 'C:\\WINDOWS',
};

test("a user's folders come from the environment, the agent's own under %LOCALAPPDATA%", () => {
  const folders = knownFolders(USER);
  assert.equal(folders.appData, USER.APPDATA);
  assert.equal(folders.localAppData, USER.LOCALAPPDATA);
  assert.equal(folders.agentData, 'C:\\Users\\alice\\AppData\\Local\\onramp-agent');
  assert.equal(folders.programData, 'C:\\ProgramData\\onramp');
  assert.throws(() => knownFolders({ ...USER, APPDATA: undefined }), /%APPDATA% is not set/);
});

test('SYSTEM is told apart by its profile or its machine account name, a person is not', () => {
  assert.equal(isSystemAccount(USER), false);
  assert.equal(isSystemAccount({ ...USER, USERPROFILE: 'C:\\WINDOWS\\system32\\config\\systemprofile', USERNAME: 'SYSTEM' }), true);
  assert.equal(isSystemAccount({ ...USER, USERNAME: 'PC-042$' }), true);
});

test('reg.exe is run from System32 by its full path', () => {
  assert.equal(regExePath(USER), 'C:\\WINDOWS\\System32\\reg.exe');
});

describe('the signed-in user (upn "auto")', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onramp-agent-user-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  /** Office's identities as the registry holds them, in a recorded registry of their own. */
  async function registryWith(identities: Record<string, string>): Promise<RecordedRegistryFile> {
    const registry = new RecordedRegistryFile(join(dir, `registry-${n++}.json`));
    for (const [id, email] of Object.entries(identities))
      await registry.write(`${OFFICE_IDENTITIES_KEY}\\${id}`, 'EmailAddress', { type: 'REG_SZ', data: email });
    return registry;
  }
  const whoamiSays = (upn: string | null) => async () => upn;

  test("whoami /upn's answer wins; only UPN-shaped output counts (Wine prints DOMAIN\\user for /upn)", async () => {
    assert.equal(asUpn('Alice@Contoso.com\r\n'), 'alice@contoso.com');
    assert.equal(asUpn('VM\\root\r\n'), null);
    assert.equal(asUpn('ERROR: Unable to get User Principal Name (UPN) as the current logged-on user is not a domain user.'), null);
    const registry = await registryWith({ aaaa_ADAL: 'office@contoso.com' });
    assert.deepEqual(await windowsSignedInUser(registry, USER, whoamiSays('alice@contoso.com')), { upn: 'alice@contoso.com', source: 'whoami /upn' });
  });

  test("without a UPN in the token, Office's one work identity is taken; personal accounts are not read", async () => {
    const registry = await registryWith({ aaaa_ADAL: 'Alice@Contoso.com', bbbb_LiveId: 'alice@outlook.com' });
    const user = await windowsSignedInUser(registry, USER, whoamiSays(null));
    assert.equal(user.upn, 'alice@contoso.com');
    assert.match(user.upn === null ? '' : user.source, /Office's work identity/);
  });

  test('two different work identities, or none: a local account, per-user elements skipped', async () => {
    const cases: Record<string, string>[] = [{ aaaa_ADAL: 'alice@contoso.com', cccc_ADAL: 'bob@fabrikam.com' }, { bbbb_LiveId: 'alice@outlook.com' }, {}];
    for (const identities of cases) {
      const user = await windowsSignedInUser(await registryWith(identities), USER, whoamiSays(null));
      assert.deepEqual(user, { upn: null, reason: LOCAL_ACCOUNT });
    }
  });

  test('SYSTEM has no signed-in user to find', async () => {
    const platform = new WindowsPlatform({ env: { ...USER, USERPROFILE: 'C:\\WINDOWS\\system32\\config\\systemprofile', USERNAME: 'SYSTEM' } });
    assert.equal((await platform.signedInUser()).upn, null);
  });
});
