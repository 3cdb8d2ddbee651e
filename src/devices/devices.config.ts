import { section, setting } from '../config/schema-kit.js';

export const devicesConfig = section(
  {
    storeLocation: setting.boolean({
      default: false,
      env: 'ONRAMP_DEVICES_STORE_LOCATION',
      description: 'Keep the location devices send in beacons (privacy: off by default, the location is then discarded).',
    }),
    locationDecimals: setting.integer({
      default: 2,
      minimum: 0,
      maximum: 6,
      env: 'ONRAMP_DEVICES_LOCATION_DECIMALS',
      description: 'Decimal places a stored location is rounded to (2 ≈ 1 km).',
    }),
    beaconRetentionDays: setting.integer({
      default: 90,
      minimum: 1,
      env: 'ONRAMP_DEVICES_BEACON_RETENTION_DAYS',
      description: 'Days the beacon history is kept (pruned hourly); the latest state of each device is kept regardless.',
    }),
    beaconBodyLimitBytes: setting.integer({
      default: 16_384,
      minimum: 1024,
      env: 'ONRAMP_DEVICES_BEACON_BODY_LIMIT_BYTES',
      description: 'Largest beacon body accepted; larger ones get 413.',
    }),
  },
  'Device telemetry: beacons devices send through the device gateway.',
);
