/**
 * Rendering, synchronous and without I/O. Liquid fills the compiled template for one subject, printing
 * a mark instead of each value (engine.ts collects the values), so its output, the skeleton, depends
 * only on which conditions held. Each skeleton is parsed once (htmlparser2) into a program built from
 * the sanitiser's own allow-list (src/signatures/sanitise.ts: its elements, attributes, style
 * properties and URL schemes); a render replays the program with the values put back as text into the
 * four writers at once. Values are never parsed as HTML, attribute values that came from placeholders
 * are checked again (link schemes, image sources), and a test holds the sanitiser to finding nothing
 * left to remove. Running sanitize-html itself on every render would cost more than the rest of the
 * render together (bench: signature rendering).
 */
import { hash } from 'node:crypto';
import { Parser } from 'htmlparser2';
import type { RenderedSignature, SignatureFile, SignatureImage, SignatureSubject } from '../model.js';
import { SIGNATURE_ATTRIBUTES, SIGNATURE_STYLE_PROPERTIES, SIGNATURE_TAGS, STYLE_VALUE } from '../sanitise.js';
import type { CompiledTemplate } from './compile.js';
import { renderCollecting } from './engine.js';
import { isoDay, RenderMoment } from './filters.js';
import { RtfWriter } from './rtf.js';
import { fillMarks, type InlineText, inlineText } from './writers.js';
import { PERSON_NAMESPACES } from './syntax.js';
import { type ResolvedImage, TextWriter } from './writers.js';

export interface RenderOptions {
  /** The Outlook signature's name: `<name>.htm` and its `<name>_files/` folder. */
  name: string;
  /** The moment the signature is for (`now`, `today` and date conditions in the template). */
  now: Date;
  /** IANA time zone `now` and `today` are read in, e.g. `Europe/Berlin`. */
  timeZone: string;
  /** Template images (logos, banners) by SHA-256; one it does not know is left out of the signature. */
  assets?: (hash: string) => SignatureImage | undefined;
  /** Web HTML images: `inline` as data: URIs (the default), `url` as `<publicBaseUrl>/<sha256>.<png|jpg|gif>`. */
  imageMode?: 'inline' | 'url';
  publicBaseUrl?: string;
}

const KEPT = new Set(SIGNATURE_TAGS);
const COMMON_ATTRIBUTES = new Set(SIGNATURE_ATTRIBUTES['*']);
const ATTRIBUTES_OF = new Map(Object.entries(SIGNATURE_ATTRIBUTES).map(([tag, names]) => [tag, new Set(names)]));
const VOID = new Set(['br', 'img', 'hr', 'col']);
/** Elements whose own text is only the whitespace between their rows and cells. */
const TABLE_STRUCTURE = new Set(['table', 'thead', 'tbody', 'tfoot', 'tr', 'colgroup']);
/** Content that is never text, should such an element ever reach the pass. */
const DROPPED_WITH_CONTENT = new Set(['script', 'style', 'textarea', 'title', 'noscript', 'template', 'iframe', 'object', 'svg', 'math']);
const LINK_SCHEME = /^(?:https?:|mailto:|tel:)/i;
const IMAGE_URL = /^(?:https?:\/\/|cid:)/i;
const CONTROL_AND_SPACE = /[\s\p{Cc}]+/gu;
/** Whether a URL holds any of CONTROL_AND_SPACE (most do not: the test spares the replace's copy). */
const HAS_CONTROL_OR_SPACE = /[\s\p{Cc}]/u;
const EXTENSIONS: Record<SignatureImage['contentType'], string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif' };
/** What `{{ photo.user }}` prints: resolved by the pass, never shown. */
const PHOTO_REF = 'onramp-photo:';
const ASSET_REF = 'asset:';
/** Stands for an image's data: URI in web HTML until the end, so the hash reads the image's SHA-256, not its base64. */
const IMAGE_MARK = '\u0000';
/** Stands for a value Liquid printed, in the skeleton a render is parsed from. */
const VALUE_MARK = '\u0001';

