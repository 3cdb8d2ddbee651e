/**
 * Rendering, synchronous and without I/O: Liquid fills the compiled template for one subject (every
 * value HTML-escaped on output), then one htmlparser2 pass over the result writes all four outputs
 * at once. The pass rebuilds the HTML from the sanitiser's own allow-list (src/signatures/sanitise.ts:
 * its elements, attributes, style properties and URL schemes), so what a directory value could smuggle
 * past the escaping, and what a compiler bug could let through, is dropped here again; a test holds
 * the sanitiser to finding nothing left to remove. Running sanitize-html itself on every render would
 * cost more than the rest of the render together (bench: signature rendering).
 */
import { createHash } from 'node:crypto';
import { Parser } from 'htmlparser2';
import type { RenderedSignature, SignatureFile, SignatureImage, SignatureSubject } from '../model.js';
import { SIGNATURE_ATTRIBUTES, SIGNATURE_STYLE_PROPERTIES, SIGNATURE_TAGS, STYLE_VALUE } from '../sanitise.js';
import { type CompiledTemplate, engine } from './compile.js';
import { isoDay, RenderMoment } from './filters.js';
import { RtfWriter } from './rtf.js';
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
/** Content that is never text, should such an element ever reach the pass. */
const DROPPED_WITH_CONTENT = new Set(['script', 'style', 'textarea', 'title', 'noscript', 'template', 'iframe', 'object', 'svg', 'math']);
const LINK_SCHEME = /^(?:https?:|mailto:|tel:)/i;
const IMAGE_URL = /^(?:https?:\/\/|cid:)/i;
const CONTROL_AND_SPACE = /[\s\p{Cc}]+/gu;
const EXTENSIONS: Record<SignatureImage['contentType'], string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif' };
/** What `{{ photo.user }}` prints: resolved by the pass, never shown. */
const PHOTO_REF = 'onramp-photo:';
const ASSET_REF = 'asset:';

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

function dataUri(image: SignatureImage): string {
  let uri = BASE64_CACHE.get(image.hash);
  if (uri === undefined) {
    uri = `data:${image.contentType};base64,${image.bytes.toString('base64')}`;
    if (BASE64_CACHE.size >= BASE64_CACHE_ENTRIES) BASE64_CACHE.delete(BASE64_CACHE.keys().next().value!);
    BASE64_CACHE.set(image.hash, uri);
  }
  return uri;
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
    today: isoDay(options.now, options.timeZone),
  };
}

