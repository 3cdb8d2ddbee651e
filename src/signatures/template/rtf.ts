/**
 * A small RTF writer for what signature templates express: paragraphs and line breaks, bold, italic,
 * underline, strike, super/subscript, font (first family), size and colour from `<font>` and inline
 * styles, links as HYPERLINK fields, table rows as lines with a tab between cells, list items, and
 * PNG/JPEG images as `\pict` hex. The file is plain ASCII: `\ { }` are escaped and every other
 * character above U+007F is `\uN?` (signed 16-bit; astral characters as their UTF-16 surrogate pair),
 * so no code page can garble an umlaut. Unsupported styling is left out, never approximated.
 */
import { BLOCK_ELEMENTS, CELL_ELEMENTS, fillMarks, type InlineText, type ResolvedImage, type SignatureSink } from './writers.js';

const DEFAULT_FONT = 'Calibri';
/** Half-points: 11 pt, Outlook's default. */
const DEFAULT_SIZE = 22;
const FONT_SIZES: Record<string, number> = { '1': 8, '2': 10, '3': 12, '4': 14, '5': 18, '6': 24, '7': 36 };
const HEADING_SIZES: Record<string, number> = { h1: 48, h2: 36, h3: 28, h4: 24, h5: 20, h6: 16 };
const NAMED_COLOURS: Record<string, [number, number, number]> = {
  black: [0, 0, 0],
  white: [255, 255, 255],
  red: [255, 0, 0],
  green: [0, 128, 0],
  blue: [0, 0, 255],
  navy: [0, 0, 128],
  gray: [128, 128, 128],
  grey: [128, 128, 128],
  silver: [192, 192, 192],
  maroon: [128, 0, 0],
  orange: [255, 165, 0],
  purple: [128, 0, 128],
  teal: [0, 128, 128],
};
const LINK_COLOUR = colourEntry([5, 99, 193]);
/** Where a picture's hex goes once the document is done (NUL never appears in escaped RTF text). */
const PICTURE_MARK = '\u0000';

// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters rtfEscape rewrites.
const RTF_SPECIAL = /[\\{}\t\u00a0\u0000-\u001f\u007f-\uffff]/;

/** RTF text: `\ { }` escaped, tabs and hard spaces as control words, everything above ASCII as `\uN?`. */
export function rtfEscape(text: string): string {
  const first = text.search(RTF_SPECIAL);
  if (first === -1) return text;
  // A loop over UTF-16 units (astral characters become their surrogate pair), not a replace with a
  // callback: names with accents are the common case and this is several times faster on them.
  let out = text.slice(0, first);
  let from = first;
  for (let i = first; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    let escaped: string;
    if (unit === 0x5c || unit === 0x7b || unit === 0x7d) escaped = `\\${text[i]}`;
    else if (unit === 0x09) escaped = '\\tab ';
    else if (unit === 0xa0) escaped = '\\~';
    else if (unit < 0x20 || unit === 0x7f) escaped = '';
    else if (unit > 0x7f) escaped = `\\u${unit > 0x7fff ? unit - 0x10000 : unit}?`;
    else continue;
    if (i > from) out += text.slice(from, i);
    out += escaped;
    from = i + 1;
  }
  return from < text.length ? out + text.slice(from) : out;
}

function colourEntry([r, g, b]: [number, number, number]): string {
  return `\\red${r}\\green${g}\\blue${b};`;
}

/** A CSS colour as a colour-table entry. */
function parseColour(value: string): string | undefined {
  const rgb = parseRgb(value);
  return rgb && colourEntry(rgb);
}

function parseRgb(value: string): [number, number, number] | undefined {
  const v = value.trim().toLowerCase();
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/.exec(v);
  if (hex) {
    const h = hex[1]!.length === 3 ? [...hex[1]!].map((c) => c + c).join('') : hex[1]!;
    return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
  }
  const rgb = /^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)/.exec(v);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])].map((n) => Math.min(255, n)) as [number, number, number];
  return NAMED_COLOURS[v];
}

/** Half-points of a CSS font size in pt or px. */
function parseFontSize(value: string): number | undefined {
  const m = /^\s*([\d.]+)\s*(pt|px)\s*$/i.exec(value);
  if (!m) return undefined;
  const pt = m[2]!.toLowerCase() === 'pt' ? Number(m[1]) : Number(m[1]) * 0.75;
  return pt > 0 && pt < 200 ? Math.round(pt * 2) : undefined;
}

function styleDeclarations(style: string | undefined): Array<[string, string]> {
  if (!style) return [];
  const out: Array<[string, string]> = [];
  for (const declaration of style.split(';')) {
    const colon = declaration.indexOf(':');
    if (colon > 0) out.push([declaration.slice(0, colon).trim().toLowerCase(), declaration.slice(colon + 1).trim()]);
  }
  return out;
}

interface OpenGroup {
  tag: string;
  /** Characters written for it that close with `}` (one per group opened). */
  closing: string;
}

