import { section, setting } from '../config/schema-kit.js';

export const brandingConfig = section(
  {
    storageDir: setting.optionalString({
      env: 'ONRAMP_BRANDING_STORAGE_DIR',
      minLength: 1,
      description:
        'Folder for uploaded branding files, each named by its SHA-256 (default: <dataDir>/branding). With several instances, a folder they all mount (NFS, SMB, Azure Files): names never collide and files never change, so no locking is needed.',
    }),
    maxImageBytes: setting.integer({
      default: 20_971_520,
      minimum: 1024,
      maximum: 209_715_200,
      env: 'ONRAMP_BRANDING_MAX_IMAGE_BYTES',
      description: 'Largest wallpaper, lock screen or Teams background image accepted; larger gets 400 ONRAMP_ERR_BRANDING_FILE_REJECTED.',
    }),
    maxVideoBytes: setting.integer({
      default: 209_715_200,
      minimum: 1024,
      maximum: 2_147_483_647,
      env: 'ONRAMP_BRANDING_MAX_VIDEO_BYTES',
      description: 'Largest screensaver video (MP4 or WebM) accepted; larger gets 400 ONRAMP_ERR_BRANDING_FILE_REJECTED.',
    }),
    maxImagePixels: setting.integer({
      default: 8192,
      minimum: 256,
      maximum: 16_384,
      env: 'ONRAMP_BRANDING_MAX_IMAGE_PIXELS',
      description: 'Largest width or height of an image in pixels (a 4K wallpaper is 3840).',
    }),
    minImagePixels: setting.integer({
      default: 320,
      minimum: 1,
      maximum: 4096,
      env: 'ONRAMP_BRANDING_MIN_IMAGE_PIXELS',
      description: 'Smallest width and height of an image in pixels: smaller is refused as too small to fill a screen.',
    }),
    syncIntervalMinutes: setting.integer({
      default: 60,
      minimum: 5,
      maximum: 1440,
      env: 'ONRAMP_BRANDING_SYNC_INTERVAL_MINUTES',
      description: 'How often agents fetch their manifest (the manifest tells them; an unchanged one costs a 304).',
    }),
    syncJitterMinutes: setting.integer({
      default: 15,
      minimum: 0,
      maximum: 720,
      env: 'ONRAMP_BRANDING_SYNC_JITTER_MINUTES',
      description: 'Random extra delay of up to this many minutes agents add to each sync, so a fleet does not ask at once.',
    }),
    manifestCacheMs: setting.integer({
      default: 60_000,
      minimum: 0,
      maximum: 3_600_000,
      env: 'ONRAMP_BRANDING_MANIFEST_CACHE_MS',
      description:
        "A device's manifest is planned once and kept this long (0 = plan every request). Changes made on this instance clear it at once; other instances see them after this long at most.",
    }),
  },
  'Desktop branding: wallpapers, lock screens, Teams backgrounds and screensavers, and the device manifest (docs/BRANDING.md).',
);
