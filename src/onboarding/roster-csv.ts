/**
 * Parses an uploaded roster (CSV of users). Isomorphic on purpose: no Node imports, so the portal parses
 * in the browser with exactly the rules the server applies.
 *
 * Rules: UTF-8 (optional BOM), or UTF-16 as Excel's "Unicode text" writes it (BOM FF FE or FE FF;
 * without a BOM, recognised by its zero bytes), decoded by decodeRoster; CRLF, LF or CR line ends; `,`,
 * `;` or tab delimiter (whichever the header uses most: Excel writes `;` in many locales, and tabs in
 * "Unicode text"); RFC 4180 quoting (delimiters, doubled quotes and line breaks
 * inside quotes); blank lines ignored; the UPN column is the first header named UPN, UserPrincipalName or
 * Email (any case). Each row's address is checked; a UPN seen earlier in the file (any case) is skipped
 * and reported once. A file that cannot be read as CSV is rejected whole, with the line and the reason.
 */

export const UPN_HEADERS: readonly string[] = ['upn', 'userprincipalname', 'email'];

/**
 * Columns kept besides the UPN, by header (any case, spaces and underscores ignored). They describe
 * users the directory does not know; for users it finds, the invitation run writes the directory's
 * values over them.
 */
export const PROFILE_HEADERS = {
  displayName: ['displayname', 'name', 'fullname'],
  department: ['department', 'dept'],
  jobTitle: ['jobtitle'],
  managerUpn: ['managerupn', 'manager', 'manageremail', 'managermail'],
} as const;
export type ProfileField = keyof typeof PROFILE_HEADERS;
const PROFILE_FIELDS = Object.keys(PROFILE_HEADERS) as ProfileField[];
/** Longer values are cut: these are labels for filters and lists, not documents. */
const MAX_PROFILE_LENGTH = 256;

/** The profile columns a file has, by the header as written. */
export type ProfileHeaders = { [F in ProfileField]?: string };

/** What a row says about its user besides the UPN; null where the file has no such column or the cell is empty. */
export type RosterProfile = { [F in ProfileField]: string | null };

export interface RosterEntry {
  upn: string;
  /** Lower-case UPN: the identity within a campaign. */
  key: string;
  /** Line of the file the row starts on (the header is usually line 1). */
  row: number;
  /** The profile columns of the row; undefined when the file has none of them. */
  profile?: RosterProfile;
}

export interface RosterIssue {
  upn: string;
  row: number;
  reason: string;
}

export type RosterDelimiter = ',' | ';' | '\t';

export interface RosterParsed {
  ok: true;
  delimiter: RosterDelimiter;
  /** Header of the UPN column as written in the file. */
  upnHeader: string;
  /** The profile columns found, by the header written in the file. */
  profileHeaders: ProfileHeaders;
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
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(reason);
    this.name = 'RosterSyntaxError';
  }
}

function detectDelimiter(text: string): RosterDelimiter {
  let commas = 0;
  let semicolons = 0;
  let tabs = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (!quoted && (c === 10 || c === 13)) {
      if (commas + semicolons + tabs > 0) break;
    } else if (!quoted && c === 44) commas++;
    else if (!quoted && c === 59) semicolons++;
    else if (!quoted && c === 9) tabs++;
  }
  if (tabs > commas && tabs > semicolons) return '\t';
  return semicolons > commas ? ';' : ',';
}

export type RosterEncoding = 'UTF-8' | 'UTF-16 LE' | 'UTF-16 BE';

export interface RosterText {
  ok: true;
  text: string;
  encoding: RosterEncoding;
}

/**
 * The text of an uploaded file's bytes. Excel saves "Unicode text" as UTF-16 with a byte-order mark
 * (FF FE little-endian, FE FF big-endian), tab-separated; other tools may leave the mark out, which
 * shows as a zero byte beside every ASCII character (never in CSV otherwise). UTF-16 that does not
 * decode is refused naming the encoding; anything else is read as UTF-8, as before (a stray byte
 * becomes U+FFFD in a name, never in a valid UPN). TextDecoder is a global in Node and browsers alike.
 */
export function decodeRoster(bytes: Uint8Array): RosterText | RosterRejected {
  let encoding: RosterEncoding = 'UTF-8';
  let bom = false;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) [encoding, bom] = ['UTF-16 LE', true];
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) [encoding, bom] = ['UTF-16 BE', true];
  else if (!(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)) encoding = utf16WithoutBom(bytes) ?? 'UTF-8';
  if (encoding === 'UTF-8') return { ok: true, text: new TextDecoder('utf-8').decode(bytes), encoding };
  try {
    const label = encoding === 'UTF-16 LE' ? 'utf-16le' : 'utf-16be';
    // ignoreBOM keeps the mark in the text, where readRoster drops it as it does UTF-8's.
    return { ok: true, text: new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(bytes), encoding };
  } catch {
    const how = bom ? 'starts with its byte-order mark' : 'looks like it (zero bytes beside its characters)';
    return {
      ok: false,
      line: 1,
      reason: `the file ${how} but is not valid ${encoding} text (cut short, or another encoding): save it again as "CSV UTF-8" or "Unicode text"`,
    };
  }
}

