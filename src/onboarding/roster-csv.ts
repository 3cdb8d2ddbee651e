/**
 * Parses an uploaded roster (CSV of users). Isomorphic on purpose: no Node imports, so the portal parses
 * in the browser with exactly the rules the server applies.
 *
 * Rules: optional UTF-8 BOM; CRLF, LF or CR line ends; `;` or `,` delimiter (whichever the header uses
 * more: Excel writes `;` in many locales); RFC 4180 quoting (delimiters, doubled quotes and line breaks
 * inside quotes); blank lines ignored; the UPN column is the first header named UPN, UserPrincipalName or
 * Email (any case). Each row's address is checked; a UPN seen earlier in the file (any case) is skipped
 * and reported once. A file that cannot be read as CSV is rejected whole, with the line and the reason.
 */

export const UPN_HEADERS: readonly string[] = ['upn', 'userprincipalname', 'email'];

export interface RosterEntry {
  upn: string;
  /** Lower-case UPN: the identity within a campaign. */
  key: string;
  /** Line of the file the row starts on (the header is usually line 1). */
  row: number;
}

export interface RosterIssue {
  upn: string;
  row: number;
  reason: string;
}

export interface RosterParsed {
  ok: true;
  delimiter: ',' | ';';
  /** Header of the UPN column as written in the file. */
  upnHeader: string;
  entries: RosterEntry[];
  /** Rows left out on purpose (duplicates within the file, empty UPN cells). */
  skipped: RosterIssue[];
  /** Rows whose UPN is not a valid address. */
  invalid: RosterIssue[];
  /** Non-blank data rows. */
  total: number;
}

export interface RosterRejected {
  ok: false;
  /** 1-based physical line of the problem. */
  line: number;
  reason: string;
}

export type RosterResult = RosterParsed | RosterRejected;

const MAX_UPN_LENGTH = 320;
// Deliberately plain: a name, @, a dotted domain of letters, digits and hyphens. Entra UPNs fit it.
const ADDRESS = /^[^\s@"<>(),;:\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

export function isValidAddress(value: string): boolean {
  return value.length <= MAX_UPN_LENGTH && ADDRESS.test(value);
}

interface Record {
  fields: string[];
  line: number;
}

/** Where and why the text stops being CSV. */
export class RosterSyntaxError extends Error {
  constructor(readonly line: number, reason: string) {
    super(reason);
    this.name = 'RosterSyntaxError';
  }
}

function detectDelimiter(text: string): ',' | ';' {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (!quoted && (c === 10 || c === 13)) {
      if (commas + semicolons > 0) break;
    } else if (!quoted && c === 44) commas++;
    else if (!quoted && c === 59) semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

/** Splits the text into records. One pass, no regex per character: 100,000 rows must stay cheap. */
function* records(text: string, delimiter: string): Generator<Record> {
  const delim = delimiter.charCodeAt(0);
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    for (;;) {
      // One field.
      if (text.charCodeAt(i) === 34) {
        const openLine = line;
        let value = '';
        let from = ++i;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q === -1) throw new RosterSyntaxError(openLine, 'unterminated quoted field (a " opened here is never closed)');
          value += text.slice(i, q);
          for (let k = from; k < q; k++) if (text.charCodeAt(k) === 10 || (text.charCodeAt(k) === 13 && text.charCodeAt(k + 1) !== 10)) line++;
          if (text.charCodeAt(q + 1) === 34) {
            value += '"';
            i = from = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        const after = text.charCodeAt(i);
        if (i < n && after !== delim && after !== 10 && after !== 13) {
          throw new RosterSyntaxError(line, 'unexpected text after a closing quote (quotes inside a quoted field must be doubled)');
        }
        fields.push(value);
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === delim || c === 10 || c === 13) break;
          j++;
        }
        fields.push(text.slice(i, j));
        i = j;
      }
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === delim) {
        i++;
        continue;
      }
      // Line end: CRLF, LF or CR.
      i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
      line++;
      break;
    }
    yield { fields, line: startLine };
  }
}