/** Control words, and fonts and colours (as colour-table entries) still to be numbered in a document. */
type Formatting = Array<string | { font: string } | { colour: string }>;
const FORMATTING_CACHE = new Map<string, Formatting>();
const FORMATTING_BY_ATTRIBUTES = new WeakMap<object, Formatting>();
const FORMATTING_CACHE_ENTRIES = 1024;

/** An element's formatting as control words, with fonts and colours still to be numbered in a document's tables. */
function readFormatting(tag: string, attributes: Readonly<Record<string, string>>): Formatting {
  const out: Formatting = [];
  let words = '';
  if (tag === 'b' || tag === 'strong' || tag === 'th') words += '\\b';
  else if (tag === 'i' || tag === 'em') words += '\\i';
  else if (tag === 'u') words += '\\ul';
  else if (tag === 's' || tag === 'strike') words += '\\strike';
  else if (tag === 'sup') words += '\\super';
  else if (tag === 'sub') words += '\\sub';
  else if (tag in HEADING_SIZES) words += `\\b\\fs${HEADING_SIZES[tag]}`;
  else if (tag === 'small') words += '\\fs18';
  else if (tag === 'big') words += '\\fs28';
  if (attributes.dir === 'rtl') words += '\\rtlpar\\rtlch';
  else if (attributes.dir === 'ltr') words += '\\ltrpar\\ltrch';
  if (tag === 'font') {
    if (attributes.face) {
      out.push(words, { font: attributes.face });
      words = '';
    }
    const size = attributes.size ? FONT_SIZES[attributes.size.trim()] : undefined;
    if (size) words += `\\fs${size * 2}`;
    const colour = attributes.color ? parseColour(attributes.color) : undefined;
    if (colour) {
      out.push(words, { colour });
      words = '';
    }
  }
  for (const [property, value] of styleDeclarations(attributes.style)) {
    if (property === 'color') {
      const colour = parseColour(value);
      if (colour) {
        out.push(words, { colour });
        words = '';
      }
    } else if (property === 'font-family') {
      out.push(words, { font: value });
      words = '';
    } else if (property === 'font-size') {
      const size = parseFontSize(value);
      if (size) words += `\\fs${size}`;
    } else if (property === 'font-weight') words += /bold|[6-9]00/.test(value) ? '\\b' : '\\b0';
    else if (property === 'font-style') words += value.includes('italic') ? '\\i' : '\\i0';
    else if (property === 'text-decoration') {
      if (value.includes('underline')) words += '\\ul';
      else if (value.includes('none')) words += '\\ul0';
    }
  }
  out.push(words);
  return out.filter((f) => f !== '');
}

export class RtfWriter implements SignatureSink {
  readonly #fonts: string[] = [DEFAULT_FONT];
  readonly #colours: string[] = [];
  #body = '';
  /** Something visible since the last paragraph or line break. */
  #lineHasContent = false;
  #pendingSpace = false;
  #cellsInRow = 0;
  readonly #open: OpenGroup[] = [];
  readonly #pictures = new Map<string, ResolvedImage>();

  #font(name: string): number {
    const clean = name
      .split(',')[0]!
      .trim()
      .replace(/^['"]|['"]$/g, '');
    if (clean === '') return 0;
    const at = this.#fonts.indexOf(clean);
    if (at !== -1) return at;
    this.#fonts.push(clean);
    return this.#fonts.length - 1;
  }

  /** Index in the colour table (1-based: entry 0 is "auto") of an entry such as `\red0\green0\blue0;`. */
  #colour(entry: string): number {
    let at = this.#colours.indexOf(entry);
    if (at === -1) at = this.#colours.push(entry) - 1;
    return at + 1;
  }

  #paragraph(): void {
    if (this.#lineHasContent) this.#body += '\\par\n';
    this.#lineHasContent = false;
    this.#pendingSpace = false;
  }

