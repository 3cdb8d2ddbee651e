import { section, setting } from '../config/schema-kit.js';

export const mailConfig = section(
  {
    transport: setting.enumOf(['smtp', 'graph'] as const, {
      default: 'smtp',
      env: 'ONRAMP_MAIL_TRANSPORT',
      description:
        "How email leaves onramp: an SMTP relay, or Microsoft Graph sendMail from a shared mailbox. In --demo mail always goes to the simulated tenant's mailbox.",
    }),
    from: setting.string({
      default: 'mfa-onboarding@localhost',
      env: 'ONRAMP_MAIL_FROM',
      description: 'Sender address; with the graph transport, the shared mailbox mail is sent as.',
    }),
    fromName: setting.string({ default: 'IT Service Desk', env: 'ONRAMP_MAIL_FROM_NAME', description: 'Display name of the sender.' }),
    smtpHost: setting.string({ default: 'localhost', env: 'ONRAMP_SMTP_HOST', description: 'SMTP relay host.' }),
    smtpPort: setting.integer({ default: 587, minimum: 1, maximum: 65535, env: 'ONRAMP_SMTP_PORT', description: 'SMTP relay port.' }),
    smtpSecure: setting.boolean({
      default: false,
      env: 'ONRAMP_SMTP_SECURE',
      description: 'Implicit TLS from the first byte (port 465). When false, STARTTLS is used if the relay offers it.',
    }),
    smtpUser: setting.optionalString({ env: 'ONRAMP_SMTP_USER', description: 'SMTP AUTH user name; unset for an unauthenticated relay.' }),
    smtpPassword: setting.optionalString({ env: 'ONRAMP_SMTP_PASSWORD', secret: true, description: 'SMTP AUTH password.' }),
    maxAttempts: setting.integer({
      default: 6,
      minimum: 1,
      maximum: 50,
      env: 'ONRAMP_MAIL_MAX_ATTEMPTS',
      description: 'Delivery attempts per email before it is given up and the tracked user is set to Error with the reason.',
    }),
    retryBaseMs: setting.integer({
      default: 60_000,
      minimum: 0,
      maximum: 86_400_000,
      env: 'ONRAMP_MAIL_RETRY_BASE_MS',
      description: 'Wait after the first failed attempt; doubles after each further failure (exponential backoff).',
    }),
    retryMaxMs: setting.integer({
      default: 3_600_000,
      minimum: 0,
      maximum: 604_800_000,
      env: 'ONRAMP_MAIL_RETRY_MAX_MS',
      description: 'Longest wait between two attempts.',
    }),
    claimTtlMs: setting.integer({
      default: 300_000,
      minimum: 1000,
      maximum: 86_400_000,
      env: 'ONRAMP_MAIL_CLAIM_TTL_MS',
      description:
        'How long a sender owns the emails it claimed; it starts no send after half of it (the rest go back to the queue). An email still marked sending after this (its sender died) is sent again, with the same Message-ID.',
    }),
    concurrency: setting.integer({
      default: 4,
      minimum: 1,
      maximum: 64,
      env: 'ONRAMP_MAIL_CONCURRENCY',
      description: 'Emails delivered in parallel by one instance.',
    }),
    pollIntervalMs: setting.integer({
      default: 10_000,
      minimum: 100,
      maximum: 3_600_000,
      env: 'ONRAMP_MAIL_POLL_INTERVAL_MS',
      description: 'How often the sender looks for due emails (it is also woken when emails are queued).',
    }),
  },
  'Outgoing email',
);
