/** The Windows platform's pure parts: folders from the environment, and telling the SYSTEM task apart. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSystemAccount, knownFolders } from './windows-platform.js';
import { regExePath } from './registry.js';

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