/** Filtered style attributes by their source text: templates repeat the same few styles in every render. */
const STYLE_CACHE = new Map<string, string>();
const STYLE_CACHE_ENTRIES = 2048;

/** The style declarations the sanitiser keeps, written as it writes them (`a:b;c:d`). */
function keptStyle(style: string): string {
  const cached = STYLE_CACHE.get(style);
  if (cached !== undefined) return cached;
  const kept: string[] = [];
  for (const declaration of style.split(';')) {
    const colon = declaration.indexOf(':');
    if (colon <= 0) continue;
    const property = declaration.slice(0, colon).trim().toLowerCase();
    const value = declaration.slice(colon + 1).trim();
    if (value !== '' && SIGNATURE_STYLE_PROPERTIES.has(property) && STYLE_VALUE.test(value)) kept.push(`${property}:${value}`);
  }
  const result = kept.join(';');
  if (STYLE_CACHE.size >= STYLE_CACHE_ENTRIES) STYLE_CACHE.clear();
  STYLE_CACHE.set(style, result);
  return result;
}

const BASE64_CACHE = new Map<string, string>();
const BASE64_CACHE_ENTRIES = 64;

/** A data: URI; a template's own images (logos) are remembered, people's photos are not (each is used once). */
function dataUri(image: SignatureImage, shared: boolean): string {
  let uri = BASE64_CACHE.get(image.hash);
  if (uri === undefined) {
    uri = `data:${image.contentType};base64,${image.bytes.toString('base64')}`;
    if (!shared) return uri;
    if (BASE64_CACHE.size >= BASE64_CACHE_ENTRIES) BASE64_CACHE.delete(BASE64_CACHE.keys().next().value!);
    BASE64_CACHE.set(image.hash, uri);
  }
  return uri;
}

/** A URL as its scheme is checked: with whitespace and control characters taken out (`java\tscript:`). */
function withoutControlsAndSpaces(url: string): string {
  return HAS_CONTROL_OR_SPACE.test(url) ? url.replace(CONTROL_AND_SPACE, '') : url;
}

/** Pixel size from the image's header (PNG, GIF, JPEG), when its metadata does not say. */
export function imageSize(image: SignatureImage): { width: number; height: number } | undefined {
  if (image.width && image.height) return { width: image.width, height: image.height };
  const b = image.bytes;
  if (image.contentType === 'image/png' && b.length >= 24) return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (image.contentType === 'image/gif' && b.length >= 10) return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  if (image.contentType === 'image/jpeg') {
    for (let i = 2; i + 9 < b.length; ) {
      if (b[i] !== 0xff) return undefined;
      const marker = b[i + 1]!;
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
        return { width: b.readUInt16BE(i + 7), height: b.readUInt16BE(i + 5) };
      i += 2 + b.readUInt16BE(i + 2);
    }
  }
  return undefined;
}

function pixels(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*$/i.exec(value);
  return m ? Math.round(Number(m[1])) : undefined;
}

/** The displayed size: width/height attributes or styles, else scaled from the image's own. */
function displayedSize(image: SignatureImage, attributes: Record<string, string>): { width: number; height: number } {
  const style = attributes.style ?? '';
  const w = pixels(attributes.width) ?? pixels(/(?:^|;)\s*width\s*:\s*([^;]+)/i.exec(style)?.[1]);
  const h = pixels(attributes.height) ?? pixels(/(?:^|;)\s*height\s*:\s*([^;]+)/i.exec(style)?.[1]);
  const own = imageSize(image) ?? { width: w ?? 100, height: h ?? 100 };
  if (w && h) return { width: w, height: h };
  if (w) return { width: w, height: Math.round((own.height * w) / own.width) };
  if (h) return { width: Math.round((own.width * h) / own.height), height: h };
  return own;
}

let lastDay = { at: Number.NaN, timeZone: '', day: '' };

