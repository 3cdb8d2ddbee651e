/**
 * The signature admin API (/api/signatures/templates, rules, variables, assets, explain, preview), declared
 * once as TypeBox schemas: the routes (admin.routes.ts) validate and serialise with them, /api/openapi.json
 * publishes them, and the SPA (portal/) imports their `Static` types. Only TypeBox is imported here, because
 * portal/ compiles this file with its own tsconfig (no Node types) for the browser.
 *
 * Every field the routes send is declared: Fastify's serialiser drops fields a response schema does not name.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { GroupReference, RuleCriteria, TimeWindow } from '../directory/criteria.schemas.js';

// Who a rule is for: the criteria are directory facts, shared with branding assignments.
export {
  ATTRIBUTE_OPERATORS,
  AttributeCondition,
  type AttributeOperator,
  GroupReference,
  RuleCriteria,
  TimeWindow,
} from '../directory/criteria.schemas.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** ISO-8601 UTC timestamps, as the database stores them. */
const Timestamp = Type.String({ description: 'ISO-8601 UTC' });
const Id = Type.Integer({ minimum: 1 });

export const TEMPLATE_SOURCE_MAX_CHARS = 200_000;
const TemplateName = Type.String({ minLength: 1, maxLength: 120, description: 'Unique; also the Outlook signature name (file name for Outlook classic)' });
const Description = Type.String({ maxLength: 2000 });
const Comment = Type.String({ maxLength: 500, description: 'What changed, for the version history' });
const Source = Type.String({ maxLength: TEMPLATE_SOURCE_MAX_CHARS, description: 'The template (docs/SIGNATURES.md)' });

// ---------------------------------------------------------------------------------------------- templates

/** A problem in a template's source (1-based line and column), as 400 ONRAMP_ERR_TEMPLATE_INVALID lists them in `problems`. */
export const TemplateProblem = Type.Object({ line: Type.Integer(), column: Type.Integer(), message: Type.String() });
export type TemplateProblem = Static<typeof TemplateProblem>;

export const RuleReference = Type.Object({ id: Type.Integer(), name: Type.String() });
export type RuleReference = Static<typeof RuleReference>;

/** GET /api/signatures/templates (one entry) */
export const TemplateSummary = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  currentVersion: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  updatedBy: Type.String({ description: 'Who saved the current version' }),
});
export type TemplateSummary = Static<typeof TemplateSummary>;

export const TemplateList = Type.Object({ templates: Type.Array(TemplateSummary, { description: 'By name' }) });
export type TemplateList = Static<typeof TemplateList>;

/** GET /api/signatures/templates/:id, and the answer of every template write */
export const TemplateDetail = Type.Object({
  ...TemplateSummary.properties,
  source: Type.String({ description: 'The current version' }),
  placeholders: Type.Array(Type.String(), { description: 'What the current version reads, e.g. user.displayName' }),
  usedBy: Type.Array(RuleReference, { description: 'Rules that choose this template' }),
});
export type TemplateDetail = Static<typeof TemplateDetail>;

/** POST /api/signatures/templates */
export const CreateTemplateBody = Type.Object(
  { name: TemplateName, description: Type.Optional(Description), source: Source, comment: Type.Optional(Comment) },
  { additionalProperties: false },
);
export type CreateTemplateBody = Static<typeof CreateTemplateBody>;

/** PUT /api/signatures/templates/:id: saves a new version; `baseVersion` is the version the edit started from (409 when another save came first). */
export const UpdateTemplateBody = Type.Object(
  {
    baseVersion: Id,
    name: Type.Optional(TemplateName),
    description: Type.Optional(Description),
    source: Source,
    comment: Type.Optional(Comment),
  },
  { additionalProperties: false },
);
export type UpdateTemplateBody = Static<typeof UpdateTemplateBody>;