/** UTF-16 without a byte-order mark: zero bytes at most odd (LE) or even (BE) offsets of the start. */
function utf16WithoutBom(bytes: Uint8Array): RosterEncoding | undefined {
  const n = Math.min(bytes.length, 1024) & ~1;
  if (n < 4) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZeros++;
    if (bytes[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  if (oddZeros > pairs / 2 && evenZeros === 0) return 'UTF-16 LE';
  if (evenZeros > pairs / 2 && oddZeros === 0) return 'UTF-16 BE';
  return undefined;
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
  readonly #profileColumns: ReadonlyArray<[ProfileField, number]>;

  constructor(
    rows: Generator<Record>,
    readonly delimiter: RosterDelimiter,
    readonly upnHeader: string,
    upnColumn: number,
    /** Profile columns by header as written. */
    readonly profileHeaders: ProfileHeaders = {},
    profileColumns: ReadonlyArray<[ProfileField, number]> = [],
  ) {
    this.#rows = rows;
    this.#upnColumn = upnColumn;
    this.#profileColumns = profileColumns;
  }

  #profile(fields: readonly string[]): RosterProfile | undefined {
    if (this.#profileColumns.length === 0) return undefined;
    const profile: RosterProfile = { displayName: null, department: null, jobTitle: null, managerUpn: null };
    for (const [field, column] of this.#profileColumns) {
      const value = (fields[column] ?? '').trim().slice(0, MAX_PROFILE_LENGTH);
      // A manager must be an address to be escalated to; anything else is left out rather than mailed.
      if (value !== '' && (field !== 'managerUpn' || isValidAddress(value))) profile[field] = value;
    }
    return profile;
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
      const profile = this.#profile(record.fields);
      yield profile ? { upn, key, row, profile } : { upn, key, row };
    }
  }
}

/** Starts reading a roster: its header, or why the file cannot be one. */
export function readRoster(input: string): RosterReader | RosterRejected {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  // UTF-16 bytes that reached here as UTF-8 text (a client that decoded them so): say so, rather than
  // "no UPN column" for a header that reads U\0P\0N\0.
  const start = text.slice(0, 256);
  if (start.includes('\u0000') || start.startsWith('\ufffd\ufffd')) {
    return {
      ok: false,
      line: 1,
      reason: 'the text looks like UTF-16 read as UTF-8 (zero bytes or an undecodable byte-order mark): upload the file itself, or save it as "CSV UTF-8"',
    };
  }
  const delimiter = detectDelimiter(text);
  const rows = records(text, delimiter);
  try {
    // Not a for-of: leaving one would close the generator the reader goes on with.
    for (let next = rows.next(); !next.done; next = rows.next()) {
      const header = next.value;
      if (isBlank(header.fields)) continue;
      const names = header.fields.map((h) =>
        h
          .trim()
          .toLowerCase()
          .replace(/[\s_]+/g, ''),
      );
      const upnColumn = names.findIndex((h) => UPN_HEADERS.includes(h));
      if (upnColumn === -1) return { ok: false, line: header.line, reason: 'no UPN column: the header needs a column named UPN, UserPrincipalName or Email' };
      const profileColumns: Array<[ProfileField, number]> = [];
      const profileHeaders: ProfileHeaders = {};
      for (const field of PROFILE_FIELDS) {
        const column = names.findIndex((h, i) => i !== upnColumn && (PROFILE_HEADERS[field] as readonly string[]).includes(h));
        if (column === -1) continue;
        profileColumns.push([field, column]);
        profileHeaders[field] = header.fields[column]!.trim();
      }
      return new RosterReader(rows, delimiter, header.fields[upnColumn]!.trim(), upnColumn, profileHeaders, profileColumns);
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
    return {
      ok: true,
      delimiter: reader.delimiter,
      upnHeader: reader.upnHeader,
      profileHeaders: reader.profileHeaders,
      entries,
      skipped: reader.skipped,
      invalid: reader.invalid,
      total: reader.total,
    };
  } catch (err) {
    if (err instanceof RosterSyntaxError) return { ok: false, line: err.line, reason: err.message };
    throw err;
  }
}

/** What `POST /api/upload-users` answers; here so the portal (a browser bundle) shares the type. */
export interface UploadResult {
  batchId: string;
  /** New to the campaign: Pending, invited by the next run. */
  added: string[];
  /** Already in the campaign and left as they were: the link they have keeps working. */
  unchanged: string[];
  /** Already in the campaign and started again (asked for): a new link; the old one offers a fresh one. */
  reset: string[];
  skipped: Array<{ upn: string; row: number; reason: string }>;
  errors: Array<{ upn: string; row: number; error: string }>;
  total: number;
  /** Whether a listener (the invitation workflow) started or scheduled a run. */
  triggered: boolean;
  /** A preview: what the upload would do; nothing was stored. */
  dryRun: boolean;
}
