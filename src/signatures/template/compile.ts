/**
 * Templates are Liquid (liquidjs) over signature HTML. Compiling checks everything before a template
 * is stored: the seed's placeholders are translated, the HTML is read by a real parser (htmlparser2)
 * for anything active or unsupported, `data-onramp-if` elements become Liquid conditionals, Liquid
 * parses the result, and its static analysis names every placeholder, so an unknown one is a problem
 * on save rather than a blank in someone's signature. Problems carry the admin's line and column.
 */
import { createHash } from 'node:crypto';
import { Parser } from 'htmlparser2';
import type { Template } from 'liquidjs';
import type { SignatureImage, TemplateProblem } from '../model.js';
import { SIGNATURE_TAGS } from '../sanitise.js';
import { engine } from './engine.js';
import { lineAndColumn, OTHER_GLOBALS, offsetOf, PERSON_ATTRIBUTES, PERSON_NAMESPACES, SourceMap, translateSeedSyntax } from './syntax.js';

export interface TemplateLimits {
  /** Largest template source, in UTF-8 bytes. */
  maxBytes: number;
  maxNestingDepth: number;
  maxElements: number;
}

export interface CompileOptions {
  limits: TemplateLimits;
  /** The custom variables admins defined: `var.x` for any other name is a problem. Absent: any name is accepted. */
  variables?: readonly string[];
  /** Template images by name (`<img src="asset:logo">`) → their SHA-256; `asset:<sha256>` needs no name. */
  assets?: Readonly<Record<string, string>>;
  /** Rendering a stored version: a name no upload has any more drops its image instead of failing the template. */
  dropUnknownAssets?: boolean;
}

export interface CompiledTemplate {
  readonly source: string;
  /** Every placeholder the template reads, e.g. `user.displayName`, `var.pronouns`, `photo.user`, `now`. */
  readonly placeholders: readonly string[];
  /** Images written into the template itself as `data:` URIs, by hash (kept out of every render's parse). */
  readonly images: ReadonlyMap<string, SignatureImage>;
  /** The SHA-256 of every template asset its images name (`asset:` by hash or by name): what to load before rendering. */
  readonly assets: readonly string[];
  /** The Liquid the source became (seed placeholders translated, data-onramp-if as `{% if %}`). */
  readonly liquidSource: string;
  /** The parsed Liquid: only renderSignature reads it. */
  readonly liquid: Template[];
}

export type CompileResult = { ok: true; template: CompiledTemplate; placeholders: string[] } | { ok: false; problems: TemplateProblem[] };