/** POST /api/signatures/templates/:id/rollback: a new version with the source of `version`. */
export const RollbackTemplateBody = Type.Object(
  { version: Id, baseVersion: Type.Optional(Id), comment: Type.Optional(Comment) },
  { additionalProperties: false },
);
export type RollbackTemplateBody = Static<typeof RollbackTemplateBody>;

export const TemplateVersionSummary = Type.Object({
  version: Type.Integer(),
  createdAt: Timestamp,
  createdBy: Type.String(),
  comment: Type.String(),
});
export type TemplateVersionSummary = Static<typeof TemplateVersionSummary>;

/** GET /api/signatures/templates/:id/versions */
export const TemplateVersionList = Type.Object({ templateId: Type.Integer(), versions: Type.Array(TemplateVersionSummary, { description: 'Newest first' }) });
export type TemplateVersionList = Static<typeof TemplateVersionList>;

/** GET /api/signatures/templates/:id/versions/:version */
export const TemplateVersion = Type.Object({ templateId: Type.Integer(), ...TemplateVersionSummary.properties, source: Type.String() });
export type TemplateVersion = Static<typeof TemplateVersion>;

export const DiffHunk = Type.Object({
  oldStart: Type.Integer(),
  oldLines: Type.Integer(),
  newStart: Type.Integer(),
  newLines: Type.Integer(),
  lines: Type.Array(Type.String(), { description: "Each line prefixed with ' ', '-' or '+'" }),
});
export type DiffHunk = Static<typeof DiffHunk>;

/** GET /api/signatures/templates/:id/diff?from=&to= */
export const TemplateDiff = Type.Object({
  templateId: Type.Integer(),
  from: Type.Integer(),
  to: Type.Integer(),
  unified: Type.String({ description: 'The unified diff as text (3 lines of context)' }),
  hunks: Type.Array(DiffHunk),
});
export type TemplateDiff = Static<typeof TemplateDiff>;

// -------------------------------------------------------------------------------------------------- rules

