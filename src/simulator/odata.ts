/**
 * The OData query options the simulator understands, parsed the way Graph's directory service reads
 * them: `$filter` (eq, ne, ge, le, in, startswith, endswith, not, and, or, parentheses, `any` on
 * collections), `$search` ("property:words" clauses joined by AND/OR) and `$orderby`. What needs
 * Graph's advanced query capabilities (`ConsistencyLevel: eventual` with `$count=true`) is reported,
 * so the router can refuse it the way Graph does when the header is missing.
 */

export type Literal = string | boolean | number | null;

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'compare'; op: 'eq' | 'ne' | 'ge' | 'le' | 'gt' | 'lt'; property: string; value: Literal }
  | { kind: 'in'; property: string; values: Literal[] }
  | { kind: 'function'; name: 'startswith' | 'endswith'; property: string; value: string }
  | { kind: 'any'; property: string; op: 'eq' | 'ne'; value: Literal };

export interface ParsedFilter {
  root: FilterNode;
  /** Properties the filter names (for the per-resource support check). */
  properties: Set<string>;
  /** Operators Graph only evaluates as advanced queries (ne, not, endswith, null comparisons). */
  advanced: string[];
  /** Largest number of values in one `in` list, and OR-joined clauses in total. */
  orClauses: number;
}

export class FilterSyntaxError extends Error {}

type Token = { type: 'word' | 'string' | 'punct'; text: string; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= text.length) throw new FilterSyntaxError(`Syntax error: unterminated string literal at position ${i} in '${text}'.`);
        if (text[j] === "'") {
          if (text[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += text[j];
        j++;
      }
      tokens.push({ type: 'string', text: value, at: i });
      i = j + 1;
      continue;
    }
    if ('(),:'.includes(c)) {
      tokens.push({ type: 'punct', text: c, at: i });
      i++;
      continue;
    }
    const m = text.slice(i).match(/^[A-Za-z0-9_.\-/@]+/);
    if (!m) throw new FilterSyntaxError(`Syntax error: character '${c}' is not valid at position ${i} in '${text}'.`);
    tokens.push({ type: 'word', text: m[0], at: i });
    i += m[0].length;
  }
  return tokens;
}

