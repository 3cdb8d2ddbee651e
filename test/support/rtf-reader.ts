/**
 * A small RTF reader for tests: it reads back what the signature engine's RTF writer produces (and
 * what Word writes for the same subset), so tests judge the RTF by its content, not its spelling.
 * It knows groups, control words and symbols, `\uN` with the `\ucN` fallback skip, `\'hh` in
 * windows-1252, ignorable destinations (`\*`), the font and colour tables, HYPERLINK fields and
 * `\pict`. No npm RTF parser reads `\uN?` right (rtf-parser 1.3 drops them), and LibreOffice is not
 * part of the test machine. Its own test reads a Word-style sample (test/fixtures/rtf/).
 */

export interface RtfRun {
  text: string;
  bold: boolean;
  italic: boolean;
  underline: boolean;
  fontSize: number;
  colour: string | undefined;
  font: string | undefined;
}

export interface RtfDocument {
  /** Visible text: `\par` and `\line` as "\n", `\tab` as "\t". */
  text: string;
  runs: RtfRun[];
  links: Array<{ url: string; text: string }>;
  pictures: Array<{ type: 'png' | 'jpeg' | 'other'; bytes: Buffer; widthGoal: number; heightGoal: number }>;
  fonts: string[];
  /** The colour table as `#rrggbb` (or `auto`), indexed as `\cfN` is. */
  colours: string[];
}

interface State {
  bold: boolean;
  italic: boolean;
  underline: boolean;
  fontSize: number;
  colour: number;
  font: number;
  uc: number;
  /** Where text goes: the document, a table, a field's instruction, a picture, or nowhere. */
  destination: 'text' | 'fonttbl' | 'colortbl' | 'fldinst' | 'pict' | 'skip';
}

const CP1252 = new TextDecoder('windows-1252');
const DESTINATIONS_SKIPPED = new Set([
  'stylesheet',
  'info',
  'generator',
  'header',
  'footer',
  'listtable',
  'listoverridetable',
  'rsidtbl',
  'themedata',
  'latentstyles',
  'datastore',
  'xmlnstbl',
  'pntext',
  'nonshppict',
]);

