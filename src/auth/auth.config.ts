import { section, setting } from '../config/schema-kit.js';

export const authConfig = section(
  {
    localAdmin: setting.boolean({
      default: true,
      env: 'ONRAMP_AUTH_LOCAL_ADMIN',
      description: 'Allow the local admin account (user name and password, first-run setup). Switch off in production once Entra ID sign-in works.',
    }),
    sessionHours: setting.number({
      default: 8,
      minimum: 0.01,
      maximum: 720,
      env: 'ONRAMP_AUTH_SESSION_HOURS',
      description: 'A portal session ends this long after sign-in, whatever the activity.',
    }),
    sessionIdleMinutes: setting.number({
      default: 60,
      minimum: 1,
      maximum: 43_200,
      env: 'ONRAMP_AUTH_SESSION_IDLE_MINUTES',
      description: 'A portal session ends after this long without a request.',
    }),
    cookieSecure: setting.boolean({
      default: true,
      env: 'ONRAMP_AUTH_COOKIE_SECURE',
      description:
        'Mark the session cookie Secure (HTTPS only). Browsers accept Secure cookies from http://localhost, so keep this on; switch off only for a plain-HTTP demo reached by another host name.',
    }),
    oidc: section(
      {
        issuer: setting.optionalString({
          env: 'ONRAMP_OIDC_ISSUER',
          // A multi-tenant authority would let any Entra ID tenant's users (and their self-granted app roles) in.
          pattern: '^https://(?!login\\.microsoftonline\\.com/(?:common|organizations|consumers)(?:/|$))',
          description:
            "OpenID Connect issuer (authority) of your own tenant, e.g. https://login.microsoftonline.com/<tenant-id>/v2.0; not .../common, .../organizations or .../consumers, which would accept any tenant's users. Unset: no single sign-on.",
        }),
        clientId: setting.optionalString({ env: 'ONRAMP_OIDC_CLIENT_ID', description: "Application (client) id of the portal's Entra ID app registration." }),
        clientSecret: setting.optionalString({
          env: 'ONRAMP_OIDC_CLIENT_SECRET',
          secret: true,
          description: 'Client secret of the app registration (or use a certificate: oidc.clientCertificateKeyFile).',
        }),
        clientCertificateKeyFile: setting.optionalString({
          env: 'ONRAMP_OIDC_CLIENT_CERT_KEY_FILE',
          description: 'PEM private key whose certificate is uploaded to the app registration (private_key_jwt client authentication).',
        }),
        clientCertificateThumbprint: setting.optionalString({
          env: 'ONRAMP_OIDC_CLIENT_CERT_THUMBPRINT',
          description: 'SHA-1 thumbprint (hex) of that certificate, sent as x5t so Entra ID picks the right key.',
        }),
        caFile: setting.optionalString({
          env: 'ONRAMP_OIDC_CA_FILE',
          description: 'Extra CA certificate (PEM) trusted for the issuer, e.g. the dev CA of the tenant simulator. The system CAs stay trusted.',
        }),
        roleClaim: setting.string({
          default: 'roles',
          env: 'ONRAMP_OIDC_ROLE_CLAIM',
          description: 'ID token claim holding app roles or group ids (Entra ID: roles or groups).',
        }),
        adminValues: setting.stringList({
          default: ['Onramp.Admin'],
          env: 'ONRAMP_OIDC_ADMIN_VALUES',
          description: 'Values of the role claim that make a signed-in user an admin.',
        }),
        viewerValues: setting.stringList({
          default: ['Onramp.Viewer'],
          env: 'ONRAMP_OIDC_VIEWER_VALUES',
          description: 'Values of the role claim that make a signed-in user a read-only viewer.',
        }),
      },
      'OpenID Connect sign-in (Microsoft Entra ID)',
    ),
  },
  'Portal sign-in, sessions and API tokens',
);
