import { Parser } from 'htmlparser2';
import sanitizeHtml from 'sanitize-html';

/**
 * Signature HTML arrives from devices; Exchange stores it and every mail client renders it. It is
 * rebuilt from an allow-list by an HTML parser (sanitize-html): the formatting a signature uses stays
 * (text, tables, links, images, inline styles), everything else goes — scripts and other active
 * elements, event handlers, and URLs other than http(s), mailto and tel (images also data: and cid:).
 * Pattern-matching the markup instead can be talked around (`<svg/onload=…>`, `&#106;avascript:`) and
 * took seconds on long runs of whitespace.
 */
const sides = (base: string) => [base, `${base}-top`, `${base}-right`, `${base}-bottom`, `${base}-left`];
const STYLE_PROPERTIES = [
  'color',
  'background-color',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
  'font-variant',
  'text-decoration',
  'text-align',
  'text-transform',
  'vertical-align',
  'line-height',
  'letter-spacing',
  'white-space',
  'display',
  'width',
  'height',
  'max-width',
  'min-width',
  'border-collapse',
  'border-spacing',
  'border-color',
  'border-style',
  'border-width',
  'border-radius',
  ...sides('margin'),
  ...sides('padding'),
  ...sides('border'),
];
const DATA_IMAGE = /^\s*data:image\/(?:png|gif|jpe?g|webp|bmp);base64,/i;
/** Inline style values without parentheses, but for rgb()/rgba() colours: no expression(), url(…), var(). */
export const STYLE_VALUE = /^(?:[^()]|rgba?\([\d\s.,%]*\))*$/i;
/** The inline style properties signatures keep (the template engine's writer keeps the same). */
export const SIGNATURE_STYLE_PROPERTIES: ReadonlySet<string> = new Set(STYLE_PROPERTIES);

/** The elements signatures keep: the template engine accepts these and no others. */
export const SIGNATURE_TAGS = [
  'a',
  'b',
  'big',
  'blockquote',
  'br',
  'caption',
  'center',
  'code',
  'col',
  'colgroup',
  'div',
  'em',
  'font',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'i',
  'img',
  'li',
  'ol',
  'p',
  'pre',
  's',
  'small',
  'span',
  'strike',
  'strong',
  'sub',
  'sup',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'tr',
  'u',
  'ul',
];
/** Attributes kept on every element, and per element. */
export const SIGNATURE_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  '*': [
    'align',
    'valign',
    'width',
    'height',
    'bgcolor',
    'color',
    'dir',
    'title',
    'style',
    'class',
    'border',
    'cellpadding',
    'cellspacing',
    'colspan',
    'rowspan',
  ],
  a: ['href', 'target', 'name'],
  img: ['src', 'alt'],
  font: ['face', 'size'],
};

const SIGNATURE_HTML: sanitizeHtml.IOptions = {
  allowedTags: SIGNATURE_TAGS,
  allowedAttributes: SIGNATURE_ATTRIBUTES as Record<string, string[]>,
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['http', 'https', 'data', 'cid'] },
  allowProtocolRelative: false,
  allowedStyles: { '*': Object.fromEntries(STYLE_PROPERTIES.map((p) => [p, [STYLE_VALUE]])) },
  // data: sources only as raster images (a logo inlined by a signature tool), not HTML or SVG documents.
  transformTags: {
    img: (tagName, attribs) => {
      const { src, ...rest } = attribs;
      return { tagName, attribs: src === undefined || !/^\s*data:/i.test(src) || DATA_IMAGE.test(src) ? attribs : rest };
    },
  },
  disallowedTagsMode: 'discard',
};

export function sanitiseSignatureHtml(html: string): string {
  return sanitizeHtml(html, SIGNATURE_HTML);
}

export interface StructureLimits {
  maxNestingDepth: number;
  maxElements: number;
}

export type SanitiseOutcome = { ok: true; html: string } | { ok: false; reason: string };

/**
 * Why the markup is too complex to sanitise, or undefined. The sanitiser's cost grows with nesting
 * (180,000 unclosed <div>s took 10 s), so depth and element count are measured first, by the parser
 * the sanitiser itself uses (htmlparser2, so implied end tags count as it counts them: `<td>a<td>b`
 * is two cells, not one inside the other), and parsing stops at the first element over a limit.
 */
export function structureProblem(html: string, limits: StructureLimits): string | undefined {
  let depth = 0;
  let elements = 0;
  let problem: string | undefined;
  const parser = new Parser(
    {
      onopentag() {
        elements++;
        depth++;
        if (depth > limits.maxNestingDepth) problem = `elements are nested more than ${limits.maxNestingDepth} deep`;
        else if (elements > limits.maxElements) problem = `it has more than ${limits.maxElements} elements`;
        if (problem) parser.pause();
      },
      onclosetag() {
        depth--;
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  if (!problem) parser.end();
  return problem;
}

/** The structure check, then the sanitiser: what the sanitiser pool's workers run. */
export function sanitiseWithinLimits(html: string, limits: StructureLimits): SanitiseOutcome {
  const problem = structureProblem(html, limits);
  return problem ? { ok: false, reason: problem } : { ok: true, html: sanitiseSignatureHtml(html) };
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Devices send the signature HTML-entity encoded (the seed's scripts do); decode it once. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}