/** Parses a `$filter` value; throws FilterSyntaxError with Graph's "Syntax error …" wording. */
export function parseFilter(text: string): ParsedFilter {
  const tokens = tokenize(text);
  let pos = 0;
  const properties = new Set<string>();
  const advanced: string[] = [];
  let orClauses = 1;
  const peek = () => tokens[pos];
  const fail = (what: string): never => {
    const t = peek();
    throw new FilterSyntaxError(`Syntax error: ${what} at position ${t ? t.at : text.length} in '${text}'.`);
  };
  const expect = (punct: string) => {
    const t = peek();
    if (!t || t.type !== 'punct' || t.text !== punct) fail(`'${punct}' expected`);
    pos++;
  };
  const keyword = (word: string) => {
    const t = peek();
    if (t && t.type === 'word' && t.text.toLowerCase() === word) {
      pos++;
      return true;
    }
    return false;
  };
  const property = (): string => {
    const t = peek();
    if (!t || t.type !== 'word' || !/^[A-Za-z_][\w/]*$/.test(t.text)) return fail('property name expected');
    pos++;
    properties.add(t.text.split('/')[0]!);
    return t.text;
  };
  const literal = (): Literal => {
    const t = peek();
    if (!t) return fail('literal expected');
    pos++;
    if (t.type === 'string') return t.text;
    if (t.type === 'word') {
      const w = t.text.toLowerCase();
      if (w === 'true' || w === 'false') return w === 'true';
      if (w === 'null') {
        advanced.push('null');
        return null;
      }
      if (/^-?\d+(\.\d+)?$/.test(t.text)) return Number(t.text);
      // GUIDs are written unquoted in some Graph filters (e.g. on id): accept them as strings.
      if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(t.text)) return t.text;
    }
    pos--;
    return fail('literal expected');
  };

  const primary = (): FilterNode => {
    const t = peek();
    if (!t) return fail('expression expected');
    if (t.type === 'punct' && t.text === '(') {
      pos++;
      const inner = orExpr();
      expect(')');
      return inner;
    }
    const fn = t.type === 'word' ? t.text.toLowerCase() : '';
    if ((fn === 'startswith' || fn === 'endswith') && tokens[pos + 1]?.text === '(') {
      pos += 2;
      const prop = property();
      expect(',');
      const value = literal();
      if (typeof value !== 'string') fail('string literal expected');
      expect(')');
      if (fn === 'endswith') advanced.push('endsWith');
      return { kind: 'function', name: fn, property: prop, value: value as string };
    }
    const prop = property();
    const anyMatch = prop.match(/^(\w+)\/any$/i);
    if (anyMatch) {
      // collection/any(x: x eq 'value')
      expect('(');
      const variable = peek();
      if (!variable || variable.type !== 'word') fail('lambda variable expected');
      pos++;
      expect(':');
      const ref = peek();
      if (!ref || ref.type !== 'word' || ref.text !== variable!.text) fail(`'${variable!.text}' expected`);
      pos++;
      const opTok = peek();
      const op = opTok?.type === 'word' ? opTok.text.toLowerCase() : '';
      if (op !== 'eq' && op !== 'ne') fail('eq expected');
      pos++;
      const value = literal();
      expect(')');
      return { kind: 'any', property: anyMatch[1]!, op: op as 'eq' | 'ne', value };
    }
    const opTok = peek();
    const op = opTok?.type === 'word' ? opTok.text.toLowerCase() : '';
    if (op === 'in') {
      pos++;
      expect('(');
      const values: Literal[] = [literal()];
      while (peek()?.text === ',') {
        pos++;
        values.push(literal());
      }
      expect(')');
      orClauses += values.length - 1;
      return { kind: 'in', property: prop, values };
    }
    if (!['eq', 'ne', 'ge', 'le', 'gt', 'lt'].includes(op)) return fail('comparison operator expected');
    pos++;
    if (op === 'ne') advanced.push('ne');
    return { kind: 'compare', op: op as 'eq', property: prop, value: literal() };
  };
  const unary = (): FilterNode => {
    if (keyword('not')) {
      advanced.push('not');
      return { kind: 'not', operand: unary() };
    }
    return primary();
  };
  const andExpr = (): FilterNode => {
    let left = unary();
    while (keyword('and')) left = { kind: 'and', left, right: unary() };
    return left;
  };
  const orExpr = (): FilterNode => {
    let left = andExpr();
    while (keyword('or')) {
      orClauses++;
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };

  if (tokens.length === 0) throw new FilterSyntaxError(`Syntax error: expression expected at position 0 in '${text}'.`);
  const root = orExpr();
  if (pos < tokens.length) fail(`'${peek()!.text}' is not expected`);
  return { root, properties, advanced, orClauses };
}

function equal(actual: unknown, value: Literal): boolean {
  if (value === null) return actual === null || actual === undefined;
  if (typeof value === 'string' && typeof actual === 'string') return actual.toLowerCase() === value.toLowerCase();
  return actual === value;
}

function order(actual: unknown, value: Literal): number | null {
  if (typeof actual === 'string' && typeof value === 'string')
    return actual.toLowerCase() < value.toLowerCase() ? -1 : actual.toLowerCase() > value.toLowerCase() ? 1 : 0;
  if (typeof actual === 'number' && typeof value === 'number') return actual - value;
  return null;
}

export function evaluate(node: FilterNode, record: Record<string, unknown>): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, record) && evaluate(node.right, record);
    case 'or':
      return evaluate(node.left, record) || evaluate(node.right, record);
    case 'not':
      return !evaluate(node.operand, record);
    case 'in':
      return node.values.some((v) => equal(record[node.property], v));
    case 'function': {
      const actual = record[node.property];
      if (typeof actual !== 'string') return false;
      const a = actual.toLowerCase();
      const v = node.value.toLowerCase();
      return node.name === 'startswith' ? a.startsWith(v) : a.endsWith(v);
    }
    case 'any': {
      const list = record[node.property];
      if (!Array.isArray(list)) return false;
      return node.op === 'eq' ? list.some((x) => equal(x, node.value)) : list.every((x) => !equal(x, node.value));
    }
    case 'compare': {
      const actual = record[node.property];
      if (node.op === 'eq') return equal(actual, node.value);
      if (node.op === 'ne') return !equal(actual, node.value);
      const c = order(actual, node.value);
      if (c === null) return false;
      return node.op === 'ge' ? c >= 0 : node.op === 'le' ? c <= 0 : node.op === 'gt' ? c > 0 : c < 0;
    }
  }
}

