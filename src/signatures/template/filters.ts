/**
 * Our filters: `phone` (one spelling of phone numbers) and `date` (in the render's time zone).
 * Liquid's own `upcase`, `downcase`, `capitalize`, `default`, … stay as Liquid defines them.
 */
import { wallClock } from '../../lib/time-zones.js';

/**
 * `{{ user.mobilePhone | phone }}`: the number as written, with its separators made regular: a
 * leading `00` becomes `+`, the trunk `(0)` after a country code goes, and runs of spaces, dashes,
 * dots, slashes and brackets become one space (`+49 (0)89 / 1234-567` → `+49 89 1234 567`).
 * `| phone: "e164"` gives the number for `tel:` links: `+` and digits only (`+49891234567`); with a
 * country code as second argument (`| phone: "e164", "49"`), a national number (`089 1234567`)
 * becomes international (`+49891234567`). Text without digits comes back trimmed, as it was.
 */
export function formatPhone(value: unknown, format?: unknown, countryCode?: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value).trim();
  if (!/\d/.test(text)) return text;
  let number = text.replace(/^00(?=\d)/, '+').replace(/^(\+\d{1,3})\s*\(0\)\s*/, '$1 ');
  if (format === 'e164') {
    number = number.replace(/[^\d+]/g, '').replace(/(?!^)\+/g, '');
    const cc = typeof countryCode === 'string' || typeof countryCode === 'number' ? String(countryCode).replace(/\D/g, '') : '';
    if (!number.startsWith('+') && cc && number.startsWith('0')) number = `+${cc}${number.slice(1)}`;
    return number;
  }
  return number
    .replace(/[\s\-./()\u00a0]+/g, ' ')
    .replace(/^\s+|\s+$/g, '')
    .replace(/^\+ /, '+');
}

/** `now` in templates: the render's moment in its time zone. Prints as `YYYY-MM-DD HH:MM`. */
export class RenderMoment {
  constructor(
    readonly date: Date,
    readonly timeZone: string,
  ) {}

  toString(): string {
    return formatDate(this.date, '%Y-%m-%d %H:%M', this.timeZone);
  }
}

/** `YYYY-MM-DD` of a moment in a time zone: `today` in templates, for `{% if today >= "2026-12-01" %}`. */
export function isoDay(date: Date, timeZone: string): string {
  const p = wallClock(date, timeZone);
  return `${p.year}-${p.month}-${p.day}`;
}

/**
 * `{{ now | date: "%d.%m.%Y" }}`: strftime's `%Y %y %m %d %e %H %M %S %%`, in the render's time
 * zone (`now`) or UTC (a date string from the directory).
 */
export function formatDate(value: Date, format: string, timeZone: string): string {
  const p = wallClock(value, timeZone);
  const codes: Record<string, string> = {
    Y: p.year!,
    y: p.year!.slice(-2),
    m: p.month!,
    d: p.day!,
    e: String(Number(p.day)),
    H: p.hour!,
    M: p.minute!,
    S: p.second!,
    '%': '%',
  };
  return format.replace(/%([YymdeHMS%])/g, (_, c: string) => codes[c]!);
}

/** The `date` filter: a RenderMoment, a Date or a parseable date string. */
export function dateFilter(value: unknown, format?: unknown): string {
  const fmt = typeof format === 'string' ? format : '%Y-%m-%d';
  if (value instanceof RenderMoment) return formatDate(value.date, fmt, value.timeZone);
  if (value === null || value === undefined || value === '') return '';
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? String(value) : formatDate(date, fmt, 'UTC');
}