/** `today` for a render; a batch renders at one moment, so the last answer is kept. */
function todayIn(now: Date, timeZone: string): string {
  if (lastDay.at !== now.getTime() || lastDay.timeZone !== timeZone) lastDay = { at: now.getTime(), timeZone, day: isoDay(now, timeZone) };
  return lastDay.day;
}

function renderScope(subject: SignatureSubject, options: RenderOptions) {
  const photo: Record<string, string | undefined> = {};
  for (const who of PERSON_NAMESPACES) {
    const image = subject.photos[who];
    photo[who] = image ? `${PHOTO_REF}${who}` : undefined;
  }
  return {
    user: subject.user,
    manager: subject.manager ?? {},
    mailbox: subject.mailbox,
    mailboxManager: subject.mailboxManager ?? {},
    var: subject.variables,
    photo,
    now: new RenderMoment(options.now, options.timeZone),
    today: todayIn(options.now, options.timeZone),
  };
}

/** A text run of the skeleton: static text and, by number, the values Liquid printed into it. */
type Parts = Array<string | number>;

/** One step of a skeleton's program, replayed for every subject that renders to that skeleton. */
type Op =
  /** An element whose attributes are all static: checked once, written as is. */
  | { kind: 'open'; tag: string; html: string; htm: string; attributes: Record<string, string> }
  /** An element with values in its attributes, or an image: checked at every render. */
  | { kind: 'dynamic'; tag: string; attributes: Array<[string, Parts]> }
  | { kind: 'close'; tag: string }
  /** Text: `html` and `htm` hold the static parts already escaped (and, for the HTM, ASCII), `inline` as laid out. */
  | { kind: 'text'; parts: Parts; html: Parts; htm: Parts; inline: Array<InlineText | number> };

interface Program {
  ops: Op[];
}

/** Splits a skeleton's text at the value marks, numbering the values from `next`. */
function partsOf(text: string, counter: { next: number }): Parts {
  if (!text.includes(VALUE_MARK)) return [text];
  const parts: Parts = [];
  const pieces = text.split(VALUE_MARK);
  for (let i = 0; i < pieces.length; i++) {
    if (i > 0) parts.push(counter.next++);
    if (pieces[i] !== '') parts.push(pieces[i]!);
  }
  return parts;
}

/**
 * The program for one skeleton: the rendered HTML with every printed value replaced by a mark, parsed
 * once. Elements and attributes outside the allow-list go here; values are never parsed as HTML at all.
 */
function buildProgram(skeleton: string): Program {
  const ops: Op[] = [];
  const counter = { next: 0 };
  /** Open elements: kept or not, and their names (whitespace between table rows is no text). */
  const open: boolean[] = [];
  const names: string[] = [];
  let dropDepth = 0;
  const parser = new Parser(
    {
      onopentag(tag, attributes) {
        const names = Object.keys(attributes);
        if (dropDepth > 0 || DROPPED_WITH_CONTENT.has(tag)) {
          // Values printed here still count, so the ones after keep their numbers.
          for (const name of names) partsOf(attributes[name]!, counter);
          if (!VOID.has(tag)) dropDepth++;
          return;
        }
        const dynamic = tag === 'img' || names.some((name) => attributes[name]!.includes(VALUE_MARK));
        if (!KEPT.has(tag)) {
          for (const name of names) partsOf(attributes[name]!, counter);
          if (!VOID.has(tag)) {
            open.push(false);
            names.push(tag);
          }
          return;
        }
        if (dynamic) ops.push({ kind: 'dynamic', tag, attributes: names.map((name) => [name, partsOf(attributes[name]!, counter)]) });
        else {
          const start = elementStart(tag, attributes, undefined);
          if (start) ops.push({ kind: 'open', tag, html: start.web, htm: asciiHtml(start.htm), attributes: start.kept });
        }
        if (!VOID.has(tag)) {
          open.push(true);
          names.push(tag);
        }
      },
      onclosetag(tag) {
        if (dropDepth > 0) {
          if (!VOID.has(tag)) dropDepth--;
          return;
        }
        if (VOID.has(tag)) return;
        names.pop();
        if (open.pop()) ops.push({ kind: 'close', tag });
      },
      ontext(data) {
        const parts = partsOf(data, counter);
        if (dropDepth > 0) return;
        if (parts.length === 1 && TABLE_STRUCTURE.has(names[names.length - 1] ?? '') && (parts[0] as string).trim() === '') return;
        const html = parts.map((p) => (typeof p === 'string' ? escapeText(p) : p));
        ops.push({
          kind: 'text',
          parts,
          html,
          htm: html.map((p) => (typeof p === 'string' ? asciiHtml(p) : p)),
          inline: parts.map((p) => (typeof p === 'string' ? inlineText(p) : p)),
        });
      },
    },
    { decodeEntities: true, recognizeSelfClosing: true },
  );
  parser.write(skeleton);
  parser.end();
  return { ops };
}