export const RULE_KINDS = ['signature', 'banner'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
export const RULE_DEFAULTS = ['new', 'reply', 'both', 'none'] as const;
export type RuleDefaults = (typeof RULE_DEFAULTS)[number];

/** GET /api/signatures/groups?search=<start of the name>: Entra groups for a rule's group picker. */
export const GroupList = Type.Object({
  groups: Type.Array(Type.Object({ id: Type.String(), displayName: Type.String() }), { description: 'By name, at most 25' }),
});
export type GroupList = Static<typeof GroupList>;

const RuleFields = {
  name: Type.String({ minLength: 1, maxLength: 120 }),
  enabled: Type.Boolean(),
  kind: Type.Union(
    RULE_KINDS.map((k) => Type.Literal(k)),
    {
      description: "signature: chooses a template; banner: appends its template's block inside the chosen signatures",
    },
  ),
  templateId: Id,
  defaults: Type.Union(
    RULE_DEFAULTS.map((d) => Type.Literal(d)),
    {
      description:
        'signature rules: which default the template becomes (none: only offered); banner rules: which defaults get the banner (none: every signature)',
    },
  ),
  conditions: RuleCriteria,
  exclusions: RuleCriteria,
  window: Nullable(TimeWindow),
};

/** POST /api/signatures/rules, PUT /api/signatures/rules/:id. New rules go last (lowest priority). */
export const RuleInput = Type.Object(RuleFields, { additionalProperties: false });
export type RuleInput = Static<typeof RuleInput>;

export const Rule = Type.Object({
  id: Type.Integer(),
  priority: Type.Integer({ description: '1 is the highest: the first rule in the list' }),
  ...RuleFields,
  templateName: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  updatedBy: Type.String(),
});
export type Rule = Static<typeof Rule>;

/** GET /api/signatures/rules, and PUT /api/signatures/rules/order */
export const RuleList = Type.Object({ rules: Type.Array(Rule, { description: 'Highest priority first' }) });
export type RuleList = Static<typeof RuleList>;

/** PUT /api/signatures/rules/order: every rule id, highest priority first. */
export const RuleOrderBody = Type.Object({ ids: Type.Array(Id, { maxItems: 10_000 }) }, { additionalProperties: false });
export type RuleOrderBody = Static<typeof RuleOrderBody>;

// ---------------------------------------------------------------------------------------------- variables

const Text = Type.String({ minLength: 1, maxLength: 256 });
const VariableName = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$', description: 'Templates read it as var.<name>' });
const VariableValue = Type.String({ maxLength: 2000 });

/** The path of /api/signatures/variables/:name */
export const VariableParams = Type.Object({ name: VariableName });

/** A custom variable: a user's own value over a group's (the first listed group the user is in) over the default. */
export const VariableInput = Type.Object(
  {
    description: Type.Optional(Description),
    defaultValue: VariableValue,
    userValues: Type.Optional(Type.Array(Type.Object({ upn: Text, value: VariableValue }, { additionalProperties: false }), { maxItems: 10_000 })),
    groupValues: Type.Optional(
      Type.Array(Type.Object({ group: GroupReference, value: VariableValue }, { additionalProperties: false }), {
        maxItems: 200,
        description: 'First match wins',
      }),
    ),
  },
  { additionalProperties: false },
);
export type VariableInput = Static<typeof VariableInput>;

export const Variable = Type.Object({
  name: Type.String(),
  description: Type.String(),
  defaultValue: Type.String(),
  userValues: Type.Array(Type.Object({ upn: Type.String(), value: Type.String() })),
  groupValues: Type.Array(Type.Object({ group: Type.Object({ id: Type.String(), displayName: Type.String() }), value: Type.String() })),
  updatedAt: Timestamp,
  updatedBy: Type.String(),
});
export type Variable = Static<typeof Variable>;

/** GET /api/signatures/variables */
export const VariableList = Type.Object({ variables: Type.Array(Variable, { description: 'By name' }) });
export type VariableList = Static<typeof VariableList>;

// ------------------------------------------------------------------------------------------------- assets

/** POST /api/signatures/assets (multipart, one `file` part), GET /api/signatures/assets */
export const Asset = Type.Object({
  hash: Type.String({ description: 'SHA-256 of the bytes, hex: the name and version of the asset' }),
  contentType: Type.Union([Type.Literal('image/png'), Type.Literal('image/jpeg'), Type.Literal('image/gif')], { description: 'Read from the bytes' }),
  size: Type.Integer(),
  width: Type.Integer(),
  height: Type.Integer(),
  originalName: Type.String(),
  uploadedBy: Type.String(),
  uploadedAt: Timestamp,
  reference: Type.String({ description: 'What a template writes to show exactly these bytes: <img src="asset:<hash>">' }),
  nameReference: Type.String({
    description: 'What a template writes to show the newest upload of this file name (without its extension): <img src="asset:<name>">',
  }),
  url: Type.String({ description: 'GET it here (immutable, strong ETag)' }),
});
export type Asset = Static<typeof Asset>;

export const AssetList = Type.Object({ assets: Type.Array(Asset, { description: 'Newest first' }) });
export type AssetList = Static<typeof AssetList>;

// ---------------------------------------------------------------------------------------- explain, preview

export const RuleVerdict = Type.Object({
  ruleId: Type.Integer(),
  ruleName: Type.String(),
  matched: Type.Boolean(),
  reasons: Type.Array(Type.String(), { description: 'e.g. "matched: department is Sales", "not matched: not a member of group Finance"' }),
});
export type RuleVerdict = Static<typeof RuleVerdict>;

export const ChosenTemplate = Type.Object({ ruleId: Type.Integer(), ruleName: Type.String(), templateId: Type.Integer(), templateName: Type.String() });
export type ChosenTemplate = Static<typeof ChosenTemplate>;

/** GET /api/signatures/explain?user=<upn or mailbox>&at=<ISO time>: "why this signature?" */
export const Explanation = Type.Object({
  user: Type.String({ description: 'The user principal name' }),
  mailbox: Type.String(),
  at: Timestamp,
  newMail: Nullable(ChosenTemplate),
  reply: Nullable(ChosenTemplate),
  offered: Type.Array(ChosenTemplate, { description: 'Matched rules with defaults "none", or whose default a higher rule took' }),
  banners: Type.Array(ChosenTemplate),
  verdicts: Type.Array(RuleVerdict, { description: 'Every rule, highest priority first' }),
});
export type Explanation = Static<typeof Explanation>;

const PersonInput = Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 2000 }), { description: 'Directory attribute names → values' });