/** Renders one template for one subject in the four forms (synchronous: no I/O, images come resolved). */
export function renderSignature(template: CompiledTemplate, subject: SignatureSubject, options: RenderOptions): RenderedSignature {
  const html = engine.renderSync(template.liquid, renderScope(subject, options)) as string;
  const folder = `${options.name.replace(/[\\/:*?"<>|]/g, '_')}_files`;
  const folderInSrc = encodeURIComponent(folder);
  const baseUrl = (options.publicBaseUrl ?? '').replace(/\/+$/, '');
  const urlMode = options.imageMode === 'url';

  let web = '';
  let htm = '';
  const text = new TextWriter();
  const rtf = new RtfWriter();
  const files: SignatureFile[] = [];
  const fileOf = new Map<string, string>();
  /** Kept elements and their written end tags, so ends match what was written. */
  const open: Array<{ tag: string; kept: boolean }> = [];
  let dropDepth = 0;

  const resolveImage = (src: string): SignatureImage | undefined => {
    if (src.startsWith(PHOTO_REF)) return subject.photos[src.slice(PHOTO_REF.length) as (typeof PERSON_NAMESPACES)[number]];
    if (src.startsWith(ASSET_REF)) {
      const hash = src.slice(ASSET_REF.length);
      return template.images.get(hash) ?? options.assets?.(hash);
    }
    return undefined;
  };

  const fileFor = (image: SignatureImage): string => {
    let path = fileOf.get(image.hash);
    if (path === undefined) {
      const file = `image${String(files.length + 1).padStart(3, '0')}.${EXTENSIONS[image.contentType]}`;
      files.push({ path: `${folder}/${file}`, contentType: image.contentType, bytes: image.bytes });
      path = `${folderInSrc}/${file}`;
      fileOf.set(image.hash, path);
    }
    return path;
  };

  const parser = new Parser(
    {
      onopentag(tag, attributes) {
        if (dropDepth > 0 || DROPPED_WITH_CONTENT.has(tag)) {
          if (!VOID.has(tag)) dropDepth++;
          return;
        }
        if (!KEPT.has(tag)) {
          if (!VOID.has(tag)) open.push({ tag, kept: false });
          return;
        }
        const own = ATTRIBUTES_OF.get(tag);
        const kept: Record<string, string> = {};
        let written = '';
        let image: ResolvedImage | undefined;
        let webSrc = '';
        let htmSrc = '';
        for (const [name, raw] of Object.entries(attributes)) {
          if (!COMMON_ATTRIBUTES.has(name) && !own?.has(name)) continue;
          let value = raw;
          if (name === 'style') {
            value = keptStyle(raw);
            if (value === '') continue;
          } else if (name === 'href') {
            if (!LINK_SCHEME.test(raw.replace(CONTROL_AND_SPACE, ''))) continue;
          } else if (name === 'src') {
            const resolved = resolveImage(raw.trim());
            if (resolved) {
              const size = displayedSize(resolved, attributes);
              image = { image: resolved, ...size };
              webSrc = urlMode ? `${baseUrl}/${resolved.hash}.${EXTENSIONS[resolved.contentType]}` : dataUri(resolved);
              htmSrc = fileFor(resolved);
            } else if (IMAGE_URL.test(raw.replace(CONTROL_AND_SPACE, ''))) webSrc = htmSrc = raw;
            continue;
          }
          kept[name] = value;
          written += ` ${name}="${escapeAttribute(value)}"`;
        }
        if (tag === 'img') {
          // No photo, an unknown asset, an empty placeholder: the image goes, not a broken box.
          if (webSrc === '') return;
          kept.src = webSrc;
          web += `<img src="${escapeAttribute(webSrc)}"${written} />`;
          htm += `<img src="${escapeAttribute(htmSrc)}"${written} />`;
        } else {
          const start = VOID.has(tag) ? `<${tag}${written} />` : `<${tag}${written}>`;
          web += start;
          htm += start;
          if (!VOID.has(tag)) open.push({ tag, kept: true });
        }
        text.open(tag, kept);
        rtf.open(tag, kept, image);
      },
      onclosetag(tag) {
        if (dropDepth > 0) {
          if (!VOID.has(tag)) dropDepth--;
          return;
        }
        if (VOID.has(tag)) return;
        const element = open.pop();
        if (!element?.kept) return;
        web += `</${tag}>`;
        htm += `</${tag}>`;
        text.close(tag);
        rtf.close(tag);
      },
      ontext(data) {
        if (dropDepth > 0) return;
        const escaped = escapeText(data);
        web += escaped;
        htm += escaped;
        text.text(data);
        rtf.text(data);
      },
    },
    { decodeEntities: true, recognizeSelfClosing: true },
  );
  parser.write(html);
  parser.end();

  const webHtml = web;
  const htmDocument = outlookHtm(htm);
  const txt = text.finish();
  const rtfDocument = rtf.finish();
  const hash = createHash('sha256');
  for (const part of [webHtml, htmDocument, rtfDocument, txt]) hash.update(part).update('\u0000');
  for (const file of files) hash.update(file.path).update('\u0000').update(file.bytes).update('\u0000');
  return { webHtml, htm: htmDocument, rtf: rtfDocument, txt, files, hash: hash.digest('hex') };
}

/** As sanitize-html escapes text: `& < >`. */
function escapeText(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** As sanitize-html escapes attribute values: `& < > "`. */
function escapeAttribute(value: string): string {
  return value.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

/**
 * Outlook classic's `<name>.htm`: a whole document, UTF-8 declared in a meta element, and every
 * character above ASCII also written as a numeric reference, so the file reads right even where
 * Outlook or Word takes it for windows-1252.
 */
function outlookHtm(body: string): string {
  const ascii = body.replace(/[\u0080-\u{10ffff}]/gu, (c) => `&#${c.codePointAt(0)};`);
  return `<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n<meta name="Generator" content="onramp">\r\n</head>\r\n<body>\r\n${ascii}\r\n</body>\r\n</html>\r\n`;
}