interface ElementStart {
  /** The start tag for web HTML and for the HTM (they differ in image sources only). */
  web: string;
  htm: string;
  /** The attributes kept, for the text and RTF writers. */
  kept: Record<string, string>;
  image?: ResolvedImage;
}

/** An image a source names, and how web HTML and the HTM refer to it. */
interface ImageSource {
  image: SignatureImage;
  /** A template image (used by every render) rather than a person's photo. */
  shared: boolean;
  web: string;
  htm: string;
}

/**
 * An element's start tag after the allow-list: attributes outside it go, styles keep their allowed
 * properties, links keep http(s)/mailto/tel, images resolve (photo, asset) or keep an https/cid URL.
 * `undefined`: the element goes (an image with nothing to show).
 */
function elementStart(tag: string, attributes: Record<string, string>, images: RenderImages | undefined): ElementStart | undefined {
  const own = ATTRIBUTES_OF.get(tag);
  const kept: Record<string, string> = {};
  let written = '';
  let image: ResolvedImage | undefined;
  let webSrc = '';
  let htmSrc = '';
  for (const name in attributes) {
    if (!COMMON_ATTRIBUTES.has(name) && !own?.has(name)) continue;
    const raw = attributes[name]!;
    let value = raw;
    if (name === 'style') {
      value = keptStyle(raw);
      if (value === '') continue;
    } else if (name === 'href') {
      if (!LINK_SCHEME.test(withoutControlsAndSpaces(raw))) continue;
    } else if (name === 'src') {
      const resolved = images?.resolve(raw.trim());
      if (resolved) {
        image = { image: resolved.image, shared: resolved.shared, ...displayedSize(resolved.image, attributes) };
        webSrc = resolved.web;
        htmSrc = resolved.htm;
      } else if (IMAGE_URL.test(withoutControlsAndSpaces(raw))) webSrc = htmSrc = escapeAttribute(raw);
      continue;
    }
    kept[name] = value;
    written += ` ${name}="${escapeAttribute(value)}"`;
  }
  if (tag === 'img') {
    // No photo, an unknown asset, an empty placeholder: the image goes, not a broken box.
    if (webSrc === '') return undefined;
    kept.src = webSrc;
    return { web: `<img src="${webSrc}"${written} />`, htm: `<img src="${htmSrc}"${written} />`, kept, ...(image ? { image } : {}) };
  }
  const start = VOID.has(tag) ? `<${tag}${written} />` : `<${tag}${written}>`;
  return { web: start, htm: start, kept };
}

/** Skeletons a template rendered to, and their programs: a template has a handful (its conditions' outcomes). */
const PROGRAMS = new WeakMap<CompiledTemplate, Array<{ skeleton: string; program: Program }>>();
const PROGRAMS_PER_TEMPLATE = 64;

