import { section, setting } from './schema-kit.js';

export const serverConfig = section(
  {
    publicHost: setting.string({
      default: '0.0.0.0',
      env: 'ONRAMP_PUBLIC_HOST',
      description: 'Address the public listener (portal, tracking links) binds to.',
    }),
    publicPort: setting.integer({
      default: 8080,
      minimum: 0,
      maximum: 65535,
      env: 'ONRAMP_PUBLIC_PORT',
      description: 'Port of the public listener. 0 picks a free port.',
    }),
    publicUrl: setting.optionalString({
      env: 'ONRAMP_PUBLIC_URL',
      pattern: '^https?://',
      description: 'Absolute URL users reach the public listener at (used in email links). Defaults to http://localhost:<publicPort>.',
    }),
    deviceHost: setting.string({ default: '0.0.0.0', env: 'ONRAMP_DEVICE_HOST', description: 'Address the device listener (mTLS gateway) binds to.' }),
    devicePort: setting.integer({
      default: 8443,
      minimum: 0,
      maximum: 65535,
      env: 'ONRAMP_DEVICE_PORT',
      description: 'Port of the device listener. 0 picks a free port.',
    }),
    bodyLimitBytes: setting.integer({
      default: 1_048_576,
      minimum: 1024,
      env: 'ONRAMP_BODY_LIMIT_BYTES',
      description: 'Largest request body accepted on ordinary JSON routes; larger bodies get 413. Upload routes have their own limit.',
    }),
    trustProxy: setting.stringList({
      default: [],
      env: 'ONRAMP_TRUST_PROXY',
      description: 'Addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed on the public listener (comma-separated in the environment).',
    }),
    shutdownGraceMs: setting.integer({
      default: 10_000,
      minimum: 0,
      maximum: 600_000,
      env: 'ONRAMP_SHUTDOWN_GRACE_MS',
      description: 'How long SIGTERM waits for in-flight requests before closing connections.',
    }),
  },
  'HTTP listeners',
);

export const databaseConfig = section(
  {
    url: setting.optionalString({
      env: 'ONRAMP_DATABASE_URL',
      secret: true,
      pattern: '^postgres(ql)?://',
      description: 'PostgreSQL connection URL (postgres://user:pass@host:5432/db). Unset: embedded SQLite under dataDir.',
    }),
    schema: setting.string({
      default: 'public',
      pattern: '^[a-z_][a-z0-9_]{0,62}$',
      env: 'ONRAMP_DATABASE_SCHEMA',
      description: "PostgreSQL schema holding onramp's tables (created if missing).",
    }),
    poolSize: setting.integer({ default: 10, minimum: 1, maximum: 200, env: 'ONRAMP_DATABASE_POOL_SIZE', description: 'PostgreSQL connections per instance.' }),
    connectTimeoutMs: setting.integer({
      default: 5000,
      minimum: 100,
      maximum: 600_000,
      env: 'ONRAMP_DATABASE_CONNECT_TIMEOUT_MS',
      description: 'How long to wait for a PostgreSQL connection before giving up.',
    }),
  },
  'Storage',
);

export const logConfig = section(
  {
    level: setting.enumOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, {
      default: 'info',
      env: 'ONRAMP_LOG_LEVEL',
      description: 'Log level (pino).',
    }),
  },
  'Logging',
);
