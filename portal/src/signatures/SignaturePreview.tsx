import { useEffect, useRef } from 'react';

/** What a preview may hold: the renderer's output has been sanitised already; this is the second fence. */
const DROPPED_ELEMENTS = new Set(['script', 'style', 'iframe', 'object', 'embed', 'link', 'meta', 'base', 'form']);

/**
 * A copy of `node` for the preview: no scripts or frames, no event handlers, and inline styles set
 * through the CSS object model. The portal's CSP refuses style attributes written as markup
 * (style-src 'self'), but signatures are styled inline, as Outlook needs; CSSOM writes are allowed.
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
    if (lower.startsWith('on') || lower === 'style') continue;
    if ((lower === 'href' || lower === 'src') && /^\s*javascript:/i.test(value)) continue;
    copy.setAttribute(name, value);
  }
  const style = source.getAttribute('style');
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
    const parsed = new DOMParser().parseFromString(html, 'text/html');
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
