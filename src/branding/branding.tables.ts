import type { Generated } from 'kysely';

/**
 * An uploaded branding file's description; its bytes are a file named by `sha256` in the branding
 * folder (branding.storageDir). Rows are written once and never changed: the content names them.
 */
export interface BrandingAssetTable {
  sha256: string;
  /** 'image' | 'video' */
  media: string;
  content_type: string;
  size: number;
  /** Pixels; 0 for a video (not read, see docs/BRANDING.md). */
  width: number;
  height: number;
  /** What the admin called it (shown in the portal; the agent gets a file name made from the hash). */
  name: string;
  /** The PNG thumbnail generated for images (Teams wants one beside each background); null for videos. */
  thumbnail_sha256: string | null;
  thumbnail_size: number | null;
  uploaded_by: string;
  uploaded_at: string;
}

/** Which wallpaper, lock screen, Teams background set or screensaver applies, like a signature rule. */
export interface BrandingAssignmentTable {
  id: Generated<number>;
  /** 1 is the highest; per element kind the first matching assignment wins. */
  priority: number;
  name: string;
  enabled: number;
  /** 'wallpaper' | 'lockScreen' | 'teamsBackgrounds' | 'screensaver' */
  element: string;
  /** The element's settings as JSON: asset hashes, screensaver timeout and secure flag. */
  settings: string;
  /** AssignmentCriteria as JSON. */
  conditions: string;
  exclusions: string;
  window_from: string | null;
  window_to: string | null;
  window_time_zone: string | null;
  created_at: string;
  updated_at: string;
  updated_by: string;
}

/**
 * The manifest each device (user + hostname) was last served: what it is expected to apply, beside
 * what its beacons report it applied. One row per device, written in batches.
 */
export interface BrandingServedManifestTable {
  upn_lower: string;
  hostname_lower: string;
  manifest_version: string;
  background_version: string;
  lock_screen_version: string;
  teams_background_version: string;
  screensaver_version: string;
  new_signature_version: string;
  reply_signature_version: string;
  web_signature_version: string;
  served_at: string;
}

export interface BrandingTables {
  branding_asset: BrandingAssetTable;
  branding_assignment: BrandingAssignmentTable;
  branding_served_manifest: BrandingServedManifestTable;
}
