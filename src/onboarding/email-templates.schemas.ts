import { Type } from '@sinclair/typebox';
import { EMAIL_KINDS } from './email-templates.js';
import { LANGUAGES } from './languages.js';

export const TemplateParams = Type.Object({
  kind: Type.Union(EMAIL_KINDS.map((k) => Type.Literal(k))),
  language: Type.Union(LANGUAGES.map((l) => Type.Literal(l))),
});

/** Plain text in the editable format (docs/ONBOARDING.md); never HTML, so no sanitiser is needed. */
const Subject = Type.String({ minLength: 1, maxLength: 250, pattern: '\\S' });
const Body = Type.String({ minLength: 1, maxLength: 20_000, pattern: '\\S' });

export const NewTemplateVersion = Type.Object(
  { subject: Subject, body: Body, comment: Type.String({ maxLength: 500, default: '' }) },
  { additionalProperties: false },
);

export const RollBack = Type.Object({ version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });

export const TemplatePreview = Type.Object(
  {
    subject: Subject,
    body: Body,
    /** The tracked user the preview is for (their name; their language unless `language` is given). */
    trackedUserId: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

const Version = Type.Object({
  version: Type.Integer(),
  subject: Type.String(),
  body: Type.String(),
  comment: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.String(),
});

export const TemplateView = Type.Object({
  kind: Type.String(),
  language: Type.String(),
  subject: Type.String(),
  body: Type.String(),
  /** `stored`: an admin's version is current; `built-in`: the catalogue's text (and config's English subjects). */
  source: Type.Union([Type.Literal('stored'), Type.Literal('built-in')]),
  current: Type.Union([Version, Type.Null()]),
});

export const TemplateList = Type.Object({ templates: Type.Array(TemplateView) });
export const VersionList = Type.Object({ versions: Type.Array(Version) });
export const RenderedPreview = Type.Object({ language: Type.String(), subject: Type.String(), html: Type.String(), text: Type.String() });
export { Version as TemplateVersion };