function programFor(template: CompiledTemplate, skeleton: string): Program {
  let programs = PROGRAMS.get(template);
  if (!programs) {
    programs = [];
    PROGRAMS.set(template, programs);
  }
  // A plain comparison, not a map: a fresh 2 KB key would be hashed in full at every render.
  for (const entry of programs) if (entry.skeleton.length === skeleton.length && entry.skeleton === skeleton) return entry.program;
  const program = buildProgram(skeleton);
  if (programs.length >= PROGRAMS_PER_TEMPLATE) programs.shift();
  programs.push({ skeleton, program });
  return program;
}

function fill(parts: Parts, values: string[]): string {
  if (parts.length === 1 && typeof parts[0] === 'string') return parts[0];
  let out = '';
  for (const p of parts) out += typeof p === 'string' ? p : values[p]!;
  return out;
}

/** The images one render uses: resolved from photos and assets, numbered as files in order of first use. */
class RenderImages {
  readonly used: Array<{ image: SignatureImage; shared: boolean; file: SignatureFile; src: ImageSource }> = [];
  /** Whether web HTML holds image marks to fill in. */
  inWeb = false;
  readonly #folder: string;
  readonly #folderInSrc: string;
  readonly #baseUrl: string;
  readonly #urlMode: boolean;

  constructor(
    private readonly template: CompiledTemplate,
    private readonly subject: SignatureSubject,
    private readonly options: RenderOptions,
  ) {
    this.#folder = `${options.name.replace(/[\\/:*?"<>|]/g, '_')}_files`;
    this.#folderInSrc = encodeURIComponent(this.#folder);
    this.#baseUrl = (options.publicBaseUrl ?? '').replace(/\/+$/, '');
    this.#urlMode = options.imageMode === 'url';
  }

  /** How web HTML refers to images, for the hash (the HTM stands in for the rest of it). */
  get webForm(): string {
    return this.#urlMode ? `url ${this.#baseUrl}` : 'inline';
  }

