/**
 * SOS template files → onramp template sources. Word's "filtered" HTML loses what only Word reads
 * (conditional comments, Office namespaces, `mso-` styles, Mso classes) and keeps what Outlook renders
 * (inline fonts, colours, tables); images from its `<name>_files/` (or localised `<name>-Dateien/`…)
 * folder become assets. DOCX goes through mammoth, its images become assets too. Placeholders are
 * mapped by placeholders.ts; a photo placeholder in an image's src/alt (HTML) or alt text (DOCX) makes
 * that image the person's photo.
 */
import { createHash } from 'node:crypto';
import { DomUtils, parseDocument } from 'htmlparser2';
import type { ChildNode, Element } from 'domhandler';
import mammoth from 'mammoth';
import { classifyPlaceholder, placeholderExpression, SOS_PLACEHOLDER, type SosPlaceholder } from './placeholders.js';

export interface ImportedAsset {
  hash: string;
  /** The path in the SOS folder, e.g. `Formal-Dateien/image001.png`. */
  path: string;
  bytes: Buffer;
}

/** One use of an SOS placeholder in a template file. */
export interface PlaceholderUse {
  placeholder: SosPlaceholder;
  line: number;
}

export interface ConvertedTemplate {
  source: string;
  assets: ImportedAsset[];
  placeholders: PlaceholderUse[];
  /** What the conversion left out or could not map, with the file's line where known. */
  notes: { line?: number; message: string }[];
}

/** The template's other files, by path relative to the SOS folder (forward slashes). */
export type FolderFiles = ReadonlyMap<string, Buffer>;

