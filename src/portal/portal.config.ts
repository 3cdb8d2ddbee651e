import { section, setting } from '../config/schema-kit.js';

export const portalConfig = section(
  {
    allowedOrigins: setting.stringList({
      default: [],
      env: 'ONRAMP_PORTAL_ALLOWED_ORIGINS',
      description: 'Other origins (https://host[:port]) allowed to call the admin API from a browser (CORS). The portal itself is same-origin and needs none.',
    }),
  },
  'Admin portal',
);
