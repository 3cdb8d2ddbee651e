import { section, setting } from '../config/schema-kit.js';

export const addinConfig = section(
  {
    apiClientId: setting.optionalString({
      env: 'ONRAMP_ADDIN_API_CLIENT_ID',
      description:
        "Application (client) id of onramp's API app registration the Outlook add-in gets tokens for. Unset: the add-in routes are off. Tenant and authority are graph.tenantId and graph.authorityHost.",
    }),
    apiAppIdUri: setting.optionalString({
      env: 'ONRAMP_ADDIN_API_APP_ID_URI',
      description: 'Application ID URI of that API app (default api://<apiClientId>); tokens whose audience is either are accepted.',
    }),
    scope: setting.string({
      default: 'Signatures.Read',
      minLength: 1,
      env: 'ONRAMP_ADDIN_SCOPE',
      description: "Delegated scope the add-in's token must carry in scp (exposed by the API app).",
    }),
    manifestId: setting.optionalString({
      pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
      env: 'ONRAMP_ADDIN_MANIFEST_ID',
      description: "The add-in's GUID in its manifest (default: derived from apiClientId, so it stays the same). A new id is another add-in to Outlook.",
    }),
    manifestVersion: setting.string({
      default: '1.0.0.0',
      pattern: '^\\d+\\.\\d+\\.\\d+\\.\\d+$',
      env: 'ONRAMP_ADDIN_MANIFEST_VERSION',
      description: 'Four-part version in the manifest; raise it when re-uploading a changed manifest.',
    }),
    displayName: setting.string({
      default: 'onramp signatures',
      minLength: 1,
      env: 'ONRAMP_ADDIN_DISPLAY_NAME',
      description: 'Name of the add-in in Outlook and the admin center.',
    }),
    signatureCacheSeconds: setting.integer({
      default: 10,
      minimum: 0,
      maximum: 300,
      env: 'ONRAMP_ADDIN_SIGNATURE_CACHE_SECONDS',
      description:
        "How long an instance reuses a mailbox's planned signatures for the add-in (0: plan on every request). Changes to templates, rules and the directory reach Outlook within this time.",
    }),
    clockSkewSeconds: setting.integer({
      default: 60,
      minimum: 0,
      maximum: 600,
      env: 'ONRAMP_ADDIN_CLOCK_SKEW_SECONDS',
      description: "Tolerance on the token's exp and nbf for clocks that disagree.",
    }),
  },
  'The Outlook add-in: which Entra ID access tokens its calls must carry.',
);
