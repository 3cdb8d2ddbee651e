import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../onramp-config.js';
import { ConfigError } from '../config/loader.js';
import { DEFAULT_SUBJECTS, emailTexts, escalationEmail, userEmail, type Branding } from './email-templates.js';
import { brandingFrom } from './invitations.scheduler.js';
import { LANGUAGES, languageFromAcceptLanguage, languageOf } from './languages.js';

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
    texts: emailTexts('en', { subjects: DEFAULT_SUBJECTS }),
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
    texts: emailTexts('en', { subjects: { ...DEFAULT_SUBJECTS, reminder: 'Still waiting (#{n}) {unknown}' } }),
    reminderNumber: 3,
  });
  assert.equal(mail.subject, 'Still waiting (#3) {unknown}');
  assert.match(mail.html, /Reminder #3/);
  assert.match(mail.text, /^Reminder #3\n\nDear bob@contoso\.test,/);
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
    texts: emailTexts('en', { subjects: DEFAULT_SUBJECTS }),
  });
  assert.equal(mail.subject, 'Manager Action Required: Ann & Co Has Not Completed MFA Setup');
  assert.match(mail.html, /Dear Mia Manager,/);
  assert.match(mail.html, /Ann &amp; Co \(ann@contoso\.test, Rep, Sales\) has not completed/);
  assert.match(mail.text, /Invitation sent: 2026-01-05\nReminders sent since: 2/);
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
    texts: emailTexts('en', { subjects: DEFAULT_SUBJECTS }),
  });
  const reminder = userEmail({
    displayName: 'Ann',
    upn: 'ann@contoso.test',
    token: 't',
    publicUrl: 'https://mfa.contoso.test',
    branding: fromConfig,
    texts: emailTexts('en', { subjects: DEFAULT_SUBJECTS }),
    reminderNumber: 1,
  });
  const escalation = escalationEmail({
    managerName: 'Mia',
    managerUpn: 'mia@contoso.test',
    employee: { displayName: 'Ann', upn: 'ann@contoso.test', department: null, jobTitle: null },
    remindersSent: 2,
    inviteSentDate: null,
    branding: fromConfig,
    texts: emailTexts('en', { subjects: DEFAULT_SUBJECTS }),
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

test('the language of a BCP-47 tag: region and case do not matter, unknown and absent tags get the default', () => {
  assert.equal(languageOf('de-AT', 'en'), 'de');
  assert.equal(languageOf('FR_ca', 'en'), 'fr');
  assert.equal(languageOf('nl', 'en'), 'nl');
  assert.equal(languageOf('xx', 'en'), 'en');
  assert.equal(languageOf('xx-YY', 'es'), 'es');
  assert.equal(languageOf(null, 'de'), 'de');
  assert.equal(languageOf('', 'fr'), 'fr');
  assert.equal(languageFromAcceptLanguage('fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5', 'en'), 'fr');
  assert.equal(languageFromAcceptLanguage('ja, es;q=0.4, nl;q=0.6', 'en'), 'nl', 'the highest weight among supported languages');
  assert.equal(languageFromAcceptLanguage('de;q=0, ja', 'fr'), 'fr', 'q=0 refuses a language');
  assert.equal(languageFromAcceptLanguage(undefined, 'es'), 'es');
  assert.equal(languageFromAcceptLanguage('*', 'nl'), 'nl');
});

test('each language writes its own emails, with its lang attribute, and keeps the tracking links', () => {
  const subjects = new Set<string>();
  for (const language of LANGUAGES) {
    const texts = emailTexts(language, { subjects: DEFAULT_SUBJECTS });
    const mail = userEmail({
      displayName: 'Ann',
      upn: 'ann@contoso.test',
      token: 'tok',
      publicUrl: 'https://mfa.contoso.test',
      branding,
      texts,
      reminderNumber: 2,
    });
    assert.match(mail.html, new RegExp(`<html lang="${language}">`));
    assert.match(mail.html, /<a href="https:\/\/mfa\.contoso\.test\/api\/enrol\?token=tok" style="background:#445566;/);
    assert.equal(mail.html.match(/\/api\/track-open\?token=tok/g)?.length, 1);
    assert.match(mail.html, /href="https:\/\/mfa\.contoso\.test\/api\/resend"/);
    assert.match(mail.subject, /2/, `${language}: the reminder number is in the subject`);
    assert.doesNotMatch(mail.html + mail.text + mail.subject, /\{\w+\}/, `${language}: every placeholder is filled`);
    assert.match(mail.text, /https:\/\/mfa\.contoso\.test\/api\/enrol\?token=tok/);
    subjects.add(mail.subject);
  }
  assert.equal(subjects.size, LANGUAGES.length, 'five different subjects');
  const de = userEmail({ displayName: 'Jonas Becker', upn: 'j@contoso.test', token: 't', publicUrl: 'https://x.test', branding, texts: emailTexts('de') });
  assert.match(de.html, /Guten Tag Jonas Becker,/);
  assert.match(de.html, />MFA jetzt einrichten<\/a>/);
  assert.match(de.subject, /^Handlungsbedarf/);
  const fr = escalationEmail({
    managerName: 'Camille Dubois',
    managerUpn: 'c@contoso.test',
    employee: { displayName: 'Ann', upn: 'ann@contoso.test', department: null, jobTitle: null },
    remindersSent: 2,
    inviteSentDate: null,
    branding,
    texts: emailTexts('fr'),
  });
  assert.match(fr.html, /<html lang="fr">/);
  assert.match(fr.text, /Invitation envoyée\u00a0: date non enregistrée\nRappels envoyés depuis\u00a0: 2/);
  assert.doesNotMatch(fr.html, /\/api\/enrol/, "the manager gets no link of the employee's");
});

test('whatever a template says, no markup reaches the email and the button, pixel and resend link are onramp’s', () => {
  const hostile = {
    subject: '<b>Hi</b> {name} {nope}',
    body: [
      '<script>alert(1)</script> **[click](javascript:alert(1))**',
      '<a href="javascript:alert(1)">{button}</a>',
      '- <img src=x onerror=alert(1)>\n- {company}',
      '{button}',
      '{button}',
    ].join('\n\n'),
  };
  const mail = userEmail({
    displayName: '**Ann** <i>',
    upn: 'ann@contoso.test',
    token: 'tok',
    publicUrl: 'https://mfa.contoso.test',
    branding,
    texts: emailTexts('en', { stored: { invitation: hostile } }),
  });
  assert.equal(mail.subject, '<b>Hi</b> **Ann** <i> {nope}', 'the subject is plain text: it is escaped where HTML shows it');
  assert.doesNotMatch(mail.html, /<script|<img src=x|<a href="javascript|<i>|<b>Hi/);
  assert.match(mail.html, /<strong>\[click\]\(javascript:alert\(1\)\)<\/strong>/, 'link syntax is text, never a link');
  assert.match(mail.html, /<title>&lt;b&gt;Hi&lt;\/b&gt; \*\*Ann\*\* &lt;i&gt; \{nope\}<\/title>/);
  assert.equal(
    mail.html.match(/<a href="https:\/\/mfa\.contoso\.test\/api\/enrol\?token=tok"/g)?.length,
    1,
    'one button, where the first {button} paragraph was',
  );
  assert.equal(mail.html.match(/<a /g)?.length, 3, 'the button, the support mailto and the resend link: nothing else links');
  assert.match(mail.html, /<ul><li>&lt;img src=x onerror=alert\(1\)&gt;<\/li><li>Contoso &lt;Ltd&gt; &amp; &quot;Co&quot;<\/li><\/ul>/);
  const noButton = userEmail({
    displayName: 'Ann',
    upn: 'ann@contoso.test',
    token: 'tok',
    publicUrl: 'https://mfa.contoso.test',
    branding,
    texts: emailTexts('en', { stored: { invitation: { subject: 's', body: 'Only text.' } } }),
  });
  assert.match(
    noButton.html,
    /<p>Only text\.<\/p>\n<p style="margin:24px 0"><a href="https:\/\/mfa\.contoso\.test\/api\/enrol\?token=tok"/,
    'no {button}: after the body',
  );
  assert.equal(noButton.html.match(/\/api\/track-open\?token=tok/g)?.length, 1);
});
