/**
 * The onboarding emails: invitation, reminder and the manager escalation. Pure functions from data to
 * {subject, html, text}; every value placed in HTML is escaped, URLs included.
 */
import { escapeHtml } from '../lib/html.js';

export interface Branding {
  companyName: string;
  logoUrl?: string;
  supportTeam: string;
  supportEmail: string;
  /** Header colour, `#rgb` or `#rrggbb`. */
  primaryColor: string;
  /** The call-to-action button and the stripe under the header, `#rgb` or `#rrggbb`; absent: the primary colour. */
  accentColor?: string;
}

export interface EmailSubjects {
  /** Default: the seed's "Action Required: Set Up Multi-Factor Authentication (MFA)". */
  invitation: string;
  /** `{n}` becomes the reminder number. */
  reminder: string;
  /** `{name}` becomes the employee's display name. */
  escalation: string;
}

export const DEFAULT_SUBJECTS: EmailSubjects = {
  invitation: 'Action Required: Set Up Multi-Factor Authentication (MFA)',
  reminder: 'Reminder #{n}: MFA Setup Still Pending',
  escalation: 'Manager Action Required: {name} Has Not Completed MFA Setup',
};

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** A colour from config goes into a style attribute: anything but a hex colour falls back (no CSS injection). */
function safeColor(value: string | undefined, fallback = '#0078d4'): string {
  return value !== undefined && /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(value) ? value : fallback;
}

function accentOf(branding: Branding): string {
  return safeColor(branding.accentColor, safeColor(branding.primaryColor));
}

