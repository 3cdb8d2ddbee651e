/**
 * The onboarding emails: invitation, reminder and the manager escalation, in the user's language. Pure
 * functions from data to {subject, html, text}; every value placed in HTML is escaped, URLs included.
 *
 * A template (subject and body, per kind and language) is text in a small format admins can edit
 * without HTML: paragraphs split by blank lines, lines of `1.` (or `-`) items make a list, `**bold**`,
 * `{placeholders}`, and a paragraph of just `{button}` places the call to action. onramp places the
 * button, the open pixel and the footer's resend link itself, so no template can break or drop the
 * tracking links, and no admin text reaches the email as markup.
 */
import { escapeHtml } from '../lib/html.js';
import { isLanguage, type Language } from './languages.js';
import { CATALOGUES, type Catalogue, type EmailTemplate } from './messages/index.js';

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

export const EMAIL_KINDS = ['invitation', 'reminder', 'escalation'] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

/** The subjects set in config (`invitations.subject*`): they replace the English catalogue's. */
export interface EmailSubjects {
  invitation: string;
  /** `{n}` becomes the reminder number. */
  reminder: string;
  /** `{name}` becomes the employee's display name. */
  escalation: string;
}

export const DEFAULT_SUBJECTS: EmailSubjects = {
  invitation: CATALOGUES.en.emails.invitation.subject,
  reminder: CATALOGUES.en.emails.reminder.subject,
  escalation: CATALOGUES.en.emails.escalation.subject,
};

const PLACEHOLDER = /\{(\w+)\}/g;

export function fill(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (whole, key: string) => values[key] ?? whole);
}

/** Template text escaped, its placeholders replaced by values that are HTML already; unknown ones stay as text. */
export function fillHtml(template: string, htmlValues: Record<string, string>): string {
  let out = '';
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const value = htmlValues[m[1]!];
    if (value === undefined) continue;
    out += escapeHtml(template.slice(last, m.index)) + value;
    last = m.index + m[0].length;
  }
  return out + escapeHtml(template.slice(last));
}

function escapeValues(values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) out[key] = escapeHtml(value);
  return out;
}

/** A run of a line's text, bold or not. */
interface Segment {
  text: string;
  bold: boolean;
}
type Line = Segment[];
type Block = { type: 'button' } | { type: 'paragraph'; lines: Line[] } | { type: 'ol' | 'ul'; items: Line[] };

/** A template parsed once (per run): per email only placeholders are filled. */
export interface CompiledTemplate {
  subject: string;
  blocks: Block[];
}

const ORDERED_ITEM = /^\s*\d{1,3}[.)]\s+/;
const BULLET_ITEM = /^\s*[-*]\s+/;

function segments(line: string): Line {
  const out: Line = [];
  const parts = line.split(/\*\*(.+?)\*\*/);
  for (const [i, text] of parts.entries()) if (text) out.push({ text, bold: i % 2 === 1 });
  return out;
}

export function compileTemplate(template: EmailTemplate): CompiledTemplate {
  const blocks: Block[] = [];
  for (const raw of template.body.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/)) {
    const lines = raw.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) continue;
    if (lines.length === 1 && lines[0]!.trim() === '{button}') blocks.push({ type: 'button' });
    else if (lines.every((l) => ORDERED_ITEM.test(l))) blocks.push({ type: 'ol', items: lines.map((l) => segments(l.replace(ORDERED_ITEM, ''))) });
    else if (lines.every((l) => BULLET_ITEM.test(l))) blocks.push({ type: 'ul', items: lines.map((l) => segments(l.replace(BULLET_ITEM, ''))) });
    else blocks.push({ type: 'paragraph', lines: lines.map((l) => segments(l.trim())) });
  }
  return { subject: template.subject.replace(/\s+/g, ' ').trim(), blocks };
}

/** One language's three emails, compiled: built once per run and language, used for every user. */
export interface EmailTexts {
  language: Language;
  catalogue: Catalogue;
  templates: Record<EmailKind, CompiledTemplate>;
}

