import { section, setting } from '../config/schema-kit.js';

export const signaturesConfig = section(
  {
    autoAddSignature: setting.boolean({
      default: true,
      env: 'ONRAMP_SIGNATURES_AUTO_ADD',
      description: 'Set-MailboxMessageConfiguration -AutoAddSignature with every web signature update.',
    }),
    autoAddSignatureOnReply: setting.boolean({
      default: true,
      env: 'ONRAMP_SIGNATURES_AUTO_ADD_ON_REPLY',
      description: 'Set-MailboxMessageConfiguration -AutoAddSignatureOnReply with every web signature update.',
    }),
    dedupeHours: setting.number({
      default: 8,
      minimum: 0,
      env: 'ONRAMP_SIGNATURES_DEDUPE_HOURS',
      description: 'An update with the same content as the last one set for that mailbox less than this long ago is skipped (devices resend every 8 hours).',
    }),
    maxBytes: setting.integer({
      default: 153_600,
      minimum: 1024,
      env: 'ONRAMP_SIGNATURES_MAX_BYTES',
      description: 'Largest signature (HTML plus text, after entity decoding) accepted; larger ones get 413 before the HTML is parsed.',
    }),
    maxNestingDepth: setting.integer({
      default: 48,
      minimum: 8,
      maximum: 256,
      env: 'ONRAMP_SIGNATURES_MAX_NESTING_DEPTH',
      description:
        'Deepest element nesting accepted in signature HTML (a Word/Outlook signature nests about 16 deep); deeper gets 400 ONRAMP_ERR_SIGNATURE_TOO_COMPLEX.',
    }),
    maxElements: setting.integer({
      default: 5_000,
      minimum: 100,
      maximum: 100_000,
      env: 'ONRAMP_SIGNATURES_MAX_ELEMENTS',
      description: 'Most elements accepted in signature HTML (signatures have tens to hundreds); more gets 400 ONRAMP_ERR_SIGNATURE_TOO_COMPLEX.',
    }),
    timeZone: setting.string({
      default: 'UTC',
      env: 'ONRAMP_SIGNATURES_TIME_ZONE',
      description: "IANA time zone signatures are rendered in (the template's now and today; a preview may choose another), e.g. Europe/Berlin.",
    }),
    deploymentIntervalMs: setting.integer({
      default: 86_400_000,
      minimum: 0,
      maximum: 30 * 86_400_000,
      env: 'ONRAMP_SIGNATURES_DEPLOYMENT_INTERVAL_MS',
      description:
        'A full push of the expected web signatures to Exchange Online this often (0 = only on template/rule changes, directory changes and admin requests). Unchanged mailboxes cost no Exchange call.',
    }),
    deploymentConcurrency: setting.integer({
      default: 16,
      minimum: 1,
      maximum: 64,
      env: 'ONRAMP_SIGNATURES_DEPLOYMENT_CONCURRENCY',
      description:
        'Mailboxes a push plans and sends at once. Exchange calls are limited by graph.exchangeMaxConcurrency; more here keeps that many in flight while others are being planned.',
    }),
    photoSize: setting.integer({
      default: 96,
      minimum: 16,
      maximum: 648,
      env: 'ONRAMP_SIGNATURES_PHOTO_SIZE',
      description: "Width and height in pixels of people's photos in signatures (Graph's photo, resized to a square JPEG).",
    }),
    photoTtlMs: setting.integer({
      default: 86_400_000,
      minimum: 0,
      maximum: 30 * 86_400_000,
      env: 'ONRAMP_SIGNATURES_PHOTO_TTL_MS',
      description:
        'A cached photo is checked with Graph again after this long (or at once after a directory change of the user); unchanged photos are not downloaded again.',
    }),
    photoTimeoutMs: setting.integer({
      default: 1_500,
      minimum: 50,
      maximum: 60_000,
      env: 'ONRAMP_SIGNATURES_PHOTO_TIMEOUT_MS',
      description: 'Longest a signature render waits for a photo from Graph; past it the render goes on with the cached photo or none.',
    }),
    maxAssetBytes: setting.integer({
      default: 1_048_576,
      minimum: 1024,
      maximum: 10_485_760,
      env: 'ONRAMP_SIGNATURES_MAX_ASSET_BYTES',
      description:
        'Largest template image (logo, banner) the admin API accepts; larger gets 400 ONRAMP_ERR_ASSET_REJECTED. Images travel inside every signature, so keep them small.',
    }),
  },
  'Outlook web signatures devices upload through the device API (autoSetWebSignature).',
);
