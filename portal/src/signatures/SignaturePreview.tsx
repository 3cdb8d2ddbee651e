import { useEffect, useRef } from 'react';

/** What a preview may hold: the renderer's output has been sanitised already; this is the second fence. */
const DROPPED_ELEMENTS = new Set(['script', 'style', 'onramp-style', 'iframe', 'object', 'embed', 'link', 'meta', 'base', 'form']);
const STYLE_ATTRIBUTE = 'data-onramp-style';

/**
 * The markup with its style attributes renamed (and <style> elements made unknown ones) before it is
 * parsed: the portal's CSP refuses inline styles even in an inert parsed document, and says so in
 * the console. A scan of tags with their quoted values, not a parser: a misread costs one style in a
 * preview, never safety (the CSP still holds).
 */
export function inertMarkup(html: string): string {
  let out = '';
  let i = 0;
  while (i < html.length) {
    const open = html.indexOf('<', i);
    if (open < 0) break;
    out += html.slice(i, open);
    if (html.startsWith('<!--', open)) {
      const end = html.indexOf('-->', open + 4);
      i = end < 0 ? html.length : end + 3;
      continue;
    }
    const name = /^<\/?([a-zA-Z][\w-]*)/.exec(html.slice(open, open + 40));
    if (!name) {
      out += '<';
      i = open + 1;
      continue;
    }
    out += name[0].toLowerCase().replace(/^(<\/?)style$/, '$1onramp-style');
    let j = open + name[0].length;
    let quote = '';
    while (j < html.length) {
      const c = html[j]!;
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '>') break;
      else if (/\s/.test(c) && /^\s+style\s*=/i.test(html.slice(j, j + 40))) {
        const attribute = /^\s+style/i.exec(html.slice(j))![0];
        out += `${attribute.slice(0, attribute.length - 5)}${STYLE_ATTRIBUTE}`;
        j += attribute.length;
        continue;
      }
      out += c;
      j++;
    }
    out += '>';
    i = j + 1;
  }
  return out + html.slice(i);
}

/**
 * A copy of `node` for the preview: no scripts or frames, no event handlers, and inline styles set
 * through the CSS object model. The portal's CSP refuses style attributes written as markup
 * (style-src 'self'), but signatures are styled inline, as Outlook needs; CSSOM writes are allowed.
 * `node` comes from inertMarkup, so its styles are in STYLE_ATTRIBUTE.
 */
function copyOf(node: Node, into: Document): Node | null {
  if (node.nodeType === Node.TEXT_NODE) return into.createTextNode(node.textContent ?? '');
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const source = node as Element;
  const tag = source.tagName.toLowerCase();
  if (DROPPED_ELEMENTS.has(tag)) return null;
  const copy = into.createElement(tag);
  for (const { name, value } of Array.from(source.attributes)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('on') || lower === 'style' || lower === STYLE_ATTRIBUTE) continue;
    if ((lower === 'href' || lower === 'src') && /^\s*javascript:/i.test(value)) continue;
    copy.setAttribute(name, value);
  }
  const style = source.getAttribute(STYLE_ATTRIBUTE);
  if (style) (copy as HTMLElement).style.cssText = style;
  if (tag === 'a') {
    copy.setAttribute('target', '_blank');
    copy.setAttribute('rel', 'noopener noreferrer');
  }
  for (const child of Array.from(source.childNodes)) {
    const c = copyOf(child, into);
    if (c) copy.appendChild(c);
  }
  return copy;
}

/**
 * A rendered signature as a mail client would show it: in a shadow root, so the portal's styles do not
 * reach it and its styles do not reach the portal.
 */
export function SignaturePreview({ html, label }: { html: string; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current!;
    const root = element.shadowRoot ?? element.attachShadow({ mode: 'open' });
    const parsed = new DOMParser().parseFromString(inertMarkup(html), 'text/html');
    const body = document.createElement('div');
    body.style.cssText = 'font-family: Calibri, Arial, sans-serif; font-size: 11pt; color: #000; overflow-wrap: anywhere;';
    for (const child of Array.from(parsed.body.childNodes)) {
      const c = copyOf(child, document);
      if (c) body.appendChild(c);
    }
    root.replaceChildren(body);
  }, [html]);
  return <div ref={host} className="signature-preview" role="document" aria-label={label} />;
}
