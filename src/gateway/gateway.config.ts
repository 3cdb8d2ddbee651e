import { section, setting } from '../config/schema-kit.js';

export const deviceGatewayConfig = section(
  {
    serverCertFile: setting.optionalString({
      env: 'ONRAMP_DEVICE_SERVER_CERT_FILE',
      description:
        'PEM server certificate (with its chain) of the device listener. Unset: the device listener is off, except with --demo, which creates a dev PKI under dataDir/pki.',
    }),
    serverKeyFile: setting.optionalString({ env: 'ONRAMP_DEVICE_SERVER_KEY_FILE', description: 'PEM private key of the device listener certificate.' }),
    trustAnchorsFile: setting.optionalString({
      env: 'ONRAMP_DEVICE_TRUST_ANCHORS_FILE',
      description: 'PEM bundle of the root CA certificates device certificates must chain to (intermediates may come from the client).',
    }),
    crlFiles: setting.stringList({
      default: [],
      env: 'ONRAMP_DEVICE_CRL_FILES',
      description: 'PEM or DER CRL files checked for revoked device and intermediate certificates; reloaded when they change.',
    }),
    crlReloadIntervalMs: setting.integer({
      default: 30_000,
      minimum: 1000,
      maximum: 86_400_000,
      env: 'ONRAMP_DEVICE_CRL_RELOAD_INTERVAL_MS',
      description: 'How often CRL files are checked for changes.',
    }),
    pinnedIssuerThumbprints: setting.stringList({
      default: [],
      env: 'ONRAMP_DEVICE_PINNED_ISSUERS',
      description: 'SHA-1 thumbprints (hex) of the CAs allowed to issue device certificates directly; empty: any CA under a trust anchor.',
    }),
    trustedProxies: setting.stringList({
      default: [],
      env: 'ONRAMP_DEVICE_TRUSTED_PROXIES',
      description: 'Addresses or CIDRs of TLS-terminating proxies (APIM, nginx, Envoy) whose forwarded client-certificate header is believed.',
    }),
    forwardedCertHeaders: setting.stringList({
      default: ['x-arr-clientcert', 'x-forwarded-client-cert'],
      env: 'ONRAMP_DEVICE_FORWARDED_CERT_HEADERS',
      description: 'Headers a trusted proxy puts the client certificate in (base64 DER, PEM, URL-encoded PEM, or Envoy XFCC).',
    }),
    allowCidrs: setting.stringList({
      default: [],
      env: 'ONRAMP_DEVICE_ALLOW_CIDRS',
      description: 'Client addresses (CIDRs, IPv4 or IPv6) allowed to call the device API; empty: all.',
    }),
    denyCidrs: setting.stringList({
      default: [],
      env: 'ONRAMP_DEVICE_DENY_CIDRS',
      description: 'Client addresses (CIDRs) refused even when in the allow list.',
    }),
    identityRatePerSecond: setting.number({
      default: 5,
      minimum: 0.001,
      env: 'ONRAMP_DEVICE_IDENTITY_RATE',
      description: 'Sustained requests per second allowed per certificate identity (token bucket refill rate, per instance).',
    }),
    identityBurst: setting.integer({
      default: 60,
      minimum: 1,
      env: 'ONRAMP_DEVICE_IDENTITY_BURST',
      description: 'Burst of requests allowed per certificate identity (token bucket size).',
    }),
    ipRatePerSecond: setting.number({
      default: 200,
      minimum: 0.001,
      env: 'ONRAMP_DEVICE_IP_RATE',
      description: 'Sustained requests per second allowed per client address (per instance).',
    }),
    ipBurst: setting.integer({ default: 2000, minimum: 1, env: 'ONRAMP_DEVICE_IP_BURST', description: 'Burst of requests allowed per client address.' }),
    auditRetentionDays: setting.integer({
      default: 90,
      minimum: 1,
      env: 'ONRAMP_DEVICE_AUDIT_RETENTION_DAYS',
      description: 'Days device API audit records are kept.',
    }),
    auditFlushIntervalMs: setting.integer({
      default: 1000,
      minimum: 10,
      maximum: 60_000,
      env: 'ONRAMP_DEVICE_AUDIT_FLUSH_MS',
      description: 'Audit records are written in batches at most this far apart.',
    }),
  },
  'Device gateway: the mTLS listener devices call (see docs/DEVICE-API.md).',
);
