/**
 * The names templates may use, and the seed's placeholder syntax translated into ours before Liquid
 * parses it, with a map back to the admin's source so every problem points at what they wrote.
 */
import { PROFILE_ATTRIBUTES } from '../../graph/graph-port.js';

/** Namespaces holding a person's directory attributes (SignatureSubject's four people). */
export const PERSON_NAMESPACES = ['user', 'manager', 'mailbox', 'mailboxManager'] as const;
export type PersonNamespace = (typeof PERSON_NAMESPACES)[number];

const EXTENSION_ATTRIBUTES = Array.from({ length: 15 }, (_, i) => `extensionAttribute${i + 1}`);

/** Every attribute of a person a template can name: the directory profile's, `businessPhone` for the first of `businessPhones`. */
export const PERSON_ATTRIBUTES: readonly string[] = [
  ...PROFILE_ATTRIBUTES.filter((name) => name !== 'businessPhones'),
  'businessPhone',
  ...EXTENSION_ATTRIBUTES,
].sort();

/** Top-level names besides the people: custom variables, photos, the render's moment. */
export const OTHER_GLOBALS = ['var', 'photo', 'now', 'today'] as const;

/** The seed's attribute names (lower-case; `az_` Entra names, `ad_` on-premises AD names) → ours. */
const SEED_ATTRIBUTES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(PERSON_ATTRIBUTES.map((name) => [name.toLowerCase(), name])),
  businessphones: 'businessPhone',
  telephonenumber: 'businessPhone',
  telephone: 'businessPhone',
  phone: 'businessPhone',
  mobile: 'mobilePhone',
  title: 'jobTitle',
  sn: 'surname',
  company: 'companyName',
  l: 'city',
  st: 'state',
  co: 'country',
  c: 'country',
  physicaldeliveryofficename: 'officeLocation',
  office: 'officeLocation',
  facsimiletelephonenumber: 'faxNumber',
  fax: 'faxNumber',
  mailnickname: 'mailNickname',
  samaccountname: 'mailNickname',
};

/** Where each stretch of translated text came from: offsets map back piecewise. */
export class SourceMap {
  /** [start in the output, its length, the input offset it points at, the input offset unchanged text resumes at]. */
  readonly #spans: Array<[number, number, number, number]> = [];

  constructor(private readonly inner?: SourceMap) {}

  /**
   * Records that output[outAt, outAt+outLength) was written instead of the input up to `resumeAt`;
   * problems inside it point at `pointAt` (for a plain replacement: where the replaced text starts).
   * Spans are recorded in output order.
   */
  replaced(outAt: number, outLength: number, pointAt: number, resumeAt: number): void {
    this.#spans.push([outAt, outLength, pointAt, resumeAt]);
  }

  /** The input offset an output offset came from. */
  original(offset: number): number {
    let delta = 0;
    for (const [outAt, outLength, pointAt, resumeAt] of this.#spans) {
      if (offset < outAt) break;
      if (offset < outAt + outLength) return this.inner ? this.inner.original(pointAt) : pointAt;
      delta = resumeAt - (outAt + outLength);
    }
    const mapped = offset + delta;
    return this.inner ? this.inner.original(mapped) : mapped;
  }
}

/** 1-based line and column of an offset. */
export function lineAndColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(0, offset), source.length);
  for (let i = source.indexOf('\n'); i !== -1 && i < end; i = source.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}

/** The offset of a 1-based line and column. */
export function offsetOf(source: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = source.indexOf('\n', offset);
    if (next === -1) return source.length;
    offset = next + 1;
  }
  return offset + column - 1;
}

export interface SeedProblem {
  offset: number;
  message: string;
}

const SEED_PLACEHOLDER = /\{\{\s*((?:if_)?(?:az|ad|custom)_[A-Za-z0-9_]+(?:\s*,\s*(?:az|ad|custom)_[A-Za-z0-9_]+)*|end_?if)\s*\}\}/g;

function seedName(token: string): { expression: string } | { problem: string } {
  const [, prefix, rest] = /^(az|ad|custom)_(.+)$/.exec(token)!;
  if (prefix === 'custom') return { expression: `var.${rest}` };
  const attribute = SEED_ATTRIBUTES[rest!.toLowerCase()];
  return attribute ? { expression: `user.${attribute}` } : { problem: `unknown attribute "${token}"` };
}

/**
 * The seed's `{{az_displayname, ad_displayname, custom_x}}` (first non-empty, left to right) becomes
 * `{{ user.displayName | default: user.displayName | default: var.x }}`; `{{if_az_x}}…{{endif}}`
 * becomes `{% if user.x %}…{% endif %}`. Everything else is left as written.
 */
export function translateSeedSyntax(source: string): { text: string; map: SourceMap; problems: SeedProblem[] } {
  const map = new SourceMap();
  const problems: SeedProblem[] = [];
  let text = '';
  let last = 0;
  for (const match of source.matchAll(SEED_PLACEHOLDER)) {
    const body = match[1]!;
    let replacement: string;
    if (/^end_?if$/.test(body)) replacement = '{% endif %}';
    else {
      const conditional = body.startsWith('if_');
      const names = (conditional ? body.slice(3) : body).split(',').map((s) => s.trim());
      const expressions: string[] = [];
      for (const name of names) {
        const resolved = seedName(name);
        if ('problem' in resolved) problems.push({ offset: match.index + match[0].indexOf(name), message: resolved.problem });
        else expressions.push(resolved.expression);
      }
      if (expressions.length === 0) expressions.push('nil');
      replacement = conditional ? `{% if ${expressions.join(' or ')} %}` : `{{ ${expressions.join(' | default: ')} }}`;
    }
    text += source.slice(last, match.index);
    map.replaced(text.length, replacement.length, match.index, match.index + match[0].length);
    text += replacement;
    last = match.index + match[0].length;
  }
  text += source.slice(last);
  return { text: singleQuoted(text), map, problems };
}

/**
 * Double-quoted strings inside Liquid markup become single-quoted (same length, so offsets hold):
 * `href="tel:{{ user.mobilePhone | phone: "e164" }}"` would otherwise end the attribute early.
 */
function singleQuoted(text: string): string {
  return text.replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, (markup) => markup.replace(/"([^"'\n]*)"/g, "'$1'"));
}
