/**
 * What the render pass tells each output: the rendered signature HTML as elements and text, after
 * the allow-list (only kept elements, kept attributes, resolved images). The plain-text and RTF
 * writers build their output from these calls; the HTML outputs are written by the pass itself.
 */
import type { SignatureImage } from '../model.js';

export interface ResolvedImage {
  image: SignatureImage;
  /** A template image every render uses (its encodings are worth remembering), not a person's photo. */
  shared: boolean;
  /** Displayed size in CSS pixels (attributes, style, or the image's own). */
  width: number;
  height: number;
}

export interface SignatureSink {
  open(tag: string, attributes: Readonly<Record<string, string>>, image?: ResolvedImage): void;
  close(tag: string): void;
  text(text: InlineText): void;
}

/** A run of text as HTML lays it out: whitespace collapsed, its edges noted (read once, for every writer). */
export interface InlineText {
  /** Nothing but collapsible whitespace (or nothing at all). */
  blank: boolean;
  /** It starts / ends with collapsible whitespace. */
  leading: boolean;
  trailing: boolean;
  /** Collapsed, without its edge spaces. */
  body: string;
}

export function inlineText(text: string): InlineText {
  const collapsed = HTML_WHITESPACE.test(text) ? text.replace(HTML_WHITESPACE_ALL, ' ') : text;
  const leading = collapsed.startsWith(' ');
  const trailing = collapsed.endsWith(' ');
  const body = collapsed.slice(leading ? 1 : 0, trailing && collapsed.length > 1 ? -1 : undefined);
  return { blank: body === '' || body === ' ', leading, trailing, body: body === ' ' ? '' : body };
}

/** Elements that start and end a line in text and RTF. */
export const BLOCK_ELEMENTS = new Set([
  'p',
  'div',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'table',
  'tr',
  'ul',
  'ol',
  'li',
  'blockquote',
  'pre',
  'center',
  'caption',
  'hr',
  'thead',
  'tbody',
  'tfoot',
]);
export const CELL_ELEMENTS = new Set(['td', 'th']);

/**
 * Replaces each `<mark>key<mark>` in a text with `fill(key)`: how images' encoded bytes go into an
 * output once it is written (splitting is several times faster than a replace with a callback).
 */
export function fillMarks(text: string, mark: string, fill: (key: string) => string): string {
  const pieces = text.split(mark);
  let out = '';
  for (let i = 0; i < pieces.length; i++) out += i % 2 === 1 ? fill(pieces[i]!) : pieces[i]!;
  return out;
}

/** HTML's whitespace (not U+00A0, which stays a hard space). */
export const HTML_WHITESPACE = /[\t\n\r\f]| {2}/;
const HTML_WHITESPACE_ALL = /[ \t\n\r\f]+/g;
/** Something besides whitespace: what `line.trim() !== ''` asks (the same whitespace), without a copy of the line. */
const VISIBLE = /\S/;

/** The text a link shows and where it goes, when they differ enough to print both. */
export function linkTarget(href: string, shown: string): string | undefined {
  const target = href.replace(/^mailto:/i, '').replace(/^tel:/i, '');
  // The common cases first, without the normalising below: a mail address shown as is, a number shown with spaces.
  if (target === shown) return undefined;
  if (/^tel:/i.test(href) && target.replace(/[^\d+]/g, '') === shown.replace(/[^\d+]/g, '')) return undefined;
  const plain = (s: string) =>
    s
      .trim()
      .toLowerCase()
      .replace(/^https?:\/\//, '')
      .replace(/\/$/, '');
  if (plain(target) === plain(shown)) return undefined;
  return target;
}

/**
 * Plain text as Outlook's .txt signature and Exchange's SignatureText take it: one line per block
 * and per `<br>`, table cells of a row separated by a tab, links as `text <url>` (just the text when
 * it is the address), no images, at most one empty line in a row, CRLF line ends.
 */
export class TextWriter implements SignatureSink {
  readonly #lines: string[] = [];
  #line = '';
  #pendingSpace = false;
  #cellsInRow = 0;
  readonly #links: Array<{ href: string; from: number; line: number }> = [];

  #newline(): void {
    this.#lines.push(this.#line.trimEnd());
    this.#line = '';
    this.#pendingSpace = false;
  }

  #block(): void {
    if (VISIBLE.test(this.#line)) this.#newline();
    else this.#line = '';
  }

  open(tag: string, attributes: Readonly<Record<string, string>>): void {
    if (tag === 'br') this.#newline();
    else if (tag === 'a' && attributes.href) this.#links.push({ href: attributes.href, from: this.#line.length, line: this.#lines.length });
    else if (tag === 'tr') {
      this.#block();
      this.#cellsInRow = 0;
    } else if (CELL_ELEMENTS.has(tag)) {
      if (this.#cellsInRow > 0 && VISIBLE.test(this.#line)) {
        this.#line += '\t';
        this.#pendingSpace = false;
      }
    } else if (BLOCK_ELEMENTS.has(tag)) this.#block();
    if (tag === 'li') this.#line = '- ';
  }

  close(tag: string): void {
    if (tag === 'a') {
      const link = this.#links.pop();
      if (!link) return;
      const shown = link.line === this.#lines.length ? this.#line.slice(link.from) : this.#line;
      const target = linkTarget(link.href, shown);
      if (target) {
        this.#line += `${this.#line.endsWith(' ') || this.#line === '' ? '' : ' '}<${target}>`;
        this.#pendingSpace = false;
      }
    } else if (CELL_ELEMENTS.has(tag)) {
      if (VISIBLE.test(this.#line)) this.#cellsInRow++;
    } else if (BLOCK_ELEMENTS.has(tag)) this.#block();
  }

  text({ blank, leading, trailing, body }: InlineText): void {
    if (blank && (leading || trailing)) {
      if (this.#line !== '') this.#pendingSpace = true;
      return;
    }
    if ((leading || this.#pendingSpace) && this.#line !== '' && !this.#line.endsWith(' ') && !this.#line.endsWith('\t')) this.#line += ' ';
    this.#line += body;
    this.#pendingSpace = trailing;
  }

  finish(): string {
    this.#newline();
    const lines = this.#lines.map((l) => l.replace(/\u00a0/g, ' ').trimEnd());
    while (lines.length > 0 && lines[0] === '') lines.shift();
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines.filter((l, i) => l !== '' || lines[i - 1] !== '').join('\r\n');
  }
}
