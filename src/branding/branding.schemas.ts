/**
 * The branding admin API (/api/branding/assets, assignments, explain), declared once as TypeBox
 * schemas: the routes validate and serialise with them, /api/openapi.json publishes them and the SPA
 * imports their `Static` types. TypeBox and the shared criteria only (the portal compiles this file).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { RuleCriteria, TimeWindow } from '../directory/criteria.schemas.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Timestamp = Type.String({ description: 'ISO-8601 UTC' });
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the file, lower-case hex' });

export const BRANDING_ELEMENTS = ['wallpaper', 'lockScreen', 'teamsBackgrounds', 'screensaver'] as const;
export type BrandingElement = (typeof BRANDING_ELEMENTS)[number];

// --------------------------------------------------------------------------------------------- assets

/** An uploaded file: GET /api/branding/assets (one entry) and the upload's answer. */
export const BrandingAsset = Type.Object({
  sha256: Sha256,
  media: Type.Union([Type.Literal('image'), Type.Literal('video')]),
  contentType: Type.String(),
  size: Type.Integer(),
  width: Type.Integer({ description: 'Pixels; 0 for a video' }),
  height: Type.Integer({ description: 'Pixels; 0 for a video' }),
  name: Type.String({ description: 'The uploaded file name, for people' }),
  thumbnailSha256: Nullable(Sha256),
  uploadedBy: Type.String(),
  uploadedAt: Timestamp,
  usedBy: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String() }), { description: 'Assignments that use it' }),
});
export type BrandingAsset = Static<typeof BrandingAsset>;

export const BrandingAssetList = Type.Object({ assets: Type.Array(BrandingAsset, { description: 'Newest first' }) });
export type BrandingAssetList = Static<typeof BrandingAssetList>;

// ---------------------------------------------------------------------------------------- assignments

/** Who an assignment is for: the signature rules' criteria, plus device host names. */
export const AssignmentCriteria = Type.Object(
  {
    ...RuleCriteria.properties,
    hostnames: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9*?._-]+$' }), {
        maxItems: 500,
        description: 'Device host names; * matches any run of characters, ? one (case-insensitive), e.g. KIOSK-*',
      }),
    ),
  },
  { additionalProperties: false },
);
export type AssignmentCriteria = Static<typeof AssignmentCriteria>;

const AssignmentFields = {
  name: Type.String({ minLength: 1, maxLength: 120 }),
  enabled: Type.Boolean(),
  element: Type.Union(
    BRANDING_ELEMENTS.map((e) => Type.Literal(e)),
    { description: 'What it sets; per element the first matching assignment (highest priority) wins' },
  ),
  assets: Type.Array(Sha256, {
    minItems: 1,
    maxItems: 50,
    uniqueItems: true,
    description: 'The files: one image for wallpaper and lockScreen, one image or video for screensaver, 1–50 images for teamsBackgrounds (in order)',
  }),
  screensaver: Type.Optional(
    Type.Object(
      {
        timeoutSeconds: Type.Integer({ minimum: 60, maximum: 86_400, description: 'Idle time before it starts' }),
        secure: Type.Boolean({ description: 'Ask for the password on resume' }),
      },
      { additionalProperties: false, description: 'Required for the screensaver element, refused for the others' },
    ),
  ),
  conditions: AssignmentCriteria,
  exclusions: AssignmentCriteria,
  window: Nullable(TimeWindow),
};

/** POST /api/branding/assignments, PUT /api/branding/assignments/:id. New ones go last (lowest priority). */
export const AssignmentInput = Type.Object(AssignmentFields, { additionalProperties: false });
export type AssignmentInput = Static<typeof AssignmentInput>;

export const Assignment = Type.Object({
  id: Type.Integer(),
  priority: Type.Integer({ description: '1 is the highest' }),
  ...AssignmentFields,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  updatedBy: Type.String(),
});
export type Assignment = Static<typeof Assignment>;

export const AssignmentList = Type.Object({ assignments: Type.Array(Assignment, { description: 'Highest priority first' }) });
export type AssignmentList = Static<typeof AssignmentList>;

/** PUT /api/branding/assignments/order: every assignment id, highest priority first. */
export const AssignmentOrderBody = Type.Object({ ids: Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 10_000 }) }, { additionalProperties: false });
export type AssignmentOrderBody = Static<typeof AssignmentOrderBody>;

// -------------------------------------------------------------------------------------------- explain

export const AssignmentVerdict = Type.Object({
  assignmentId: Type.Integer(),
  name: Type.String(),
  element: Type.String(),
  matched: Type.Boolean(),
  /** Sentences: "department is Sales", "host name LAB-07 matches LAB-*", "wallpaper was already chosen by …". */
  reasons: Type.Array(Type.String()),
});
export type AssignmentVerdict = Static<typeof AssignmentVerdict>;

/** GET /api/branding/explain?user=&hostname=: which assignment won each element, and every verdict. */
export const BrandingExplanation = Type.Object({
  upn: Type.String(),
  hostname: Type.String(),
  at: Timestamp,
  chosen: Type.Object({
    wallpaper: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })),
    lockScreen: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })),
    teamsBackgrounds: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })),
    screensaver: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })),
  }),
  verdicts: Type.Array(AssignmentVerdict, { description: 'Every assignment, in priority order' }),
  manifestVersion: Type.String({ description: 'The version of the manifest the device would be served now' }),
});
export type BrandingExplanation = Static<typeof BrandingExplanation>;