function isBlank(fields: readonly string[]): boolean {
  for (const f of fields) if (f.trim() !== '') return false;
  return true;
}

/**
 * A roster being read row by row: its header is checked, its entries come as `entries()` is iterated
 * (the server writes them to the database while it reads on), and the skipped and invalid rows are
 * collected on the way. `entries()` throws a RosterSyntaxError where the text stops being CSV.
 */
export class RosterReader {
  readonly ok = true;
  readonly skipped: RosterIssue[] = [];
  readonly invalid: RosterIssue[] = [];
  /** Non-blank data rows read so far. */
  total = 0;
  readonly #rows: Generator<Record>;
  readonly #upnColumn: number;

  constructor(rows: Generator<Record>, readonly delimiter: ',' | ';', readonly upnHeader: string, upnColumn: number) {
    this.#rows = rows;
    this.#upnColumn = upnColumn;
  }

  *entries(): Generator<RosterEntry> {
    const firstRow = new Map<string, number>();
    for (const record of this.#rows) {
      if (isBlank(record.fields)) continue;
      const row = record.line;
      this.total++;
      const upn = (record.fields[this.#upnColumn] ?? '').trim();
      if (upn === '') {
        this.skipped.push({ upn: '', row, reason: 'no UPN in this row' });
        continue;
      }
      if (!isValidAddress(upn)) {
        this.invalid.push({ upn, row, reason: 'not a valid address (expected name@domain)' });
        continue;
      }
      const key = upn.toLowerCase();
      const seen = firstRow.get(key);
      if (seen !== undefined) {
        this.skipped.push({ upn, row, reason: `duplicate of row ${seen}` });
        continue;
      }
      firstRow.set(key, row);
      yield { upn, key, row };
    }
  }
}

/** Starts reading a roster: its header, or why the file cannot be one. */
export function readRoster(input: string): RosterReader | RosterRejected {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const delimiter = detectDelimiter(text);
  const rows = records(text, delimiter);
  try {
    // Not a for-of: leaving one would close the generator the reader goes on with.
    for (let next = rows.next(); !next.done; next = rows.next()) {
      const header = next.value;
      if (isBlank(header.fields)) continue;
      const upnColumn = header.fields.findIndex((h) => UPN_HEADERS.includes(h.trim().toLowerCase()));
      if (upnColumn === -1) return { ok: false, line: header.line, reason: 'no UPN column: the header needs a column named UPN, UserPrincipalName or Email' };
      return new RosterReader(rows, delimiter, header.fields[upnColumn]!.trim(), upnColumn);
    }
  } catch (err) {
    if (err instanceof RosterSyntaxError) return { ok: false, line: err.line, reason: err.message };
    throw err;
  }
  return { ok: false, line: 1, reason: 'the file is empty (expected a header row with a UPN column)' };
}

/** A whole roster at once (the portal's preview, and anything that needs every row before acting). */
export function parseRoster(input: string): RosterResult {
  const reader = readRoster(input);
  if (!reader.ok) return reader;
  try {
    const entries = [...reader.entries()];
    return { ok: true, delimiter: reader.delimiter, upnHeader: reader.upnHeader, entries, skipped: reader.skipped, invalid: reader.invalid, total: reader.total };
  } catch (err) {
    if (err instanceof RosterSyntaxError) return { ok: false, line: err.line, reason: err.message };
    throw err;
  }
}

/** What `POST /api/upload-users` answers; here so the portal (a browser bundle) shares the type. */
export interface UploadResult {
  batchId: string;
  added: string[];
  updated: string[];
  skipped: Array<{ upn: string; row: number; reason: string }>;
  errors: Array<{ upn: string; row: number; error: string }>;
  total: number;
  /** Whether a listener (the invitation workflow) started or scheduled a run. */
  triggered: boolean;
}