/** `$search="displayName:ann" AND "mail:contoso"`: each clause matches word prefixes of its property. */
export interface SearchClause {
  property: string;
  words: string[];
}
export type ParsedSearch = { ok: true; clauses: SearchClause[]; joiner: 'AND' | 'OR' } | { ok: false; message: string };

export function parseSearch(text: string): ParsedSearch {
  const clauses: SearchClause[] = [];
  let joiner: 'AND' | 'OR' | null = null;
  let rest = text.trim();
  while (rest.length > 0) {
    const m = rest.match(/^"([A-Za-z]+):([^"]*)"/);
    if (!m) return { ok: false, message: `Syntax error: invalid $search clause at '${rest.slice(0, 40)}'. Clauses are written "property:value".` };
    clauses.push({
      property: m[1]!,
      words: m[2]!
        .toLowerCase()
        .split(/[\s.@_-]+/)
        .filter(Boolean),
    });
    rest = rest.slice(m[0].length).trim();
    if (rest.length === 0) break;
    const j = rest.match(/^(AND|OR)\s+/);
    if (!j) return { ok: false, message: `Syntax error: expected AND or OR at '${rest.slice(0, 40)}'.` };
    if (joiner && joiner !== j[1]) return { ok: false, message: 'Syntax error: $search mixes AND and OR; use one of them.' };
    joiner = j[1] as 'AND' | 'OR';
    rest = rest.slice(j[0].length);
  }
  if (clauses.length === 0) return { ok: false, message: 'Syntax error: $search is empty.' };
  return { ok: true, clauses, joiner: joiner ?? 'AND' };
}

/** Graph tokenises the searched property and matches each searched word as a prefix of a token. */
export function searchMatches(search: { clauses: SearchClause[]; joiner: 'AND' | 'OR' }, record: Record<string, unknown>): boolean {
  const one = (c: SearchClause) => {
    const value = record[c.property];
    if (typeof value !== 'string') return false;
    const tokens = value
      .toLowerCase()
      .split(/[\s.@_-]+/)
      .filter(Boolean);
    return c.words.every((w) => tokens.some((t) => t.startsWith(w)));
  };
  return search.joiner === 'AND' ? search.clauses.every(one) : search.clauses.some(one);
}

export type ParsedOrderBy = { ok: true; keys: Array<{ property: string; descending: boolean }> } | { ok: false; message: string };

export function parseOrderBy(text: string): ParsedOrderBy {
  const keys: Array<{ property: string; descending: boolean }> = [];
  for (const part of text.split(',')) {
    const m = part.trim().match(/^([A-Za-z_]\w*)(?:\s+(asc|desc))?$/i);
    if (!m) return { ok: false, message: `Syntax error: invalid $orderby clause '${part.trim()}'.` };
    keys.push({ property: m[1]!, descending: m[2]?.toLowerCase() === 'desc' });
  }
  return { ok: true, keys };
}

export function compareBy<T extends object>(keys: Array<{ property: string; descending: boolean }>) {
  return (a: T, b: T): number => {
    for (const k of keys) {
      const x = (a as Record<string, unknown>)[k.property];
      const y = (b as Record<string, unknown>)[k.property];
      // Graph sorts nulls first in ascending order.
      const c =
        x === y
          ? 0
          : x === null || x === undefined
            ? -1
            : y === null || y === undefined
              ? 1
              : String(x).toLowerCase() < String(y).toLowerCase()
                ? -1
                : String(x).toLowerCase() > String(y).toLowerCase()
                  ? 1
                  : 0;
      if (c !== 0) return k.descending ? -c : c;
    }
    return 0;
  };
}
