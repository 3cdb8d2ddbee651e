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
  'color', 'background-color', 'font-family', 'font-size', 'font-weight', 'font-style', 'font-variant', 'text-decoration', 'text-align',
  'text-transform', 'vertical-align', 'line-height', 'letter-spacing', 'white-space', 'display', 'width', 'height', 'max-width',
  'min-width', 'border-collapse', 'border-spacing', 'border-color', 'border-style', 'border-width', 'border-radius',
  ...sides('margin'), ...sides('padding'), ...sides('border'),
];
const DATA_IMAGE = /^\s*data:image\/(?:png|gif|jpe?g|webp|bmp);base64,/i;
/** Inline style values without parentheses, but for rgb()/rgba() colours: no expression(), url(…), var(). */
const STYLE_VALUE = /^(?:[^()]|rgba?\([\d\s.,%]*\))*$/i;

const SIGNATURE_HTML: sanitizeHtml.IOptions = {
  allowedTags: [
    'a', 'b', 'big', 'blockquote', 'br', 'caption', 'center', 'code', 'col', 'colgroup', 'div', 'em', 'font', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
    'hr', 'i', 'img', 'li', 'ol', 'p', 'pre', 's', 'small', 'span', 'strike', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead',
    'tr', 'u', 'ul',
  ],
  allowedAttributes: {
    '*': ['align', 'valign', 'width', 'height', 'bgcolor', 'color', 'dir', 'title', 'style', 'class', 'border', 'cellpadding', 'cellspacing', 'colspan', 'rowspan'],
    a: ['href', 'target', 'name'],
    img: ['src', 'alt'],
    font: ['face', 'size'],
  },
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
