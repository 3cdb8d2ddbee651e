/**
 * Reads the block-style YAML subset deploy/compose.yaml is written in, so `npm test` can check it
 * without a YAML package: mappings and sequences by indentation, plain, single- and double-quoted
 * scalars, flow sequences of scalars (`["CMD", "x"]`), `{}`, comments, anchors on mappings (`&name`),
 * aliases (`*name`) and merge keys (`<<: *name`). Anything else (block scalars `|`, multi-line flow
 * collections, tags) throws with the line, so the file cannot drift out of what is checked.
 */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  no: number;
  indent: number;
  text: string;
}

function stripComment(raw: string): string {
  let quote: string | null = null;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || raw[i - 1] === ' ')) return raw.slice(0, i).trimEnd();
  }
  return raw.trimEnd();
}

function scalar(text: string, no: number): YamlValue {
  const t = text.trim();
  if (t.startsWith('"')) {
    if (!t.endsWith('"') || t.length < 2) throw new Error(`line ${no}: unterminated string`);
    return JSON.parse(t) as string;
  }
  if (t.startsWith("'")) {
    if (!t.endsWith("'") || t.length < 2) throw new Error(`line ${no}: unterminated string`);
    return t.slice(1, -1).replaceAll("''", "'");
  }
  if (t === '{}') return {};
  if (t === '[]') return [];
  if (t.startsWith('[')) {
    if (!t.endsWith(']')) throw new Error(`line ${no}: flow sequences must be on one line`);
    const items: string[] = [];
    let quote: string | null = null;
    let current = '';
    for (const c of t.slice(1, -1)) {
      if (quote) {
        if (c === quote) quote = null;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === ',') {
        items.push(current);
        current = '';
        continue;
      }
      current += c;
    }
    if (current.trim() !== '') items.push(current);
    return items.map((i) => scalar(i, no));
  }
  if (/^[|>]/.test(t) || t.startsWith('!') || t.startsWith('{')) throw new Error(`line ${no}: outside the subset: ${t}`);
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === 'null' || t === '~' || t === '') return null;
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return t;
}

export function parseYamlSubset(source: string): YamlValue {
  const lines: Line[] = [];
  source.split('\n').forEach((raw, i) => {
    if (raw.includes('\t')) throw new Error(`line ${i + 1}: tab`);
    const text = stripComment(raw);
    if (text.trim() === '') return;
    lines.push({ no: i + 1, indent: text.length - text.trimStart().length, text: text.trim() });
  });
  const anchors = new Map<string, YamlValue>();
  let pos = 0;

  const resolveValue = (text: string, no: number, indent: number): YamlValue => {
    const anchor = /^&([\w-]+)\s*(.*)$/.exec(text);
    if (anchor) {
      const value = resolveValue(anchor[2]!, no, indent);
      anchors.set(anchor[1]!, value);
      return value;
    }
    const alias = /^\*([\w-]+)$/.exec(text);
    if (alias) {
      if (!anchors.has(alias[1]!)) throw new Error(`line ${no}: unknown alias ${alias[1]}`);
      return structuredClone(anchors.get(alias[1]!)!);
    }
    if (text === '') {
      const next = lines[pos];
      if (!next || next.indent < indent || (next.indent === indent && !next.text.startsWith('- '))) return null;
      return block(next.indent);
    }
    return scalar(text, no);
  };

  const block = (indent: number): YamlValue => {
    const first = lines[pos]!;
    if (first.text.startsWith('- ') || first.text === '-') {
      const list: YamlValue[] = [];
      while (pos < lines.length && lines[pos]!.indent === indent && lines[pos]!.text.startsWith('-')) {
        const line = lines[pos]!;
        const rest = line.text.slice(1).trim();
        if (/^[\w.<-]+:(\s|$)/.test(rest) && !rest.startsWith('"')) {
          // "- key: value" starts a mapping whose other keys sit under the key.
          lines[pos] = { no: line.no, indent: indent + 2, text: rest };
          list.push(block(indent + 2));
        } else {
          pos++;
          list.push(resolveValue(rest, line.no, indent + 1));
        }
      }
      return list;
    }
    const map: { [key: string]: YamlValue } = {};
    const explicit = new Set<string>();
    while (pos < lines.length && lines[pos]!.indent === indent) {
      const line = lines[pos]!;
      const m = /^("[^"]*"|'[^']*'|[^\s:][^:]*?):(?:\s+(.*))?$/.exec(line.text);
      if (!m) throw new Error(`line ${line.no}: expected "key: value", got ${line.text}`);
      const key = m[1]!.replace(/^["']|["']$/g, '');
      pos++;
      const value = resolveValue(m[2] ?? '', line.no, indent + 1);
      if (key === '<<') {
        if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`line ${line.no}: merge of a non-mapping`);
        // Keys of the mapping itself win over merged ones, wherever they stand.
        for (const [k, v] of Object.entries(value)) if (!explicit.has(k)) map[k] = v;
      } else {
        if (explicit.has(key)) throw new Error(`line ${line.no}: duplicate key ${key}`);
        explicit.add(key);
        map[key] = value;
      }
    }
    return map;
  };

  const root = block(0);
  if (pos < lines.length) throw new Error(`line ${lines[pos]!.no}: unexpected indentation`);
  return root;
}
