import type { PackageState } from '../../../src/fleet/devices.schemas.ts';

/** The beacon's package fields in words (src/devices/packages.ts names them). */
export const PACKAGE_LABELS: Record<string, string> = {
  backgroundVersion: 'Wallpaper',
  lockScreenVersion: 'Lock screen',
  newSignatureVersion: 'New-mail signature',
  replySignatureVersion: 'Reply signature',
  webSignatureVersion: 'Web signature',
  screensaverVersion: 'Screensaver',
  teamsBackgroundVersion: 'Teams backgrounds',
};

export const packageLabel = (field: string) => PACKAGE_LABELS[field] ?? field;

/** What the screens say "expected" and "out of date" mean. */
export const EXPECTED_MEANS =
  'Expected: the versions in the manifest onramp last served to the device; its agent applies them and reports what it applied in its next beacon. ' +
  'Out of date: a reported version differs from the expected one, or the device was never served a manifest.';

/** "2026-11-23T08:00:00.000Z" → "2026-11-23 08:00" (UTC); an empty cell for none. */
export const when = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 16).replace('T', ' ')}` : '');

/** A version as shown: "(none)" for the empty version a device reports for an element it does not manage. */
export const version = (v: string | null) => (v === null ? 'never served' : v === '' ? '(none)' : v);

/** The packages whose applied version is not the expected one. */
export const differing = (packages: PackageState[]) => packages.filter((p) => !p.upToDate);