/**
 * POST /api/signatures/preview: a saved template (`templateId`, optionally `version`) or unsaved `source`,
 * for a directory user (`user`) or made-up people (`person`), as of `at` (default now) in `timeZone`.
 */
export const PreviewBody = Type.Object(
  {
    templateId: Type.Optional(Id),
    version: Type.Optional(Id),
    source: Type.Optional(Source),
    user: Type.Optional(Type.String({ minLength: 3, maxLength: 256, description: 'UPN or mail address from the directory copy' })),
    person: Type.Optional(
      Type.Object(
        {
          user: PersonInput,
          manager: Type.Optional(PersonInput),
          mailbox: Type.Optional(PersonInput),
          variables: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 2000 }))),
        },
        { additionalProperties: false },
      ),
    ),
    at: Type.Optional(Type.String({ format: 'date-time' })),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 120, description: 'Signature name for the Outlook classic files (default: the template name or "Preview")' }),
    ),
  },
  { additionalProperties: false },
);
export type PreviewBody = Static<typeof PreviewBody>;

export const PreviewFile = Type.Object({
  path: Type.String(),
  contentType: Type.String(),
  size: Type.Integer(),
  base64: Type.String(),
});
export type PreviewFile = Static<typeof PreviewFile>;

export const Preview = Type.Object({
  webHtml: Type.String(),
  htm: Type.String(),
  rtf: Type.String(),
  txt: Type.String(),
  files: Type.Array(PreviewFile),
  hash: Type.String(),
  placeholders: Type.Array(Type.String()),
});
export type Preview = Static<typeof Preview>;

// ------------------------------------------------------------------------------- Set-OutlookSignatures

const SourcePlace = { file: Type.String(), line: Type.Integer({ description: '0: the file as a whole (DOCX has no lines)' }) };

/** POST /api/signatures/import-sos: what an import of a Set-OutlookSignatures folder did or would do. */
export const SosImportReport = Type.Object({
  iniFile: Type.String(),
  templates: Type.Array(
    Type.Object({
      name: Type.String(),
      file: Type.String(),
      format: Type.Union([Type.Literal('docx'), Type.Literal('htm')]),
      assets: Type.Array(Type.String(), { description: 'SHA-256 of each image that became an asset' }),
      placeholders: Type.Array(Type.Object({ sos: Type.String(), onramp: Type.String(), line: Type.Integer() })),
    }),
  ),
  rules: Type.Array(
    Type.Object({
      priority: Type.Integer({ description: 'Among the imported rules, 1 first; they go after the existing rules' }),
      name: Type.String(),
      template: Type.String(),
      enabled: Type.Boolean(),
      defaults: Type.String(),
      mappings: Type.Array(Type.String()),
    }),
  ),
  variables: Type.Array(Type.Object({ name: Type.String(), from: Type.Array(Type.String()) }), {
    description: 'Custom variables created for what onramp cannot resolve',
  }),
  assets: Type.Array(Type.Object({ path: Type.String(), hash: Type.String() })),
  unmapped: Type.Array(Type.Object({ ...SourcePlace, message: Type.String() })),
  stored: Type.Boolean({ description: 'false for a dry run' }),
});
export type SosImportReport = Static<typeof SosImportReport>;