/** Only http(s) URLs are linked; anything else (javascript:, data:) is dropped. */
function safeUrl(value: string | undefined): string | undefined {
  return value && /^https?:\/\//i.test(value) ? value : undefined;
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

export function trackingLinks(publicUrl: string, token: string) {
  const base = publicUrl.replace(/\/+$/, '');
  const t = encodeURIComponent(token);
  return {
    enrol: `${base}/api/enrol?token=${t}`,
    openPixel: `${base}/api/track-open?token=${t}`,
    resend: `${base}/api/resend`,
  };
}

/** The email's document: its language and title (the subject) name it for screen readers and mail clients' previews. */
function layout(branding: Branding, title: string, bodyHtml: string, footerHtml: string): string {
  const color = safeColor(branding.primaryColor);
  const logo = safeUrl(branding.logoUrl);
  const header = logo
    ? `<img src="${escapeHtml(logo)}" alt="${escapeHtml(branding.companyName)}" height="40" style="height:40px">`
    : `<strong style="font-size:20px;color:#ffffff">${escapeHtml(branding.companyName)}</strong>`;
  return [
    '<!doctype html>',
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head>`,
    '<body style="margin:0;padding:0;background:#f3f4f6;font-family:Segoe UI,Arial,sans-serif;color:#1f2937">',
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px">',
    '<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;background:#ffffff;border-radius:8px">',
    `<tr><td style="background:${color};border-bottom:4px solid ${accentOf(branding)};padding:16px 24px;border-radius:8px 8px 0 0">${header}</td></tr>`,
    `<tr><td style="padding:24px;font-size:15px;line-height:1.5">${bodyHtml}</td></tr>`,
    `<tr><td style="padding:16px 24px;font-size:12px;color:#6b7280;border-top:1px solid #e5e7eb">${footerHtml}</td></tr>`,
    '</table></td></tr></table></body></html>',
  ].join('\n');
}

function button(branding: Branding, href: string, label: string): string {
  return `<p style="margin:24px 0"><a href="${escapeHtml(href)}" style="background:${accentOf(branding)};color:#ffffff;padding:12px 24px;border-radius:4px;text-decoration:none;font-weight:600;display:inline-block">${escapeHtml(label)}</a></p>`;
}

function supportLine(branding: Branding): { html: string; text: string } {
  const team = escapeHtml(branding.supportTeam);
  const mail = escapeHtml(branding.supportEmail);
  return {
    html: `Questions? Contact ${team} at <a href="mailto:${mail}">${mail}</a>.`,
    text: `Questions? Contact ${branding.supportTeam} at ${branding.supportEmail}.`,
  };
}

export interface UserEmailInput {
  displayName: string | null;
  upn: string;
  token: string;
  publicUrl: string;
  branding: Branding;
  subjects: EmailSubjects;
  /** Absent for the first invitation; 1, 2, … for reminders. */
  reminderNumber?: number;
}

/** The invitation, or reminder #N when `reminderNumber` is given. */
export function userEmail(input: UserEmailInput): RenderedEmail {
  const { branding, reminderNumber } = input;
  const links = trackingLinks(input.publicUrl, input.token);
  const name = input.displayName?.trim() || input.upn;
  const isReminder = reminderNumber !== undefined;
  const subject = isReminder ? fill(input.subjects.reminder, { n: String(reminderNumber) }) : input.subjects.invitation;
  const intro = isReminder
    ? `This is reminder #${reminderNumber}: your multi-factor authentication (MFA) setup at ${branding.companyName} is still pending.`
    : `${branding.companyName} is turning on multi-factor authentication (MFA) for your account to keep it and our data safe.`;
  const steps = [
    'Select "Set Up MFA Now" below.',
    'Sign in with your work account when asked.',
    'Install Microsoft Authenticator on your phone and follow the steps on screen.',
  ];
  const support = supportLine(branding);
  const body = [
    isReminder ? `<p style="font-weight:600;color:#b45309">Reminder #${reminderNumber}</p>` : '',
    `<p>Dear ${escapeHtml(name)},</p>`,
    `<p>${escapeHtml(intro)}</p>`,
    `<ol>${steps.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ol>`,
    button(branding, links.enrol, 'Set Up MFA Now'),
    `<p>It takes about five minutes.</p>`,
    `<img src="${escapeHtml(links.openPixel)}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">`,
  ].join('\n');
  const footer = `${support.html}<br><a href="${escapeHtml(links.resend)}">Lost your setup link?</a> Request a new one.`;
  const text = [
    isReminder ? `Reminder #${reminderNumber}` : '',
    `Dear ${name},`,
    '',
    intro,
    '',
    ...steps.map((s, i) => `${i + 1}. ${s}`),
    '',
    `Set up MFA now: ${links.enrol}`,
    '',
    support.text,
    `Lost your setup link? ${links.resend}`,
  ]
    .filter((line, i) => i > 0 || line !== '')
    .join('\n');
  return { subject, html: layout(branding, subject, body, footer), text };
}

export interface EscalationEmailInput {
  managerName: string | null;
  managerUpn: string;
  employee: { displayName: string | null; upn: string; department: string | null; jobTitle: string | null };
  remindersSent: number;
  inviteSentDate: string | null;
  branding: Branding;
  subjects: EmailSubjects;
}

export function escalationEmail(input: EscalationEmailInput): RenderedEmail {
  const { branding, employee } = input;
  const employeeName = employee.displayName?.trim() || employee.upn;
  const managerName = input.managerName?.trim() || input.managerUpn;
  const subject = fill(input.subjects.escalation, { name: employeeName });
  const role = [employee.jobTitle, employee.department].filter(Boolean).join(', ');
  const sent = input.inviteSentDate ? input.inviteSentDate.slice(0, 10) : 'earlier';
  const summary = `${employeeName} (${employee.upn}${role ? `, ${role}` : ''}) has not completed multi-factor authentication (MFA) setup. The invitation was sent ${sent} and ${input.remindersSent} reminder${input.remindersSent === 1 ? ' has' : 's have'} been sent since.`;
  const ask = `Please ask ${employeeName} to open the most recent email from ${branding.companyName} and select "Set Up MFA Now", or to contact ${branding.supportTeam} for help.`;
  const support = supportLine(branding);
  const body = [`<p>Dear ${escapeHtml(managerName)},</p>`, `<p>${escapeHtml(summary)}</p>`, `<p>${escapeHtml(ask)}</p>`].join('\n');
  const text = [`Dear ${managerName},`, '', summary, '', ask, '', support.text].join('\n');
  return { subject, html: layout(branding, subject, body, support.html), text };
}
