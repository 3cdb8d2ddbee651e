/**
 * Reads Set-OutlookSignatures' template INI: one section per template file (the same file may head
 * several sections, each a separate assignment), one tag per line, `-:` denies, `#`/`;` comments, and
 * a special `[<Set-OutlookSignatures configuration>]` section for SortOrder/SortCulture. Pure: text in,
 * sections and problems (file and line) out.
 */

export interface SourcePlace {
  file: string;
  line: number;
}

export type SosTagBody =
  | { kind: 'defaultNew' }
  | { kind: 'defaultReplyFwd' }
  | { kind: 'writeProtect' }
  | { kind: 'oof'; audience: 'internal' | 'external' }
  /** `EntraID <group>` or `<AD domain> <group>`. */
  | { kind: 'group'; directory: string; group: string }
  | { kind: 'mailbox'; address: string }
  /** Both ends as written (`yyyyMMddHHmm`), `utc` when either end carries the `Z` suffix. */
  | { kind: 'time'; from: string; to: string; utc: boolean }
  /** `$Name$`: holds when the variable is true (non-empty). */
  | { kind: 'variable'; name: string }
  | { kind: 'unknown'; text: string };

export type SosTag = SosTagBody & { negated: boolean; line: number };

export interface SosSection {
  /** The template file the section is for, as written (e.g. `Formal.docx`). */
  file: string;
  line: number;
  tags: SosTag[];
  /** `OutlookSignatureName = …`: the signature's name instead of the file's. */
  signatureName?: string;
}

export interface SosIni {
  sections: SosSection[];
  /** `AsInThisFile`, `Ascending`, `Descending`; SOS's default is alphabetical (Ascending). */
  sortOrder?: string;
  sortCulture?: string;
  problems: (SourcePlace & { message: string })[];
}

export const CONFIGURATION_SECTION = '<set-outlooksignatures configuration>';

const TIME_RANGE = /^(\d{12})(z?)-(\d{12})(z?)$/i;
const MAILBOX = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const VARIABLE = /^\$([A-Za-z][A-Za-z0-9_-]*)\$$/;

/** A calendar-valid `yyyyMMddHHmm`. */
function validStamp(stamp: string): boolean {
  const [y, mo, d, h, mi] = [stamp.slice(0, 4), stamp.slice(4, 6), stamp.slice(6, 8), stamp.slice(8, 10), stamp.slice(10, 12)].map(Number);
  const date = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo! - 1 && date.getUTCDate() === d && h! < 24 && mi! < 60;
}

function readTag(text: string): SosTagBody | { problem: string } {
  const lower = text.toLowerCase();
  if (lower === 'defaultnew') return { kind: 'defaultNew' };
  if (lower === 'defaultreplyfwd') return { kind: 'defaultReplyFwd' };
  if (lower === 'writeprotect') return { kind: 'writeProtect' };
  if (lower === 'internal' || lower === 'external') return { kind: 'oof', audience: lower };
  const time = TIME_RANGE.exec(text);
  if (time) {
    const [, from, fromZ, to, toZ] = time as unknown as [string, string, string, string, string];
    if (!validStamp(from) || !validStamp(to)) return { problem: `"${text}" is not a valid time range (yyyyMMddHHmm-yyyyMMddHHmm)` };
    if (from > to) return { problem: `the time range "${text}" ends before it starts` };
    return { kind: 'time', from, to, utc: fromZ !== '' || toZ !== '' };
  }
  const variable = VARIABLE.exec(text);
  if (variable) return { kind: 'variable', name: variable[1]! };
  if (MAILBOX.test(text)) return { kind: 'mailbox', address: text.toLowerCase() };
  const space = text.search(/\s/);
  if (space > 0) {
    const group = text.slice(space).trim();
    if (group !== '') return { kind: 'group', directory: text.slice(0, space), group };
  }
  return { kind: 'unknown', text };
}

export function readSosIni(text: string, file: string): SosIni {
  const result: SosIni = { sections: [], problems: [] };
  let current: SosSection | 'configuration' | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const content = raw.trim();
    if (content === '' || content.startsWith('#') || content.startsWith(';')) return;
    const problem = (message: string) => result.problems.push({ file, line, message });
    const header = /^\[(.*)\]$/.exec(content);
    if (header) {
      const name = header[1]!.trim();
      if (name === '') {
        problem('a section needs a template file name');
        current = undefined;
      } else if (name.toLowerCase() === CONFIGURATION_SECTION) {
        current = 'configuration';
      } else {
        current = { file: name, line, tags: [] };
        result.sections.push(current);
      }
      return;
    }
    const assignment = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(content);
    if (current === undefined) {
      problem(`"${content}" is outside any section`);
      return;
    }
    if (current === 'configuration') {
      const key = assignment?.[1]?.toLowerCase();
      if (key === 'sortorder') result.sortOrder = assignment![2]!.trim();
      else if (key === 'sortculture') result.sortCulture = assignment![2]!.trim();
      else problem(`"${content}" is not a setting of the configuration section (SortOrder, SortCulture)`);
      return;
    }
    if (assignment && assignment[1]!.toLowerCase() === 'outlooksignaturename') {
      const name = assignment[2]!.trim();
      if (name === '') problem('OutlookSignatureName is empty');
      else current.signatureName = name;
      return;
    }
    const negated = content.startsWith('-:');
    const body = negated ? content.slice(2).trim() : content;
    const tag = readTag(body);
    if ('problem' in tag) problem(tag.problem);
    else current.tags.push({ ...tag, negated, line });
  });
  return result;
}
