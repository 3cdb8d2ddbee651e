/**
 * The device manifest: what the server decided one device applies (GET /api/manifest on the device
 * listener, behind the gateway). The one contract between the server and the agent (agent/ validates
 * what it fetches against these schemas). TypeBox only, so the agent's bundle carries nothing else.
 *
 * Every element has a `version`: a short content hash the agent compares with what it applied and
 * reports back in the beacon's package-version field named beside it. An element that is `null` is not
 * managed for this device (the agent leaves the device's own setting alone and reports an empty version).
 */
import { Type, type Static } from '@sinclair/typebox';

const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the file, lower-case hex' });
/** Beacon package-version fields hold at most 64 characters. */
const Version = Type.String({ minLength: 1, maxLength: 64, description: 'Content version (a hash prefix); equal versions mean nothing to do' });

/** One file the agent downloads: content-addressed, so the URL never serves other bytes. */
export const BrandingFile = Type.Object(
  {
    sha256: Sha256,
    /** Path on the device listener, e.g. `/api/branding/assets/<sha256>`; strong ETag `"<sha256>"`, ranges served. */
    url: Type.String({ minLength: 1, maxLength: 512 }),
    contentType: Type.String({ maxLength: 128 }),
    size: Type.Integer({ minimum: 0 }),
    /** A safe file name to write it under (letters, digits, `._-`, with the type's extension). */
    fileName: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
  },
  { additionalProperties: false },
);
export type BrandingFile = Static<typeof BrandingFile>;

/** Which assignment chose an element: shown in the fleet view's "why". */
const Assignment = Type.Object({ id: Type.Integer(), name: Type.String() }, { additionalProperties: false });

/** Desktop wallpaper or lock screen image. */
export const ImageElement = Type.Object({ version: Version, file: BrandingFile, assignment: Assignment }, { additionalProperties: false });
export type ImageElement = Static<typeof ImageElement>;

/** A set of Teams meeting backgrounds: each image with its thumbnail (new Teams wants `<guid>.png` + `<guid>_thumb.png`). */
export const TeamsBackgrounds = Type.Object(
  {
    version: Version,
    images: Type.Array(
      Type.Object(
        {
          /** Stable GUID for the file names in Teams' Uploads folder (derived from the image's hash). */
          id: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }),
          image: BrandingFile,
          thumbnail: BrandingFile,
        },
        { additionalProperties: false },
      ),
      { maxItems: 50 },
    ),
    assignment: Assignment,
  },
  { additionalProperties: false },
);
export type TeamsBackgrounds = Static<typeof TeamsBackgrounds>;

/** Screensaver: an image or video file shown by the agent's player, the idle timeout, password on resume. */
export const Screensaver = Type.Object(
  {
    version: Version,
    file: BrandingFile,
    timeoutSeconds: Type.Integer({ minimum: 60, maximum: 86_400 }),
    secure: Type.Boolean(),
    assignment: Assignment,
  },
  { additionalProperties: false },
);
export type Screensaver = Static<typeof Screensaver>;

/** The user's signature set: the agent fetches `url` (GET /api/signatures, ETag = `version`) when `version` changed. */
export const ManifestSignatures = Type.Object(
  {
    version: Version,
    url: Type.String({ minLength: 1, maxLength: 512 }),
    /** Names of the signatures that are the new-mail and reply/forward defaults (null: none). */
    defaultNew: Type.Union([Type.String(), Type.Null()]),
    defaultReply: Type.Union([Type.String(), Type.Null()]),
    /** Versions the beacon reports once the set is written: the default-new and default-reply signatures' render hashes, the set. */
    newSignatureVersion: Type.String({ maxLength: 64 }),
    replySignatureVersion: Type.String({ maxLength: 64 }),
    webSignatureVersion: Type.String({ maxLength: 64 }),
  },
  { additionalProperties: false },
);
export type ManifestSignatures = Static<typeof ManifestSignatures>;

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const DeviceManifest = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    upn: Type.String(),
    hostname: Type.String(),
    /** Hash over every element below: the route's ETag; an agent that sends it in If-None-Match gets 304. */
    version: Version,
    generatedAt: Type.String({ description: 'ISO-8601 UTC' }),
    elements: Type.Object(
      {
        wallpaper: Nullable(ImageElement),
        lockScreen: Nullable(ImageElement),
        teamsBackgrounds: Nullable(TeamsBackgrounds),
        screensaver: Nullable(Screensaver),
        signatures: Nullable(ManifestSignatures),
      },
      { additionalProperties: false },
    ),
    /** How often the agent syncs: every `intervalMinutes`, plus a random delay of up to `jitterMinutes`. */
    sync: Type.Object({ intervalMinutes: Type.Integer({ minimum: 5 }), jitterMinutes: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type DeviceManifest = Static<typeof DeviceManifest>;

/**
 * The beacon package-version field each element's version goes into (src/devices/packages.ts names
 * the fields). The signature set fills three: new, reply and web.
 */
export const ELEMENT_PACKAGE_FIELDS = {
  wallpaper: 'backgroundVersion',
  lockScreen: 'lockScreenVersion',
  teamsBackgrounds: 'teamsBackgroundVersion',
  screensaver: 'screensaverVersion',
} as const;
