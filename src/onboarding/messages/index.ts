import type { Language } from '../languages.js';
import type { Catalogue } from './catalogue.js';
import { de } from './de.js';
import { en } from './en.js';
import { es } from './es.js';
import { fr } from './fr.js';
import { nl } from './nl.js';

export type { Catalogue, EmailTemplate } from './catalogue.js';

/** One catalogue per language; the type makes a language without one a compile error. */
export const CATALOGUES: Readonly<Record<Language, Catalogue>> = { en, de, fr, es, nl };
