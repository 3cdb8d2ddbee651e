import { section, setting } from '../config/schema-kit.js';

export const graphConfig = section(
  {
    tenantId: setting.optionalString({
      env: 'ONRAMP_GRAPH_TENANT_ID',
      description: 'Entra ID tenant (directory) id or primary domain. Unset: Microsoft Graph is not configured (serve --demo uses the simulator).',
    }),
    clientId: setting.optionalString({
      env: 'ONRAMP_GRAPH_CLIENT_ID',
      description: "Application (client) id of onramp's app registration (or of the user-assigned managed identity).",
    }),
    credential: setting.enumOf(['clientSecret', 'certificate', 'managedIdentity'] as const, {
      default: 'clientSecret',
      env: 'ONRAMP_GRAPH_CREDENTIAL',
      description: 'How onramp gets app-only tokens: a client secret, a certificate (PEM with key), or the managed identity of the host.',
    }),
    clientSecret: setting.optionalString({ env: 'ONRAMP_GRAPH_CLIENT_SECRET', secret: true, description: 'Client secret (credential = clientSecret).' }),
    certificatePath: setting.optionalString({
      env: 'ONRAMP_GRAPH_CERTIFICATE_PATH',
      description: 'PEM file holding the certificate and its private key (credential = certificate).',
    }),
    authorityHost: setting.string({
      default: 'https://login.microsoftonline.com',
      pattern: '^https://',
      env: 'ONRAMP_GRAPH_AUTHORITY_HOST',
      description: 'Identity platform host (national clouds, or the tenant simulator).',
    }),
    disableInstanceDiscovery: setting.boolean({
      default: false,
      env: 'ONRAMP_GRAPH_DISABLE_INSTANCE_DISCOVERY',
      description: 'Skip MSAL instance discovery (needed for the simulator and private authorities).',
    }),
    baseUrl: setting.string({
      default: 'https://graph.microsoft.com',
      pattern: '^https://',
      env: 'ONRAMP_GRAPH_BASE_URL',
      description: 'Microsoft Graph root (without /v1.0). Tokens are requested for <origin>/.default.',
    }),
    exchangeBaseUrl: setting.string({
      default: 'https://outlook.office365.com',
      pattern: '^https://',
      env: 'ONRAMP_EXCHANGE_BASE_URL',
      description: 'Exchange Online root for the admin API (InvokeCommand). Tokens are requested for <origin>/.default.',
    }),
    caFile: setting.optionalString({
      env: 'ONRAMP_GRAPH_CA_FILE',
      description: "Extra CA (PEM) trusted for identity, Graph and Exchange traffic only, e.g. the tenant simulator's CA. Certificate checks stay on.",
    }),
    mfaSource: setting.enumOf(['report', 'methods'] as const, {
      default: 'report',
      env: 'ONRAMP_GRAPH_MFA_SOURCE',
      description:
        'Where MFA registration state comes from: the tenant-wide registration report (AuditLog.Read.All, Entra ID P1) or per-user methods in $batch (UserAuthenticationMethod.Read.All).',
    }),
    maxConcurrency: setting.integer({
      default: 4,
      minimum: 1,
      maximum: 64,
      env: 'ONRAMP_GRAPH_MAX_CONCURRENCY',
      description: 'Most Graph HTTP requests in flight at once per instance.',
    }),
    exchangeMaxConcurrency: setting.integer({
      default: 8,
      minimum: 1,
      maximum: 64,
      env: 'ONRAMP_EXCHANGE_MAX_CONCURRENCY',
      description:
        "Most Exchange admin API (InvokeCommand) calls in flight at once per instance: below Exchange Online's 9 concurrent PowerShell operations per tenant (PowerShellMaxTenantConcurrency). Halved for a while after a 429.",
    }),
    maxRetryMs: setting.integer({
      default: 120_000,
      minimum: 0,
      maximum: 3_600_000,
      env: 'ONRAMP_GRAPH_MAX_RETRY_MS',
      description: 'Longest total time one operation spends waiting to retry (Retry-After, backoff) before it fails.',
    }),
    maxAttempts: setting.integer({
      default: 8,
      minimum: 1,
      maximum: 50,
      env: 'ONRAMP_GRAPH_MAX_ATTEMPTS',
      description: 'Most attempts for one request or batch item on 429/503/504 and network errors.',
    }),
    requestTimeoutMs: setting.integer({
      default: 30_000,
      minimum: 1000,
      maximum: 600_000,
      env: 'ONRAMP_GRAPH_REQUEST_TIMEOUT_MS',
      description: 'Timeout of one Graph/Exchange HTTP request.',
    }),
  },
  'Microsoft Graph and Exchange Online',
);
