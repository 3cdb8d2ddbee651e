import { section, setting } from '../config/schema-kit.js';

/** The fleet screens' privacy switch: what viewers (read-only role) see of people's devices. */
export const fleetConfig = section(
  {
    viewersSeePersonalDetails: setting.boolean({
      default: false,
      env: 'ONRAMP_FLEET_VIEWERS_SEE_PERSONAL_DETAILS',
      description:
        'Viewers see device locations (when devices.storeLocation keeps them) and the addresses devices called from; off: only admins do, viewers see the rest.',
    }),
  },
  'Fleet screens (a person’s page, device audit log, certificates): what viewers may see.',
);