  /** Control words for an element, from its tag and styling; styles repeat, so their reading is kept. */
  #formatting(tag: string, attributes: Readonly<Record<string, string>>): string {
    // Static elements hand over the same attributes object at every render.
    let formatting = FORMATTING_BY_ATTRIBUTES.get(attributes);
    if (formatting === undefined) {
      const key = `${tag}\u0000${attributes.style ?? ''}\u0000${attributes.dir ?? ''}\u0000${attributes.face ?? ''}\u0000${attributes.size ?? ''}\u0000${attributes.color ?? ''}`;
      formatting = FORMATTING_CACHE.get(key);
      if (formatting === undefined) {
        formatting = readFormatting(tag, attributes);
        if (FORMATTING_CACHE.size >= FORMATTING_CACHE_ENTRIES) FORMATTING_CACHE.clear();
        FORMATTING_CACHE.set(key, formatting);
      }
      FORMATTING_BY_ATTRIBUTES.set(attributes, formatting);
    }
    if (formatting.length === 0) return '';
    let words = '';
    for (const f of formatting) words += typeof f === 'string' ? f : 'font' in f ? `\\f${this.#font(f.font)}` : `\\cf${this.#colour(f.colour)}`;
    return words;
  }
  open(tag: string, attributes: Readonly<Record<string, string>>, image?: ResolvedImage): void {
    if (tag === 'br') {
      this.#body += '\\line\n';
      this.#lineHasContent = false;
      this.#pendingSpace = false;
      return;
    }
    if (tag === 'img') {
      if (image) this.#picture(image);
      return;
    }
    if (tag === 'tr') {
      this.#paragraph();
      this.#cellsInRow = 0;
    } else if (CELL_ELEMENTS.has(tag)) {
      if (this.#cellsInRow > 0 && this.#lineHasContent) this.#body += '\\tab ';
      this.#pendingSpace = false;
    } else if (BLOCK_ELEMENTS.has(tag)) this.#paragraph();
    if (tag === 'li') {
      this.#body += '\\bullet\\tab ';
      this.#lineHasContent = true;
    }
    let closing = '';
    let words = this.#formatting(tag, attributes);
    // The space before an element belongs outside its group (a link's field starts after it).
    if ((words || tag === 'a') && this.#pendingSpace && this.#lineHasContent) {
      this.#body += ' ';
      this.#pendingSpace = false;
    }
    if (tag === 'a' && attributes.href) {
      const url = rtfEscape(attributes.href.replace(/"/g, '%22'));
      this.#body += `{\\field{\\*\\fldinst{HYPERLINK "${url}"}}{\\fldrslt{\\ul\\cf${this.#colour(LINK_COLOUR)}`;
      closing = '}}}';
      words = words ? `${words} ` : ' ';
      this.#body += words;
    } else if (words) {
      this.#body += `{${words} `;
      closing = '}';
    }
    this.#open.push({ tag, closing });
  }

  close(tag: string): void {
    if (tag === 'br' || tag === 'img') return;
    const open = this.#open;
    let at = open.length - 1;
    while (at >= 0 && open[at]!.tag !== tag) at--;
    if (at === -1) return;
    while (open.length > at) this.#body += open.pop()!.closing;
    if (CELL_ELEMENTS.has(tag)) {
      if (this.#lineHasContent) this.#cellsInRow++;
    } else if (BLOCK_ELEMENTS.has(tag)) this.#paragraph();
  }

  text({ blank, leading, trailing, body }: InlineText): void {
    if (blank) {
      if (this.#lineHasContent && (leading || trailing)) this.#pendingSpace = true;
      return;
    }
    if ((leading || this.#pendingSpace) && this.#lineHasContent) this.#body += ' ';
    this.#body += rtfEscape(body);
    this.#lineHasContent = true;
    this.#pendingSpace = trailing;
  }

  #picture(resolved: ResolvedImage): void {
    const { image, width, height } = resolved;
    const blip = image.contentType === 'image/png' ? '\\pngblip' : image.contentType === 'image/jpeg' ? '\\jpegblip' : undefined;
    // RTF has no GIF picture type; Outlook shows its alt text's absence better than a broken box.
    if (!blip) return;
    const pixelsWide = image.width ?? width;
    const pixelsHigh = image.height ?? height;
    if (this.#pendingSpace && this.#lineHasContent) this.#body += ' ';
    this.#pendingSpace = false;
    this.#pictures.set(image.hash, resolved);
    this.#body += `{\\pict${blip}\\picw${pixelsWide}\\pich${pixelsHigh}\\picwgoal${width * 15}\\pichgoal${height * 15}\n${PICTURE_MARK}${image.hash}${PICTURE_MARK}}`;
    this.#lineHasContent = true;
  }

  /** The document, and the same with each picture's hex replaced by its SHA-256 (what the signature's hash reads). */
  finish(): { document: string; withImageHashes: string } {
    for (const group of this.#open.splice(0).reverse()) this.#body += group.closing;
    const fonts = this.#fonts.map((f, i) => `{\\f${i}\\fnil\\fcharset0 ${rtfEscape(f)};}`).join('');
    const colours = `{\\colortbl ;${this.#colours.join('')}}`;
    const withImageHashes = `{\\rtf1\\ansi\\ansicpg1252\\deff0\\uc1{\\fonttbl${fonts}}\n${colours}\n\\viewkind4\\pard\\f0\\fs${DEFAULT_SIZE} ${this.#body}}`;
    const document = this.#pictures.size > 0 ? fillMarks(withImageHashes, PICTURE_MARK, (h) => hexOf(this.#pictures.get(h)!)) : withImageHashes;
    return { document, withImageHashes };
  }
}

/** Hex of an image's bytes; a template's own images (logos) are remembered, people's photos are not (each is used once). */
const HEX_CACHE = new Map<string, string>();
const HEX_CACHE_ENTRIES = 64;

function hexOf({ image, shared }: ResolvedImage): string {
  let hex = HEX_CACHE.get(image.hash);
  if (hex === undefined) {
    hex = image.bytes.toString('hex');
    if (!shared) return hex;
    if (HEX_CACHE.size >= HEX_CACHE_ENTRIES) HEX_CACHE.delete(HEX_CACHE.keys().next().value!);
    HEX_CACHE.set(image.hash, hex);
  }
  return hex;
}