const CONDITIONAL_COMMENT = /<!--\[if[\s\S]*?<!\[endif\]-->/gi;
/** Downlevel-revealed conditionals (`<![if !vml]>…<![endif]>`): the markers go, the content stays. */
const REVEALED_CONDITIONAL = /<!\[(?:if[^\]]*|endif)\]>/gi;
const DROPPED_ELEMENTS = new Set(['head', 'style', 'script', 'meta', 'link', 'title', 'xml']);
const DROPPED_ATTRIBUTES = new Set(['class', 'lang', 'link', 'vlink', 'id']);

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Word writes HTML in the code page its meta tag names (windows-1252 by default); UTF-8 otherwise. */
export function decodeWordHtml(bytes: Buffer): string {
  const head = bytes.subarray(0, 4096).toString('latin1');
  const charset = /charset\s*=\s*["']?([A-Za-z0-9_-]+)/i.exec(head)?.[1]?.toLowerCase() ?? 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function withoutMsoStyles(style: string): string {
  return style
    .split(';')
    .map((declaration) => declaration.trim())
    .filter((declaration) => declaration !== '' && !/^mso-/i.test(declaration))
    .join(';');
}

/**
 * Word's class formats (`p.MsoNormal {font-family:…}`), by lower-cased class name: the base font and colour
 * of the signature, which would be lost with the `<style>` block. Only `element.Class` and `.Class`
 * selectors; declarations without `mso-`.
 */
function classStyles(original: string): Map<string, { element: string | undefined; style: string }[]> {
  const styles = new Map<string, { element: string | undefined; style: string }[]>();
  for (const block of original.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/gi)) {
    const css = block[1]!.replace(/\/\*[\s\S]*?\*\//g, '').replace(/<!--|-->/g, '');
    for (const rule of css.matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
      const style = withoutMsoStyles(rule[2]!.replace(/\s+/g, ' '));
      if (style === '') continue;
      for (const selector of rule[1]!.split(',')) {
        const match = /^\s*([a-z0-9]*)\.([A-Za-z0-9_-]+)\s*$/.exec(selector);
        if (!match) continue;
        const key = match[2]!.toLowerCase();
        styles.set(key, [...(styles.get(key) ?? []), { element: match[1] || undefined, style }]);
      }
    }
  }
  return styles;
}

function photoIn(text: string | undefined): Extract<SosPlaceholder, { kind: 'photo' }> | undefined {
  for (const match of (text ?? '').matchAll(SOS_PLACEHOLDER)) {
    const placeholder = classifyPlaceholder(match[1]!);
    if (placeholder.kind === 'photo') return placeholder;
  }
  return undefined;
}

function resolvePath(base: string, reference: string): string {
  const parts = base.split('/').slice(0, -1);
  for (const part of decodeURIComponent(reference.replace(/\\/g, '/')).split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.' && part !== '') parts.push(part);
  }
  return parts.join('/');
}

function asset(path: string, bytes: Buffer): ImportedAsset {
  return { hash: createHash('sha256').update(bytes).digest('hex'), path, bytes };
}

/**
 * Replaces every SOS placeholder outside photo images with its onramp expression; records each use, with
 * its line in `original` (absent for DOCX, whose text has no lines).
 */
function mapPlaceholders(source: string, original: string | undefined, result: ConvertedTemplate): string {
  const seen = new Set<string>();
  for (const match of (original ?? '').matchAll(SOS_PLACEHOLDER)) {
    result.placeholders.push({ placeholder: classifyPlaceholder(match[1]!), line: lineAt(original ?? '', match.index) });
    seen.add(match[0]);
  }
  return source.replace(SOS_PLACEHOLDER, (whole, name: string) => {
    const placeholder = classifyPlaceholder(name);
    if (placeholder.kind === 'photo') {
      result.notes.push({ message: `${whole} outside an image was left out: onramp shows photos only as an image` });
      return '';
    }
    if (!seen.has(whole)) result.placeholders.push({ placeholder, line: 0 });
    return `{{ ${placeholderExpression(placeholder)} }}`;
  });
}

export function convertWordHtml(path: string, bytes: Buffer, files: FolderFiles): ConvertedTemplate {
  const original = decodeWordHtml(bytes).replace(/\r\n?/g, '\n');
  const result: ConvertedTemplate = { source: '', assets: [], placeholders: [], notes: [] };
  const document = parseDocument(original.replace(CONDITIONAL_COMMENT, '').replace(REVEALED_CONDITIONAL, ''), { decodeEntities: true });
  const body = DomUtils.findOne((element) => element.name === 'body', document.children);
  const classes = classStyles(original);
  const clean = (nodes: ChildNode[]): void => {
    for (const node of [...nodes]) {
      if (node.type === 'comment' || node.type === 'directive') {
        DomUtils.removeElement(node);
        continue;
      }
      if (node.type !== 'tag') continue;
      const element = node as Element;
      if (DROPPED_ELEMENTS.has(element.name) || (element.name.includes(':') && element.name !== 'o:p')) {
        DomUtils.removeElement(element);
        continue;
      }
      // The class's format first, so the element's own inline style still wins.
      const inherited = (element.attribs.class ?? '')
        .split(/\s+/)
        .flatMap((name) => classes.get(name.toLowerCase()) ?? [])
        .filter((c) => c.element === undefined || c.element === element.name)
        .map((c) => c.style);
      if (inherited.length) element.attribs.style = [...inherited, element.attribs.style ?? ''].filter(Boolean).join(';');
      for (const name of Object.keys(element.attribs)) {
        if (DROPPED_ATTRIBUTES.has(name) || name.includes(':')) delete element.attribs[name];
      }
      if (element.attribs.style !== undefined) {
        const style = withoutMsoStyles(element.attribs.style);
        if (style === '') delete element.attribs.style;
        else element.attribs.style = style;
      }
      if (element.name === 'img') convertImage(element);
      clean(element.children);
      // <o:p> holds Word's paragraph mark (usually &nbsp;): keep its content, drop the tag.
      if (element.name === 'o:p') {
        for (const child of [...element.children]) DomUtils.prepend(element, child);
        DomUtils.removeElement(element);
      }
    }
  };
  const convertImage = (image: Element): void => {
    const photo = photoIn(image.attribs.src) ?? photoIn(image.attribs.alt);
    if (photo) {
      image.attribs.src = `{{ photo.${photo.namespace} }}`;
      image.attribs.alt = '';
      if (!photo.deleteEmpty) {
        result.notes.push({
          message: `${photo.sos}: without a photo onramp drops the image (as SOS's …PhotoDeleteEmpty$ does), it does not show the template's picture`,
        });
      }
      return;
    }
    const src = image.attribs.src ?? '';
    if (/^(https:|cid:|data:)/i.test(src)) return;
    const filePath = resolvePath(path, src);
    const file = files.get(filePath);
    if (!file) {
      result.notes.push({ message: `the image "${src}" is not in the folder: it was left out` });
      DomUtils.removeElement(image);
      return;
    }
    const imported = asset(filePath, file);
    if (!result.assets.some((a) => a.hash === imported.hash)) result.assets.push(imported);
    image.attribs.src = `asset:${imported.hash}`;
  };
  const root = body ? body.children : document.children;
  clean(root);
  if (/<style/i.test(original)) {
    result.notes.push({
      message:
        "Word's <style> block went: its class formats (such as p.MsoNormal's font) were written into each element's style; other selectors were not carried over",
    });
  }
  const html = root
    .map((node) => DomUtils.getOuterHTML(node, { encodeEntities: 'utf8', emptyAttrs: true }))
    .join('')
    .trim();
  result.source = mapPlaceholders(html, original, result);
  return result;
}

export async function convertDocx(path: string, bytes: Buffer): Promise<ConvertedTemplate> {
  const result: ConvertedTemplate = { source: '', assets: [], placeholders: [], notes: [] };
  let imageIndex = 0;
  const converted = await mammoth.convertToHtml(
    { buffer: bytes },
    {
      convertImage: mammoth.images.imgElement(async (image) => {
        imageIndex++;
        // mammoth passes the image's alt text (its types leave it out); it copies it onto the <img> itself.
        const photo = photoIn((image as typeof image & { altText?: string }).altText);
        if (photo) {
          if (!photo.deleteEmpty) result.notes.push({ message: `${photo.sos}: without a photo onramp drops the image` });
          return { src: `{{ photo.${photo.namespace} }}`, alt: '' } as { src: string };
        }
        const imported = asset(`${path}/image${imageIndex}.${image.contentType.split('/')[1] ?? 'img'}`, Buffer.from(await image.readAsBuffer()));
        if (!result.assets.some((a) => a.hash === imported.hash)) result.assets.push(imported);
        return { src: `asset:${imported.hash}` };
      }),
    },
  );
  for (const message of converted.messages) result.notes.push({ message: `DOCX: ${message.message}` });
  result.source = mapPlaceholders(converted.value, undefined, result);
  return result;
}

function dataUri(bytes: Buffer, contentType: string): string {
  return `data:${contentType};base64,${bytes.toString('base64')}`;
}

const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', bmp: 'image/bmp' };

/**
 * The template file as it looked before the import, for the side-by-side check: Word HTML as Word saved
 * it with its folder's images inlined, DOCX as mammoth reads it (a browser cannot show DOCX). SOS
 * placeholders stay as they are. Shown in a sandboxed frame: nothing in it runs.
 */
export async function originalForDisplay(path: string, bytes: Buffer, files: FolderFiles): Promise<string> {
  if (path.toLowerCase().endsWith('.docx')) {
    const converted = await mammoth.convertToHtml(
      { buffer: bytes },
      { convertImage: mammoth.images.imgElement(async (image) => ({ src: dataUri(Buffer.from(await image.readAsBuffer()), image.contentType) })) },
    );
    return `<!doctype html><meta charset="utf-8">${converted.value}`;
  }
  const document = parseDocument(decodeWordHtml(bytes), { decodeEntities: true });
  for (const image of DomUtils.findAll((element) => element.name === 'img', document.children)) {
    const src = image.attribs.src ?? '';
    if (/^(https:|data:)/i.test(src)) continue;
    const filePath = resolvePath(path, src);
    const file = files.get(filePath);
    const type = IMAGE_TYPES[filePath.split('.').pop()?.toLowerCase() ?? ''];
    if (file && type) image.attribs.src = dataUri(file, type);
  }
  // Re-encoded as UTF-8 whatever code page Word used: the frame is told so.
  const meta = DomUtils.findAll((element) => element.name === 'meta' && /charset/i.test(JSON.stringify(element.attribs)), document.children);
  for (const element of meta) DomUtils.removeElement(element);
  return `<!doctype html><meta charset="utf-8">${DomUtils.getOuterHTML(document.children, { encodeEntities: 'utf8' })}`;
}