  resolve(src: string): ImageSource | undefined {
    let image: SignatureImage | undefined;
    const shared = !src.startsWith(PHOTO_REF);
    if (!shared) image = this.subject.photos[src.slice(PHOTO_REF.length) as (typeof PERSON_NAMESPACES)[number]];
    else if (src.startsWith(ASSET_REF)) {
      const hash = src.slice(ASSET_REF.length);
      image = this.template.images.get(hash) ?? this.options.assets?.(hash);
    }
    if (!image) return undefined;
    const known = this.used.find((u) => u.image.hash === image.hash);
    if (known) return known.src;
    const name = `image${String(this.used.length + 1).padStart(3, '0')}.${EXTENSIONS[image.contentType]}`;
    const file = { path: `${this.#folder}/${name}`, contentType: image.contentType, bytes: image.bytes };
    let web: string;
    if (this.#urlMode) web = escapeAttribute(`${this.#baseUrl}/${image.hash}.${EXTENSIONS[image.contentType]}`);
    else {
      web = `${IMAGE_MARK}${image.hash}${IMAGE_MARK}`;
      this.inWeb = true;
    }
    const resolved: ImageSource = { image, shared, web, htm: `${this.#folderInSrc}/${name}` };
    this.used.push({ image, shared, file, src: resolved });
    return resolved;
  }

  dataUri(hash: string): string {
    const used = this.used.find((u) => u.image.hash === hash)!;
    return dataUri(used.image, used.shared);
  }
}

/** Renders one template for one subject in the four forms (synchronous: no I/O, images come resolved). */
export function renderSignature(template: CompiledTemplate, subject: SignatureSubject, options: RenderOptions): RenderedSignature {
  const { skeleton, values } = renderCollecting(template.liquid, renderScope(subject, options));
  const program = programFor(template, skeleton);

  let web = '';
  let htm = '';
  const text = new TextWriter();
  const rtf = new RtfWriter();
  const images = new RenderImages(template, subject, options);
  for (const op of program.ops) {
    if (op.kind === 'text') {
      for (let i = 0; i < op.parts.length; i++) {
        const part = op.parts[i]!;
        const value = typeof part === 'string' ? part : values[part]!;
        if (typeof part === 'string') {
          web += op.html[i] as string;
          htm += op.htm[i] as string;
        } else {
          const html = escapeText(value);
          web += html;
          htm += asciiHtml(html);
        }
        const inline = typeof part === 'string' ? (op.inline[i] as InlineText) : inlineText(value);
        text.text(inline);
        rtf.text(inline);
      }
    } else if (op.kind === 'open') {
      web += op.html;
      htm += op.htm;
      text.open(op.tag, op.attributes);
      rtf.open(op.tag, op.attributes);
    } else if (op.kind === 'close') {
      web += `</${op.tag}>`;
      htm += `</${op.tag}>`;
      text.close(op.tag);
      rtf.close(op.tag);
    } else {
      const attributes: Record<string, string> = {};
      for (const [name, parts] of op.attributes) attributes[name] = fill(parts, values);
      const start = elementStart(op.tag, attributes, images);
      if (!start) continue;
      web += start.web;
      htm += asciiHtml(start.htm);
      text.open(op.tag, start.kept);
      rtf.open(op.tag, start.kept, start.image);
    }
  }

  const webHtml = images.inWeb ? fillMarks(web, IMAGE_MARK, (h) => images.dataUri(h)) : web;
  const htmDocument = outlookHtm(htm);
  const txt = text.finish();
  const rtfDocument = rtf.finish();
  // The hash reads every output, in forms that are cheap to hash and still tell every change apart:
  // images by their SHA-256 (the bytes' content address) instead of 30 KB of base64 and hex, and the
  // web HTML through the HTM, which is the same fragment in ASCII with the images as files (so web
  // HTML adds only how it refers to images). Hashing it all as written was a fifth of the render.
  let hashed = `${images.webForm}\u0000${htmDocument}\u0000${rtfDocument.withImageHashes}\u0000${txt}`;
  for (const used of images.used) hashed += `\u0000${used.file.path}\u0000${used.image.hash}`;
  return { webHtml, htm: htmDocument, rtf: rtfDocument.document, txt, files: images.used.map((u) => u.file), hash: hash('sha256', hashed) };
}

/** A UTF-16 unit above ASCII (no `u` flag: the search is per unit, the loop below reads code points). */
const NON_ASCII = /[\u0080-\uffff]/;
const TEXT_SPECIAL = /[&<>]/;

/**
 * HTML with every character above ASCII as a numeric reference (one per code point; a lone surrogate
 * as its unit). A loop over the units from the first one above ASCII: about three times faster than a
 * replace with a callback on the names and addresses signatures hold.
 */
function asciiHtml(html: string): string {
  const first = html.search(NON_ASCII);
  if (first === -1) return html;
  let out = html.slice(0, first);
  let from = first;
  for (let i = first; i < html.length; i++) {
    if (html.charCodeAt(i) < 0x80) continue;
    if (i > from) out += html.slice(from, i);
    const codePoint = html.codePointAt(i)!;
    out += `&#${codePoint};`;
    if (codePoint > 0xffff) i++;
    from = i + 1;
  }
  return from < html.length ? out + html.slice(from) : out;
}

/** As sanitize-html escapes text: `& < >` (most values have none: a test is half the cost of a replace). */
function escapeText(text: string): string {
  if (!TEXT_SPECIAL.test(text)) return text;
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

const ATTRIBUTE_SPECIAL = /[&<>"]/;

/** As sanitize-html escapes attribute values: `& < > "`. */
function escapeAttribute(value: string): string {
  if (!ATTRIBUTE_SPECIAL.test(value)) return value;
  return value.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

/**
 * Outlook classic's `<name>.htm`: a whole document, UTF-8 declared in a meta element, and every
 * character above ASCII also written as a numeric reference, so the file reads right even where
 * Outlook or Word takes it for windows-1252.
 */
function outlookHtm(ascii: string): string {
  return `<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n<meta name="Generator" content="onramp">\r\n</head>\r\n<body>\r\n${ascii}\r\n</body>\r\n</html>\r\n`;
}
