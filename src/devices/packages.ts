/**
 * The seven branding packages whose versions a device reports (the seed's beacon fields), each as the
 * device sends it and as the database stores it. The one list: the beacon schema, its storage, the
 * reports and the export all read it.
 */
export const PACKAGE_VERSIONS = {
  backgroundVersion: 'background_version',
  lockScreenVersion: 'lock_screen_version',
  newSignatureVersion: 'new_signature_version',
  replySignatureVersion: 'reply_signature_version',
  webSignatureVersion: 'web_signature_version',
  screensaverVersion: 'screensaver_version',
  teamsBackgroundVersion: 'teams_background_version',
} as const;

export type PackageField = keyof typeof PACKAGE_VERSIONS;
export type PackageColumn = (typeof PACKAGE_VERSIONS)[PackageField];

export const PACKAGE_FIELDS = Object.keys(PACKAGE_VERSIONS) as PackageField[];
export const PACKAGE_COLUMNS = Object.values(PACKAGE_VERSIONS) as PackageColumn[];
