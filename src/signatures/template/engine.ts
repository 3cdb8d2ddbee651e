/**
 * The Liquid engine templates run on: its configuration is the template language (the tags and
 * filters below, nothing else). Every printed value passes through `markOrEscape`.
 */
import { Liquid, type Template } from 'liquidjs';
import { dateFilter, formatPhone } from './filters.js';

/** The tags templates may use: conditionals, comments, raw text, assign. No loops, no files, no layouts. */
const TAGS = new Set(['if', 'unless', 'case', 'comment', '#', 'raw', 'assign', 'echo']);
/** Liquid's string filters that cannot produce markup (no `raw`, `newline_to_br`, …), plus ours. */
const FILTERS = new Set([
  'append',
  'capitalize',
  'default',
  'downcase',
  'lstrip',
  'normalize_whitespace',
  'prepend',
  'remove',
  'remove_first',
  'replace',
  'replace_first',
  'rstrip',
  'size',
  'slice',
  'strip',
  'strip_newlines',
  'truncate',
  'truncatewords',
  'upcase',
  'url_encode',
]);

function makeEngine(): Liquid {
  const liquid = new Liquid({
    outputEscape: markOrEscape,
    strictFilters: true,
    // An empty attribute is as absent as a missing one: `{% if user.mobilePhone %}` is false for "".
    jsTruthy: true,
    ownPropertyOnly: true,
    relativeReference: false,
    templates: {},
  });
  for (const name of Object.keys(liquid.tags)) if (!TAGS.has(name)) delete liquid.tags[name];
  for (const name of Object.keys(liquid.filters)) if (!FILTERS.has(name)) delete liquid.filters[name];
  liquid.registerFilter('phone', formatPhone);
  liquid.registerFilter('date', dateFilter);
  return liquid;
}

/** Values Liquid printed in the render under way (renders are synchronous: one at a time). */
let printed: string[] | undefined;
const VALUE_MARK = '\u0001';

/**
 * The engine's output escape. In `renderCollecting` it collects each printed value and prints a mark
 * in its place, so the renderer parses the HTML with no value in it; otherwise it HTML-escapes.
 */
function markOrEscape(value: unknown): string {
  const text = value === null || value === undefined ? '' : Array.isArray(value) ? value.join('') : String(value);
  if (!printed) return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  // NUL and the mark itself stand for images and values in the renderer's strings.
  printed.push(text.includes('\u0000') || text.includes(VALUE_MARK) ? text.replaceAll('\u0000', '').replaceAll(VALUE_MARK, '') : text);
  return VALUE_MARK;
}

export const engine = makeEngine();

/** Renders a template's Liquid: the HTML with a U+0001 mark for each printed value, and the values in order. */
export function renderCollecting(liquid: Template[], scope: object): { skeleton: string; values: string[] } {
  const values: string[] = [];
  printed = values;
  try {
    return { skeleton: engine.renderSync(liquid, scope) as string, values };
  } finally {
    printed = undefined;
  }
}