/** Elements that are active content, or change how the rest of the page is read. */
const UNSAFE_ELEMENTS = new Set([
  'script',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'form',
  'input',
  'button',
  'select',
  'textarea',
  'base',
  'link',
  'meta',
  'svg',
  'math',
  'template',
  'noscript',
  'portal',
]);
const KEPT_ELEMENTS = new Set(SIGNATURE_TAGS);
const VOID_ELEMENTS = new Set(['br', 'img', 'hr', 'col', 'meta', 'link', 'base', 'input', 'embed', 'wbr', 'area', 'source', 'param', 'track']);
/** Elements HTML closes by itself: not closing them is not a mistake. */
const SELF_CLOSING_BY_HTML = new Set(['p', 'li', 'td', 'th', 'tr', 'tbody', 'thead', 'tfoot', 'colgroup', 'caption', 'option']);
const URL_ATTRIBUTES = new Set(['href', 'src', 'background', 'action', 'formaction', 'poster', 'xlink:href', 'srcset', 'lowsrc', 'dynsrc', 'cite', 'data']);
const ACTIVE_SCHEME = /^(?:javascript|vbscript|livescript|mocha):/i;
const LINK_SCHEME = /^(?:https?:\/\/|mailto:|tel:)/i;
const TEMPLATE_DATA_IMAGE = /^data:image\/(png|gif|jpe?g);base64,([A-Za-z0-9+/=\s]+)$/i;
const UNSAFE_CSS = /expression\s*\(|javascript:|vbscript:|behavior\s*:|-moz-binding|url\s*\(\s*['"]?\s*(?:javascript|vbscript|data):/i;
const PLACEHOLDER_PATH = new RegExp(`\\b(?:${[...PERSON_NAMESPACES, 'var'].join('|')})\\.[A-Za-z_][A-Za-z0-9_]*`, 'g');
const CONTROL_AND_SPACE = /[\s\p{Cc}]+/gu;

/** A URL as a browser reads it: entities are already decoded by the parser; controls and spaces vanish. */
function normaliseUrl(value: string): string {
  return value.replace(CONTROL_AND_SPACE, '');
}

/** CSS as the browser reads it: comments gone, `\6a`-style escapes decoded. */
function normaliseCss(value: string): string {
  return value
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\\([0-9a-f]{1,6})\s?/gi, (_, hex: string) => String.fromCodePoint(Math.min(parseInt(hex, 16), 0x10ffff)))
    .replace(/\\(.)/g, '$1');
}

interface Edit {
  at: number;
  /** Input characters replaced (0: an insertion). */
  remove: number;
  insert: string;
  /** Where a problem in `insert` points in the input. */
  pointAt: number;
  /** Tie-break for edits at the same offset: closing before opening. */
  order: number;
}

interface OpenElement {
  name: string;
  start: number;
  condition?: { expression: string; pointAt: number };
}

interface HtmlScan {
  problems: Array<{ offset: number; message: string }>;
  edits: Edit[];
  images: Map<string, SignatureImage>;
  assets: Set<string>;
}

function imageFromDataUri(kind: string, base64: string): SignatureImage {
  const bytes = Buffer.from(base64.replace(/\s+/g, ''), 'base64');
  const contentType = kind.toLowerCase() === 'png' ? 'image/png' : kind.toLowerCase() === 'gif' ? 'image/gif' : 'image/jpeg';
  return { hash: createHash('sha256').update(bytes).digest('hex'), contentType, bytes };
}

/** The placeholders inside a stretch of template: what a bare `data-onramp-if` tests. */
function placeholdersIn(text: string): string[] {
  const found = new Set<string>();
  for (const output of text.matchAll(/\{\{([\s\S]*?)\}\}/g)) for (const path of output[1]!.matchAll(PLACEHOLDER_PATH)) found.add(path[0]);
  return [...found];
}

function scanHtml(text: string, options: CompileOptions): HtmlScan {
  const scan: HtmlScan = { problems: [], edits: [], images: new Map(), assets: new Set() };
  const problem = (offset: number, message: string) => scan.problems.push({ offset, message });
  const stack: OpenElement[] = [];
  const attributes: Array<{ name: string; value: string; start: number; end: number }> = [];
  let elements = 0;
  let overLimit = false;
  let ending = false;
  let order = 0;
  let rawTextOf: string | undefined;

  const checkAttribute = (tag: string, a: { name: string; value: string; start: number; end: number }, element: OpenElement) => {
    const name = a.name;
    if (/[{}%]/.test(name)) {
      problem(a.start, `Liquid inside <${tag}>'s tag is not supported: put the condition on the element with data-onramp-if, or around it`);
      return;
    }
    if (name.startsWith('on')) {
      problem(a.start, `event handler attribute ${name} is not allowed`);
      return;
    }
    if (name === 'data-onramp-if') {
      const expression = a.value.trim();
      if (/\{\{|\}\}|\{%|%\}/.test(expression)) problem(a.start, 'data-onramp-if takes a condition such as "user.mobilePhone", without {{ }}');
      else element.condition = { expression, pointAt: a.start };
      // The attribute and the space before it go from the output.
      const from = /\s/.test(text[a.start - 1] ?? '') ? a.start - 1 : a.start;
      scan.edits.push({ at: from, remove: a.end - from, insert: '', pointAt: from, order: 1 });
      return;
    }
    if (name === 'style') {
      if (UNSAFE_CSS.test(normaliseCss(a.value))) problem(a.start, 'unsafe CSS in style (expression(), javascript:, behavior, url() of a script)');
      return;
    }
    if (!URL_ATTRIBUTES.has(name)) return;
    const url = normaliseUrl(a.value);
    if (ACTIVE_SCHEME.test(url)) {
      problem(a.start, `${name} with a script URL is not allowed`);
      return;
    }
    const placeholder = /^\{[{%]/.test(url);
    if (tag === 'img' && name === 'src') {
      const data = TEMPLATE_DATA_IMAGE.exec(a.value.trim());
      if (data) {
        const image = imageFromDataUri(data[1]!, data[2]!);
        scan.images.set(image.hash, image);
        const valueStart = text.indexOf(a.value, a.start + name.length);
        scan.edits.push({ at: valueStart, remove: a.value.length, insert: `asset:${image.hash}`, pointAt: valueStart, order: 1 });
      } else if (/^data:/i.test(url)) problem(a.start, 'data: images must be PNG, JPEG or GIF, base64-encoded');
      else if (/^asset:/i.test(url)) {
        const ref = a.value.trim().slice(6);
        const named = options.assets && Object.hasOwn(options.assets, ref) ? options.assets[ref] : undefined;
        // By name in the source, by content in the compiled template: a version keeps the logo it was saved with.
        if (named) {
          const valueStart = text.indexOf(a.value, a.start + name.length);
          scan.edits.push({ at: valueStart, remove: a.value.length, insert: `asset:${named}`, pointAt: valueStart, order: 1 });
          scan.assets.add(named);
        } else if (/^[0-9a-f]{64}$/.test(ref)) scan.assets.add(ref);
        else if (!options.dropUnknownAssets) problem(a.start, `unknown asset "${ref}"`);
      } else if (!placeholder && !/^(?:https?:\/\/|cid:)/i.test(url))
        problem(a.start, 'an image source is asset:<name or sha256>, {{ photo.user }} (or manager, mailbox, mailboxManager), https://… or a data:image');
      return;
    }
    if (/^data:/i.test(url)) {
      problem(a.start, `${name} with a data: URL is only allowed as an image source`);
      return;
    }
    if (tag === 'a' && name === 'href' && !placeholder && !LINK_SCHEME.test(url)) problem(a.start, 'a link starts with https://, http://, mailto: or tel:');
    if (name === 'srcset') problem(a.start, 'srcset is not supported: use src');
  };

  const parser = new Parser(
    {
      onattribute(name, value) {
        attributes.push({ name, value, start: parser.startIndex, end: parser.endIndex });
      },
      onopentag(name) {
        const start = parser.startIndex;
        const element: OpenElement = { name, start };
        elements++;
        if (!overLimit && stack.length + 1 > options.limits.maxNestingDepth) {
          overLimit = true;
          problem(start, `elements are nested more than ${options.limits.maxNestingDepth} deep`);
        } else if (!overLimit && elements > options.limits.maxElements) {
          overLimit = true;
          problem(start, `the template has more than ${options.limits.maxElements} elements`);
        }
        if (name === 'style') rawTextOf = name;
        else if (name === 'meta' && attributes.some((a) => a.name === 'http-equiv')) problem(start, '<meta http-equiv> is not allowed');
        else if (UNSAFE_ELEMENTS.has(name)) problem(start, `<${name}> is not allowed in a signature`);
        else if (!KEPT_ELEMENTS.has(name)) problem(start, `<${name}> is not an element signatures keep`);
        for (const a of attributes) checkAttribute(name, a, element);
        attributes.length = 0;
        if (!VOID_ELEMENTS.has(name)) stack.push(element);
        else closeElement(element, parser.endIndex + 1);
      },
      ontext(data) {
        if (rawTextOf !== 'style') return;
        const css = normaliseCss(data);
        problem(
          parser.startIndex,
          UNSAFE_CSS.test(css) ? 'unsafe CSS in <style> (expression(), javascript:, behavior)' : '<style> is not kept in signatures: use style attributes',
        );
      },
      onclosetag(name, implied) {
        if (VOID_ELEMENTS.has(name)) return;
        if (name === 'style') rawTextOf = undefined;
        const element = stack.pop();
        if (!element) return;
        if (ending && !SELF_CLOSING_BY_HTML.has(name)) problem(element.start, `<${name}> is never closed`);
        closeElement(element, implied ? (ending ? text.length : parser.startIndex) : parser.endIndex + 1);
      },
    },
    { decodeEntities: true, lowerCaseAttributeNames: true, recognizeSelfClosing: true },
  );

  function closeElement(element: OpenElement, end: number): void {
    if (!element.condition) return;
    let expression = element.condition.expression;
    if (expression === '') {
      const inside = placeholdersIn(text.slice(element.start, end));
      if (inside.length === 0) {
        problem(element.condition.pointAt, 'data-onramp-if without a condition needs a placeholder inside the element');
        return;
      }
      expression = inside.join(' or ');
    }
    scan.edits.push({ at: element.start, remove: 0, insert: `{% if ${expression} %}`, pointAt: element.condition.pointAt, order: 2 + order++ });
    scan.edits.push({ at: end, remove: 0, insert: '{% endif %}', pointAt: element.condition.pointAt, order: 0 });
  }

  parser.write(text);
  const lastOpen = text.lastIndexOf('<');
  if (lastOpen !== -1 && /^<\/?[a-z]/i.test(text.slice(lastOpen)) && !text.includes('>', lastOpen)) problem(lastOpen, 'this tag is never closed with >');
  ending = true;
  parser.end();

  // A photo prints an internal reference, not text: it only makes sense as an image source.
  for (const m of text.matchAll(/\{\{\s*photo\.(\w+)[^}]*\}\}/g)) {
    const inSrc = /<img\b[^>]*\bsrc\s*=\s*["']?\s*$/i.test(text.slice(Math.max(0, m.index - 2000), m.index));
    if (!inSrc) problem(m.index, `photo.${m[1]} is an image: use it as <img src="{{ photo.${m[1]} }}">`);
  }
  return scan;
}

function applyEdits(text: string, edits: Edit[], inner: SourceMap): { text: string; map: SourceMap } {
  const map = new SourceMap(inner);
  const sorted = [...edits].sort((a, b) => a.at - b.at || a.order - b.order);
  let out = '';
  let last = 0;
  for (const edit of sorted) {
    out += text.slice(last, edit.at);
    map.replaced(out.length, edit.insert.length, edit.pointAt, edit.at + edit.remove);
    out += edit.insert;
    last = edit.at + edit.remove;
  }
  return { text: out + text.slice(last), map };
}

function caseHint(name: string, known: readonly string[]): string {
  const same = known.find((k) => k.toLowerCase() === name.toLowerCase());
  return same ? ` (did you mean ${same}?)` : '';
}

/** Why a placeholder path is not one templates have, or undefined. */
function unknownPlaceholder(segments: ReadonlyArray<unknown>, options: CompileOptions): string | undefined {
  const [root, member] = segments;
  const rootName = String(root);
  const shown = segments.map(String).join('.');
  if ((PERSON_NAMESPACES as readonly string[]).includes(rootName)) {
    if (typeof member !== 'string') return `name an attribute: ${rootName}.displayName, ${rootName}.mail, …`;
    if (!PERSON_ATTRIBUTES.includes(member)) return `unknown attribute "${shown}"${caseHint(member, PERSON_ATTRIBUTES)}`;
    return segments.length > 2 ? `"${shown}": attributes are text, they have no parts` : undefined;
  }
  if (rootName === 'var') {
    if (typeof member !== 'string') return 'name a custom variable: var.<name>';
    if (options.variables && !options.variables.includes(member)) return `unknown custom variable "${member}"${caseHint(member, options.variables)}`;
    return undefined;
  }
  if (rootName === 'photo') {
    if (typeof member !== 'string' || !(PERSON_NAMESPACES as readonly string[]).includes(member))
      return `photos are photo.user, photo.manager, photo.mailbox and photo.mailboxManager`;
    return undefined;
  }
  if (rootName === 'now' || rootName === 'today') return segments.length > 1 ? `${rootName} has no parts: use {{ ${rootName} | date: "%d.%m.%Y" }}` : undefined;
  const known = [...PERSON_NAMESPACES, ...OTHER_GLOBALS];
  return `unknown placeholder "${shown}": names start with ${known.join(', ')}${caseHint(rootName, known)}`;
}

interface LiquidErrorShape {
  message: string;
  token?: { begin?: number };
}

export function compileTemplate(source: string, options: CompileOptions): CompileResult {
  const problems: Array<{ offset: number; message: string }> = [];
  const at = (offset: number, message: string): TemplateProblem => ({ ...lineAndColumn(source, offset), message });
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > options.limits.maxBytes) return { ok: false, problems: [at(0, `the template is ${bytes} bytes, more than ${options.limits.maxBytes}`)] };

  // The renderer marks values and images with control characters; a template has no use for them.
  for (const m of source.matchAll(/\p{Cc}/gu)) {
    if (m[0] === '\n' || m[0] === '\r' || m[0] === '\t') continue;
    problems.push({ offset: m.index, message: `control character U+${m[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()} is not allowed` });
  }
  const seed = translateSeedSyntax(source);
  for (const p of seed.problems) problems.push(p);
  const html = scanHtml(seed.text, options);
  for (const p of html.problems) problems.push({ offset: seed.map.original(p.offset), message: p.message });
  const liquidSource = applyEdits(seed.text, html.edits, seed.map);

  let liquid: Template[] | undefined;
  try {
    liquid = engine.parse(liquidSource.text);
  } catch (err) {
    const e = err as LiquidErrorShape;
    const offset = liquidSource.map.original(e.token?.begin ?? 0);
    problems.push({ offset, message: e.message.replace(/, line:\d+, col:\d+$/, '') });
  }

  const placeholders = new Set<string>();
  if (liquid) {
    const analysis = engine.analyzeSync(liquid);
    const reserved = new Set<string>([...PERSON_NAMESPACES, ...OTHER_GLOBALS]);
    for (const [name, variables] of Object.entries(analysis.locals)) {
      if (!reserved.has(name)) continue;
      for (const v of variables)
        problems.push({
          offset: liquidSource.map.original(offsetOf(liquidSource.text, v.location.row, v.location.col)),
          message: `"${name}" is a placeholder namespace: assign another name`,
        });
    }
    for (const variables of Object.values(analysis.globals)) {
      for (const v of variables) {
        const segments = v.segments;
        const why = unknownPlaceholder(segments, options);
        if (why) problems.push({ offset: liquidSource.map.original(offsetOf(liquidSource.text, v.location.row, v.location.col)), message: why });
        else placeholders.add(segments.slice(0, 2).map(String).join('.'));
      }
    }
  }

  if (problems.length > 0 || !liquid) {
    const unique = new Map<string, TemplateProblem>();
    for (const p of problems.sort((a, b) => a.offset - b.offset)) {
      const problem = at(p.offset, p.message);
      unique.set(`${problem.line}:${problem.column}:${problem.message}`, problem);
    }
    return { ok: false, problems: [...unique.values()] };
  }
  const list = [...placeholders].sort();
  return {
    ok: true,
    template: { source, placeholders: list, images: html.images, assets: [...html.assets], liquidSource: liquidSource.text, liquid },
    placeholders: list,
  };
}
