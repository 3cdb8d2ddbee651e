/**
 * Hostile HTML rendered in a real browser (Chromium through playwright-core and test/support/browser.ts, as the portal's
 * browser test): what the signature sanitiser lets through and what the invitation and escalation
 * emails make of hostile names must run no script. Every payload calls `pwned()` if it ever runs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { DEFAULT_SUBJECTS, emailTexts, escalationEmail, userEmail, type Branding } from '../../src/onboarding/email-templates.js';
import { sanitiseSignatureHtml } from '../../src/signatures/sanitise.js';

const PAYLOADS = [
  '<script>pwned()</script>',
  '<img src=x onerror=pwned()>',
  '<svg/onload=pwned()>',
  '<a href="javascript:pwned()" id="l">x</a>',
  '<a href="&#106;avascript:pwned()" id="l2">x</a>',
  '<iframe srcdoc="<script>parent.pwned()</script>"></iframe>',
  '<details open ontoggle=pwned()>',
  '<body onload=pwned()>',
  '<style>@import "javascript:pwned()"</style>',
  '<math><mtext><table><mglyph><style><img src=x onerror=pwned()>',
  '<noscript><p title="</noscript><img src=x onerror=pwned()>">',
  '<scr<script>ipt>pwned()</scr</script>ipt>',
  '<object data="javascript:pwned()"></object>',
  '<meta http-equiv="refresh" content="0;url=javascript:pwned()">',
  '<p style="background:url(javascript:pwned())">s</p>',
  '"><img src=x onerror=pwned()>',
];

let browser: Browser | undefined;
before(async () => {
  browser = await launchChromium();
});
after(async () => browser?.close());

/** Renders `html` as a document, clicks its links, and says whether any script called pwned(). */
async function runsScript(html: string): Promise<boolean> {
  const page = await browser!.newPage();
  let ran = false;
  try {
    await page.exposeFunction('pwned', () => (ran = true));
    await page.setContent(html, { waitUntil: 'load' });
    for (const link of await page.locator('a').all()) await link.click({ timeout: 500, noWaitAfter: true }).catch(() => undefined);
    await page.waitForTimeout(100);
    return ran;
  } finally {
    await page.close();
  }
}

test('the sanitised signature runs no script, whatever it was sent', async () => {
  for (const payload of PAYLOADS) assert.equal(await runsScript(sanitiseSignatureHtml(payload)), false, payload);
  assert.equal(await runsScript('<img src=x onerror=pwned()>'), true, 'the detector detects (unsanitised HTML does run)');
});

test('emails built from hostile names and branding run no script', async () => {
  const branding: Branding = {
    companyName: PAYLOADS[1]!,
    logoUrl: 'javascript:pwned()',
    supportTeam: PAYLOADS[2]!,
    supportEmail: '"><script>pwned()</script>',
    primaryColor: 'red;}</style><script>pwned()</script>',
    accentColor: '#445566',
  };
  for (const payload of PAYLOADS) {
    const invitation = userEmail({
      displayName: payload,
      upn: 'ann@contoso.test',
      token: 'tok',
      publicUrl: 'https://mfa.contoso.test/',
      branding,
      texts: emailTexts('en', { subjects: DEFAULT_SUBJECTS }),
    });
    assert.equal(await runsScript(invitation.html), false, `invitation: ${payload}`);
    const escalation = escalationEmail({
      managerName: payload,
      managerUpn: 'boss@contoso.test',
      employee: { displayName: payload, upn: 'ann@contoso.test', department: payload, jobTitle: payload },
      remindersSent: 3,
      inviteSentDate: '2026-03-02T08:00:00.000Z',
      branding,
      texts: emailTexts('en', { subjects: DEFAULT_SUBJECTS }),
    });
    assert.equal(await runsScript(escalation.html), false, `escalation: ${payload}`);
  }
});
