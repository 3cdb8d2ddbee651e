import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../onramp-config.js';
import { ConfigError } from '../config/loader.js';
import { DEFAULT_SUBJECTS, escalationEmail, userEmail, type Branding } from './email-templates.js';
import { brandingFrom } from './invitations.scheduler.js';

const branding: Branding = {
  companyName: 'Contoso <Ltd> & "Co"',
  logoUrl: 'https://cdn.contoso.test/logo.png?a=1&b=2',
  supportTeam: 'IT Service Desk',
  supportEmail: 'help@contoso.test',
  primaryColor: '#112233',
  accentColor: '#445566',
};

test('the invitation greets by display name, links enrol/open/resend with the token, and escapes every value', () => {
  const mail = userEmail({
    displayName: '<script>alert(1)</script> Ann',
    upn: 'ann@contoso.test',
    token: 'tok_EN-abc',
    publicUrl: 'https://mfa.contoso.test/',
    branding,
    subjects: DEFAULT_SUBJECTS,
  });
  assert.equal(mail.subject, 'Action Required: Set Up Multi-Factor Authentication (MFA)');
  assert.match(
    mail.html,
    /^<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Action Required: Set Up Multi-Factor Authentication \(MFA\)<\/title><\/head>/,
  );
  assert.match(mail.html, /Dear &lt;script&gt;alert\(1\)&lt;\/script&gt; Ann,/);
  assert.doesNotMatch(mail.html, /<script>/);
  assert.match(mail.html, /Contoso &lt;Ltd&gt; &amp; &quot;Co&quot;/);
  assert.match(mail.html, /src="https:\/\/cdn\.contoso\.test\/logo\.png\?a=1&amp;b=2"/);
  assert.match(mail.html, /href="https:\/\/mfa\.contoso\.test\/api\/enrol\?token=tok_EN-abc"/);
  assert.equal(mail.html.match(/\/api\/track-open\?token=tok_EN-abc/g)?.length, 1, 'exactly one tracking pixel');
  assert.match(mail.html, /href="https:\/\/mfa\.contoso\.test\/api\/resend">Lost your setup link\?/);
  assert.match(mail.html, /background:#112233;border-bottom:4px solid #445566;/, 'header in the primary colour with an accent stripe');
  assert.match(mail.html, /<a href="[^"]+\/api\/enrol\?token=tok_EN-abc" style="background:#445566;/, 'the button in the accent colour');
  assert.doesNotMatch(mail.html, /Reminder #/);
  assert.match(mail.text, /^Dear <script>alert\(1\)<\/script> Ann,/);
  assert.match(mail.text, /https:\/\/mfa\.contoso\.test\/api\/enrol\?token=tok_EN-abc/);
  assert.match(mail.text, /Lost your setup link\? https:\/\/mfa\.contoso\.test\/api\/resend/);
});

test('reminders say Reminder #N; a missing display name falls back to the UPN; unsafe colours and logo URLs are dropped', () => {
  const mail = userEmail({
    displayName: null,
    upn: 'bob@contoso.test',
    token: 't',
    publicUrl: 'https://mfa.contoso.test',
    branding: { ...branding, primaryColor: 'red;background:url(x)', accentColor: '#fff;}</style><script>', logoUrl: 'javascript:alert(1)' },
    subjects: { ...DEFAULT_SUBJECTS, reminder: 'Still waiting (#{n}) {unknown}' },
    reminderNumber: 3,
  });
  assert.equal(mail.subject, 'Still waiting (#3) {unknown}');
  assert.match(mail.html, /Reminder #3/);
  assert.match(mail.text, /^Reminder #3\nDear bob@contoso\.test,/);
  assert.doesNotMatch(mail.html, /javascript:|url\(x\)|<\/style>|<script>/);
  assert.match(mail.html, /background:#0078d4;border-bottom:4px solid #0078d4;/);
  assert.match(mail.html, /\/api\/enrol\?token=t" style="background:#0078d4;/);
});

test('the manager email names the employee and the reminders sent', () => {
  const mail = escalationEmail({
    managerName: 'Mia Manager',
    managerUpn: 'mia@contoso.test',
    employee: { displayName: 'Ann & Co', upn: 'ann@contoso.test', department: 'Sales', jobTitle: 'Rep' },
    remindersSent: 2,
    inviteSentDate: '2026-01-05T09:00:00.000Z',
    branding,
    subjects: DEFAULT_SUBJECTS,
  });
  assert.equal(mail.subject, 'Manager Action Required: Ann & Co Has Not Completed MFA Setup');
  assert.match(mail.html, /Dear Mia Manager,/);
  assert.match(mail.html, /Ann &amp; Co \(ann@contoso\.test, Rep, Sales\) has not completed/);
  assert.match(mail.text, /sent 2026-01-05 and 2 reminders have been sent since/);
});

test('branding.accentColor from config colours the button of every email; a value that is not #rrggbb is refused at load', () => {
  const env = { ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json', ONRAMP_BRAND_PRIMARY_COLOR: '#123456', ONRAMP_BRAND_ACCENT_COLOR: '#abcdef' };
  const fromConfig = brandingFrom(loadConfig({ env }));
  const invitation = userEmail({
    displayName: 'Ann',
    upn: 'ann@contoso.test',
    token: 't',
    publicUrl: 'https://mfa.contoso.test',
    branding: fromConfig,
    subjects: DEFAULT_SUBJECTS,
  });
  const reminder = userEmail({
    displayName: 'Ann',
    upn: 'ann@contoso.test',
    token: 't',
    publicUrl: 'https://mfa.contoso.test',
    branding: fromConfig,
    subjects: DEFAULT_SUBJECTS,
    reminderNumber: 1,
  });
  const escalation = escalationEmail({
    managerName: 'Mia',
    managerUpn: 'mia@contoso.test',
    employee: { displayName: 'Ann', upn: 'ann@contoso.test', department: null, jobTitle: null },
    remindersSent: 2,
    inviteSentDate: null,
    branding: fromConfig,
    subjects: DEFAULT_SUBJECTS,
  });
  for (const mail of [invitation, reminder]) assert.match(mail.html, /token=t" style="background:#abcdef;/);
  for (const mail of [invitation, reminder, escalation]) assert.match(mail.html, /background:#123456;border-bottom:4px solid #abcdef;/);
  for (const bad of ['red', '#abc', '#abcdef;background:url(x)', '#12345g']) {
    assert.throws(
      () => loadConfig({ env: { ...env, ONRAMP_BRAND_ACCENT_COLOR: bad } }),
      (err: unknown) => err instanceof ConfigError && /accentColor/.test(err.message),
      bad,
    );
  }
});