/**
 * The emails of a language: stored templates where given, else the catalogue's; English subjects come
 * from config (`subjects`) unless a stored template replaces them.
 */
export function emailTexts(language: Language, options: { stored?: Partial<Record<EmailKind, EmailTemplate>>; subjects?: EmailSubjects } = {}): EmailTexts {
  const catalogue = CATALOGUES[language];
  const templateOf = (kind: EmailKind): EmailTemplate => {
    const stored = options.stored?.[kind];
    if (stored) return stored;
    const builtIn = catalogue.emails[kind];
    return language === 'en' && options.subjects ? { ...builtIn, subject: options.subjects[kind] } : builtIn;
  };
  return {
    language,
    catalogue,
    templates: {
      invitation: compileTemplate(templateOf('invitation')),
      reminder: compileTemplate(templateOf('reminder')),
      escalation: compileTemplate(templateOf('escalation')),
    },
  };
}

/** Stored versions (rows of any shape with kind, language, subject, body) grouped for `emailTexts`; unknown kinds or languages are skipped. */
export function storedTemplatesByLanguage(
  rows: ReadonlyArray<{ kind: string; language: string; subject: string; body: string }>,
): Map<Language, Partial<Record<EmailKind, EmailTemplate>>> {
  const out = new Map<Language, Partial<Record<EmailKind, EmailTemplate>>>();
  for (const row of rows) {
    if (!isLanguage(row.language) || !isEmailKind(row.kind)) continue;
    const forLanguage = out.get(row.language) ?? {};
    forLanguage[row.kind] = { subject: row.subject, body: row.body };
    out.set(row.language, forLanguage);
  }
  return out;
}

export function isEmailKind(value: unknown): value is EmailKind {
  return typeof value === 'string' && (EMAIL_KINDS as readonly string[]).includes(value);
}

function lineHtml(line: Line, values: Record<string, string>): string {
  return line.map((s) => (s.bold ? `<strong>${fillHtml(s.text, values)}</strong>` : fillHtml(s.text, values))).join('');
}

function lineText(line: Line, values: Record<string, string>): string {
  return line.map((s) => fill(s.text, values)).join('');
}

/**
 * The body as HTML and text. The first `{button}` paragraph is the button (absent: after the body);
 * later ones, and any in an email without a button, are dropped.
 */
