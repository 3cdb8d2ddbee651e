/**
 * Signature HTML arrives from devices; Exchange stores it and every mail client renders it. Active
 * content is removed: script/iframe/object/embed/form elements, event-handler attributes, and
 * javascript:/vbscript: URLs. Formatting (tables, inline styles, images over https or data:) stays.
 */
const DANGEROUS_ELEMENTS = /<\s*(script|iframe|object|embed|form|frame|frameset|applet|meta|base|link)\b[^>]*>[\s\S]*?<\s*\/\s*\1\s*>|<\s*\/?\s*(script|iframe|object|embed|form|frame|frameset|applet|meta|base|link)\b[^>]*>/gi;
const EVENT_HANDLERS = /\s+on[a-z]+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi;
const SCRIPT_URLS = /(href|src|action|formaction|background|xlink:href)\s*=\s*("|')?\s*(javascript|vbscript|data:text\/html)[^"'>\s]*("|')?/gi;

export function sanitiseSignatureHtml(html: string): string {
  let previous: string;
  let out = html;
  // Repeat until stable, so nested tricks like <scr<script></script>ipt> do not survive one pass.
  do {
    previous = out;
    out = out.replace(DANGEROUS_ELEMENTS, '').replace(EVENT_HANDLERS, '').replace(SCRIPT_URLS, '$1=""');
  } while (out !== previous);
  return out;
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