export function readRtf(rtf: string): RtfDocument {
  if (!rtf.startsWith('{\\rtf1')) throw new Error('not an RTF document');
  const doc: RtfDocument = { text: '', runs: [], links: [], pictures: [], fonts: [], colours: [] };
  let state: State = { bold: false, italic: false, underline: false, fontSize: 24, colour: 0, font: 0, uc: 1, destination: 'text' };
  const stack: State[] = [];
  let skip = 0;
  let fontName = '';
  let fontNumber = 0;
  const fontByNumber = new Map<number, string>();
  let colour = { r: 0, g: 0, b: 0, any: false };
  let fieldInstruction = '';
  let fieldStart: number | undefined;
  let fieldDepth: number | undefined;
  let pict = { type: 'other' as 'png' | 'jpeg' | 'other', hex: '', w: 0, h: 0 };
  let pictDepth: number | undefined;
  let ignorableNext = false;
  let pendingHigh: number | undefined;

  const emit = (text: string) => {
    if (state.destination === 'fonttbl') fontName += text;
    else if (state.destination === 'fldinst') fieldInstruction += text;
    else if (state.destination === 'pict') pict.hex += text.replace(/[^0-9a-f]/gi, '');
    else if (state.destination === 'text') {
      doc.text += text;
      const last = doc.runs[doc.runs.length - 1];
      const run = {
        text,
        bold: state.bold,
        italic: state.italic,
        underline: state.underline,
        fontSize: state.fontSize,
        colour: state.colour > 0 ? doc.colours[state.colour] : undefined,
        font: fontByNumber.get(state.font),
      };
      if (last && JSON.stringify({ ...last, text: '' }) === JSON.stringify({ ...run, text: '' })) last.text += text;
      else doc.runs.push(run);
    }
  };
  const emitUnit = (unit: number) => {
    if (unit >= 0xd800 && unit <= 0xdbff) pendingHigh = unit;
    else if (unit >= 0xdc00 && unit <= 0xdfff && pendingHigh !== undefined) {
      emit(String.fromCharCode(pendingHigh, unit));
      pendingHigh = undefined;
    } else emit(String.fromCharCode(unit));
  };

  let i = 0;
  while (i < rtf.length) {
    const c = rtf[i]!;
    if (c === '{') {
      stack.push({ ...state });
      i++;
      skip = 0;
      continue;
    }
    if (c === '}') {
      const depth = stack.length;
      if (state.destination === 'fonttbl' && fontName.trim()) {
        doc.fonts.push(fontName.replace(/;\s*$/, '').trim());
        fontByNumber.set(fontNumber, doc.fonts[doc.fonts.length - 1]!);
        fontName = '';
      }
      if (pictDepth === depth) {
        doc.pictures.push({ type: pict.type, bytes: Buffer.from(pict.hex, 'hex'), widthGoal: pict.w, heightGoal: pict.h });
        pictDepth = undefined;
      }
      if (fieldDepth === depth && fieldStart !== undefined) {
        const url = /HYPERLINK\s+"([^"]*)"/.exec(fieldInstruction)?.[1];
        if (url !== undefined) doc.links.push({ url, text: doc.text.slice(fieldStart) });
        fieldDepth = undefined;
        fieldStart = undefined;
      }
      state = stack.pop() ?? state;
      i++;
      skip = 0;
      continue;
    }
    if (c === '\\') {
      const next = rtf[i + 1];
      if (next === undefined) break;
      if (/[a-z]/i.test(next)) {
        const m = /^\\([a-z]+)(-?\d+)? ?/i.exec(rtf.slice(i, i + 40))!;
        i += m[0].length;
        const word = m[1]!;
        const param = m[2] === undefined ? undefined : Number(m[2]);
        if (skip > 0) {
          skip--;
          continue;
        }
        if (ignorableNext) {
          ignorableNext = false;
          if (word === 'fldinst') {
            state.destination = 'fldinst';
            fieldInstruction = '';
          } else if (word !== 'shppict') state.destination = 'skip';
          continue;
        }
        switch (word) {
          case 'par':
          case 'line':
            emit('\n');
            break;
          case 'tab':
            emit('\t');
            break;
          case 'bullet':
            emit('\u2022');
            break;
          case 'b':
            state.bold = param !== 0;
            break;
          case 'i':
            state.italic = param !== 0;
            break;
          case 'ul':
            state.underline = param !== 0;
            break;
          case 'ulnone':
            state.underline = false;
            break;
          case 'plain':
            Object.assign(state, { bold: false, italic: false, underline: false, fontSize: 24, colour: 0 });
            break;
          case 'fs':
            state.fontSize = param ?? 24;
            break;
          case 'cf':
            state.colour = param ?? 0;
            break;
          case 'f':
            if (state.destination === 'fonttbl') fontNumber = param ?? 0;
            else state.font = param ?? 0;
            break;
          case 'uc':
            state.uc = param ?? 1;
            break;
          case 'u': {
            const unit = (param ?? 0) < 0 ? (param ?? 0) + 0x10000 : (param ?? 0);
            emitUnit(unit);
            skip = state.uc;
            break;
          }
          case 'fonttbl':
            state.destination = 'fonttbl';
            break;
          case 'colortbl':
            state.destination = 'colortbl';
            colour = { r: 0, g: 0, b: 0, any: false };
            break;
          case 'red':
          case 'green':
          case 'blue':
            colour = { ...colour, [word[0]!]: param ?? 0, any: true };
            break;
          case 'field':
            fieldDepth = stack.length;
            fieldStart = doc.text.length;
            break;
          case 'pict':
            if (state.destination === 'skip') break;
            state.destination = 'pict';
            pictDepth = stack.length;
            pict = { type: 'other', hex: '', w: 0, h: 0 };
            break;
          case 'pngblip':
            pict.type = 'png';
            break;
          case 'jpegblip':
            pict.type = 'jpeg';
            break;
          case 'picwgoal':
            pict.w = param ?? 0;
            break;
          case 'pichgoal':
            pict.h = param ?? 0;
            break;
          default:
            if (DESTINATIONS_SKIPPED.has(word)) state.destination = 'skip';
        }
        continue;
      }
      // Control symbols.
      i += 2;
      if (next === "'") {
        const byte = parseInt(rtf.slice(i, i + 2), 16);
        i += 2;
        if (skip > 0) skip--;
        else emit(CP1252.decode(Uint8Array.of(byte)));
        continue;
      }
      if (skip > 0) {
        skip--;
        continue;
      }
      if (next === '*') ignorableNext = true;
      else if (next === '~') emit('\u00a0');
      else if (next === '\\' || next === '{' || next === '}') emit(next);
      else if (next === '-' || next === '_') emit(next === '_' ? '\u2011' : '');
      continue;
    }
    if (c === '\r' || c === '\n') {
      i++;
      continue;
    }
    if (skip > 0) {
      skip--;
      i++;
      continue;
    }
    if (state.destination === 'colortbl' && c === ';') {
      doc.colours.push(colour.any ? `#${[colour.r, colour.g, colour.b].map((n) => n.toString(16).padStart(2, '0')).join('')}` : 'auto');
      colour = { r: 0, g: 0, b: 0, any: false };
      i++;
      continue;
    }
    emit(c);
    i++;
  }
  // \cfN indexes the colour table from 0, whose first entry is usually "auto" (\cf0, the default).
  for (const run of doc.runs) if (run.colour === 'auto') run.colour = undefined;
  return doc;
}