function renderBody(
  template: CompiledTemplate,
  values: Record<string, string>,
  button: { html: string; text: string } | undefined,
): { html: string[]; text: string[] } {
  const htmlValues = escapeValues(values);
  const html: string[] = [];
  const text: string[] = [];
  let placed = button === undefined;
  for (const block of template.blocks) {
    if (block.type === 'button') {
      if (!placed && button) {
        html.push(button.html);
        text.push(button.text);
        placed = true;
      }
    } else if (block.type === 'paragraph') {
      html.push(`<p>${block.lines.map((l) => lineHtml(l, htmlValues)).join('<br>')}</p>`);
      text.push(block.lines.map((l) => lineText(l, values)).join('\n'));
    } else {
      html.push(`<${block.type}>${block.items.map((l) => `<li>${lineHtml(l, htmlValues)}</li>`).join('')}</${block.type}>`);
      text.push(block.items.map((l, i) => `${block.type === 'ol' ? `${i + 1}.` : '-'} ${lineText(l, values)}`).join('\n'));
    }
  }
  if (!placed && button) {
    html.push(button.html);
    text.push(button.text);
  }
  return { html, text };
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
function layout(branding: Branding, lang: string, title: string, bodyHtml: string, footerHtml: string): string {
  const color = safeColor(branding.primaryColor);
  const logo = safeUrl(branding.logoUrl);
  const header = logo
    ? `<img src="${escapeHtml(logo)}" alt="${escapeHtml(branding.companyName)}" height="40" style="height:40px">`
    : `<strong style="font-size:20px;color:#ffffff">${escapeHtml(branding.companyName)}</strong>`;
  return [
    '<!doctype html>',
    `<html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head>`,
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

function supportLine(branding: Branding, catalogue: Catalogue): { html: string; text: string } {
  const mail = escapeHtml(branding.supportEmail);
  return {
    html: fillHtml(catalogue.email.support, { supportTeam: escapeHtml(branding.supportTeam), supportEmail: `<a href="mailto:${mail}">${mail}</a>` }),
    text: fill(catalogue.email.support, { supportTeam: branding.supportTeam, supportEmail: branding.supportEmail }),
  };
}

export interface UserEmailInput {
  displayName: string | null;
  upn: string;
  token: string;
  publicUrl: string;
  branding: Branding;
  texts: EmailTexts;
  /** Absent for the first invitation; 1, 2, … for reminders. */
  reminderNumber?: number;
}

/** The invitation, or reminder #N when `reminderNumber` is given, in the language of `texts`. */
export function userEmail(input: UserEmailInput): RenderedEmail {
  const { branding, reminderNumber, texts } = input;
  const { catalogue } = texts;
  const links = trackingLinks(input.publicUrl, input.token);
  const template = reminderNumber === undefined ? texts.templates.invitation : texts.templates.reminder;
  const values: Record<string, string> = {
    name: input.displayName?.trim() || input.upn,
    upn: input.upn,
    company: branding.companyName,
    supportTeam: branding.supportTeam,
    supportEmail: branding.supportEmail,
    button: catalogue.email.button,
    n: String(reminderNumber ?? ''),
  };
  const subject = fill(template.subject, values);
  const body = renderBody(template, values, {
    html: button(branding, links.enrol, catalogue.email.button),
    text: `${catalogue.email.button}: ${links.enrol}`,
  });
  const support = supportLine(branding, catalogue);
  body.html.push(`<img src="${escapeHtml(links.openPixel)}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">`);
  const footer = `${support.html}<br><a href="${escapeHtml(links.resend)}">${escapeHtml(catalogue.email.lostLink)}</a> ${escapeHtml(catalogue.email.requestNew)}`;
  const text = [...body.text, [support.text, `${catalogue.email.lostLink} ${links.resend}`].join('\n')].join('\n\n');
  return { subject, html: layout(branding, catalogue.tag, subject, body.html.join('\n'), footer), text };
}

export interface EscalationEmailInput {
  managerName: string | null;
  managerUpn: string;
  employee: { displayName: string | null; upn: string; department: string | null; jobTitle: string | null };
  remindersSent: number;
  inviteSentDate: string | null;
  branding: Branding;
  texts: EmailTexts;
}

export function escalationEmail(input: EscalationEmailInput): RenderedEmail {
  const { branding, employee, texts } = input;
  const { catalogue } = texts;
  const employeeName = employee.displayName?.trim() || employee.upn;
  const values: Record<string, string> = {
    // {name} is the employee in the escalation, as config's subjectEscalation always had it.
    name: employeeName,
    employee: employeeName,
    employeeDetails: [employee.upn, employee.jobTitle, employee.department].filter(Boolean).join(', '),
    manager: input.managerName?.trim() || input.managerUpn,
    sent: input.inviteSentDate ? input.inviteSentDate.slice(0, 10) : catalogue.email.sentUnknown,
    n: String(input.remindersSent),
    company: branding.companyName,
    supportTeam: branding.supportTeam,
    supportEmail: branding.supportEmail,
    button: catalogue.email.button,
  };
  const template = texts.templates.escalation;
  const subject = fill(template.subject, values);
  const body = renderBody(template, values, undefined);
  const support = supportLine(branding, catalogue);
  const text = [...body.text, support.text].join('\n\n');
  return { subject, html: layout(branding, catalogue.tag, subject, body.html.join('\n'), support.html), text };
}
