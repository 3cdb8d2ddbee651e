/**
 * The languages onramp writes its emails and end-user pages in, and the one place a language is chosen
 * from a BCP-47 tag (the directory's `preferredLanguage`) or from a browser's Accept-Language header.
 */

/** Every language with a catalogue in ./messages (adding one: docs/ONBOARDING.md). */
export const LANGUAGES = ['en', 'de', 'fr', 'es', 'nl'] as const;
export type Language = (typeof LANGUAGES)[number];

const SUPPORTED = new Set<string>(LANGUAGES);

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && SUPPORTED.has(value);
}

/** The language of a tag by its primary subtag (`de-AT` → de, `EN_us` → en); unknown or absent → `fallback`. */
export function languageOf(tag: string | null | undefined, fallback: Language): Language {
  return primaryLanguage(tag) ?? fallback;
}

function primaryLanguage(tag: string | null | undefined): Language | undefined {
  const primary = tag?.trim().split(/[-_]/, 1)[0]?.toLowerCase();
  return isLanguage(primary) ? primary : undefined;
}

/** Longest header read: a browser sends a few dozen bytes; more is not worth parsing. */
const MAX_ACCEPT_LANGUAGE = 512;

/**
 * The supported language the browser ranks highest (RFC 9110 §12.5.4: `q` weights, ties in header
 * order); `*`, unknown tags and q=0 add nothing, so a header without a supported language → `fallback`.
 */
export function languageFromAcceptLanguage(header: string | string[] | undefined, fallback: Language): Language {
  const text = (Array.isArray(header) ? header.join(',') : (header ?? '')).slice(0, MAX_ACCEPT_LANGUAGE);
  let best: Language | undefined;
  let bestWeight = 0;
  for (const item of text.split(',')) {
    const [range = '', ...params] = item.split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (!(weight > bestWeight) || weight > 1) continue;
    const language = primaryLanguage(range);
    if (language === undefined) continue;
    best = language;
    bestWeight = weight;
  }
  return best ?? fallback;
}
