import { Type, type Static } from '@sinclair/typebox';
import { setting } from './config/schema-kit.js';
import { loadSettings, redactSettings, settingsReference, type LoadOptions } from './config/loader.js';
import { serverConfig, databaseConfig, logConfig } from './config/server.config.js';
import { onboardingConfig } from './onboarding/onboarding.config.js';
import { mailConfig } from './mail/mail.config.js';
import { invitationsConfig } from './onboarding/invitations.config.js';
import { reportsConfig } from './onboarding/reports.config.js';
import { deviceGatewayConfig } from './gateway/gateway.config.js';
import { devicesConfig } from './devices/devices.config.js';
import { directoryConfig } from './directory/directory.config.js';
import { signaturesConfig } from './signatures/signatures.config.js';
import { addinConfig } from './addin/addin.config.js';
import { brandingConfig } from './branding/branding.config.js';
import { authConfig } from './auth/auth.config.js';
import { portalConfig } from './portal/portal.config.js';
import { graphConfig } from './graph/graph.config.js';
import { telemetryConfig } from './observability/observability.config.js';
import { fleetConfig } from './fleet/people.config.js';

/**
 * The whole configuration. Each feature owns its section (`<feature>/<name>.config.ts`); they are put
 * together here, beside the features' assembly, so that config/ (the schema kit and the loader) imports
 * no feature.
 */
export const configSchema = Type.Object(
  {
    dataDir: setting.string({ default: './data', env: 'ONRAMP_DATA_DIR', description: 'Folder for the embedded database, the dev PKI and other local state.' }),
    server: serverConfig,
    database: databaseConfig,
    log: logConfig,
    onboarding: onboardingConfig,
    deviceGateway: deviceGatewayConfig,
    devices: devicesConfig,
    directory: directoryConfig,
    signatures: signaturesConfig,
    addin: addinConfig,
    branding: brandingConfig,
    auth: authConfig,
    portal: portalConfig,
    mail: mailConfig,
    invitations: invitationsConfig,
    reports: reportsConfig,
    graph: graphConfig,
    telemetry: telemetryConfig,
    fleet: fleetConfig,
  },
  { additionalProperties: false },
);

export type OnrampConfig = Static<typeof configSchema>;

export function loadConfig(options: LoadOptions = {}): OnrampConfig {
  return loadSettings(configSchema, options);
}

/** A copy fit for logs and `onramp config check`: every secret replaced, and passwords inside URLs. */
export function redactConfig(config: OnrampConfig): Record<string, unknown> {
  return redactSettings(configSchema, config);
}

/** Markdown reference of every setting (docs/CONFIGURATION.md). */
export function configReference(): string {
  return settingsReference(configSchema);
}
