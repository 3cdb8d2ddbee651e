/** The branding screens' view of the admin API: paths in one place, answer types as the server declares them (type-only imports). */
export type {
  Assignment,
  AssignmentCriteria,
  AssignmentInput,
  AssignmentList,
  BrandingAsset,
  BrandingAssetList,
  BrandingElement,
  BrandingExplanation,
} from '../../../src/branding/branding.schemas.ts';

export const PATHS = {
  assets: '/api/branding/assets',
  asset: (sha256: string) => `/api/branding/assets/${sha256}`,
  file: (sha256: string) => `/api/branding/files/${sha256}`,
  assignments: '/api/branding/assignments',
  assignment: (id: number) => `/api/branding/assignments/${id}`,
  explain: (user: string, hostname: string) => `/api/branding/explain?user=${encodeURIComponent(user)}&hostname=${encodeURIComponent(hostname)}`,
};

export const ELEMENT_LABELS = {
  wallpaper: 'Wallpaper',
  lockScreen: 'Lock screen',
  teamsBackgrounds: 'Teams backgrounds',
  screensaver: 'Screensaver',
} as const;
