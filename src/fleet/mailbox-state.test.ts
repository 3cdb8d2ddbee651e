/**
 * The per-place verdicts the API tests cannot reach through the simulator in a few seconds: a push
 * blocked before roaming was turned off, a mailbox gone from Exchange, the add-in inserting none or an
 * older version, a mailbox no rule gives a signature. Pure domain code: facts in, states and reasons out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MailboxState } from '../signatures/deployment.schemas.js';
import type { AddinSignatureReport } from '../addin/addin-states.js';
import { mailboxSignatureState } from './mailbox-state.js';

const AT = '2026-12-04T10:00:00.000Z';
const HASH = 'f'.repeat(64);

function facts(exchange: Partial<NonNullable<MailboxState['exchange']>> | null, o: { expected?: boolean; roaming?: boolean | null } = {}): MailboxState {
  return {
    mailbox: 'ann@contoso.com',
    userPrincipalName: 'ann@contoso.com',
    expected:
      o.expected === false
        ? null
        : { setHash: 's', signatures: [{ templateId: 1, templateVersion: 2, name: 'Standard', defaultFor: ['new', 'reply'], hash: HASH }] },
    exchange: exchange && {
      mailbox: 'ann@contoso.com',
      userPrincipalName: 'ann@contoso.com',
      result: 'set',
      reason: null,
      attemptedAt: AT,
      pushedAt: AT,
      upToDate: true,
      replyDiffers: false,
      runId: 1,
      ...exchange,
    },
    devices: [],
    roaming: { enabled: o.roaming ?? false, checkedAt: AT, fix: 'Set-OrganizationConfig …', explanation: '' },
  };
}
const report = (r: Partial<AddinSignatureReport>): AddinSignatureReport => ({
  platform: 'pc',
  compose: 'new',
  outcome: 'inserted',
  version: HASH,
  reason: null,
  hostVersion: null,
  reportedAt: AT,
  ...r,
});

test('Exchange: blocked before roaming was turned off, gone, older, never pushed', () => {
  const blocked = mailboxSignatureState(facts({ result: 'blocked', pushedAt: null, upToDate: false }), []);
  assert.deepEqual(
    [blocked.exchange.state, blocked.exchange.reason],
    ['missing', 'not pushed since roaming signatures were turned off; the next push sets it'],
  );
  const gone = mailboxSignatureState(facts({ result: 'gone', upToDate: false }), []);
  assert.deepEqual([gone.exchange.state, gone.exchange.reason], ['missing', 'the mailbox is no longer in Exchange']);
  const older = mailboxSignatureState(facts({ upToDate: false }), []);
  assert.deepEqual([older.exchange.state, older.state], ['differs', 'differs']);
  const never = mailboxSignatureState(facts(null), []);
  assert.deepEqual([never.exchange.state, never.exchange.reason, never.exchange.result], ['missing', 'not pushed to Exchange yet', null]);
  // Roaming on outweighs a copy pushed earlier: Outlook ignores it.
  const roaming = mailboxSignatureState(facts({}, { roaming: true }), []);
  assert.deepEqual([roaming.exchange.state, roaming.reasons], ['failed', ['roaming signatures on: Exchange ignores pushed signatures']]);
});

test('add-in: none where one is expected, an older version, an appointment takes the new-mail signature', () => {
  const state = mailboxSignatureState(facts({}), [
    report({ compose: 'reply', outcome: 'none', version: null }),
    report({ platform: 'mac', version: 'a'.repeat(64) }),
    report({ compose: 'appointment' }),
  ]);
  assert.deepEqual(
    state.addin.map((a) => [a.platform, a.compose, a.state, a.reason]),
    [
      ['pc', 'reply', 'missing', 'add-in inserted no signature on pc (reply)'],
      ['mac', 'new', 'differs', 'add-in inserted an older version on mac (new)'],
      ['pc', 'appointment', 'upToDate', null],
    ],
  );
  assert.equal(state.state, 'differs');
  assert.deepEqual(state.reasons, ['add-in inserted an older version on mac (new)', 'add-in inserted no signature on pc (reply)']);
});

test('no rule gives the mailbox a signature: missing, and a copy left in Exchange differs', () => {
  const none = mailboxSignatureState(facts(null, { expected: false }), []);
  assert.deepEqual([none.state, none.reasons], ['missing', ['no rule gives this mailbox a signature']]);
  const left = mailboxSignatureState(facts({}, { expected: false }), [report({ outcome: 'none', version: null })]);
  assert.deepEqual([left.state, left.exchange.reason], ['differs', 'Exchange holds a signature no rule gives any more']);
  assert.equal(left.addin[0]?.state, 'upToDate', 'the add-in rightly inserted none');
});
