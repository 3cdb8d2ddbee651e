import { Type } from '@sinclair/typebox';
import { section, setting } from '../config/schema-kit.js';
import { LANGUAGES } from './languages.js';

/** Onboarding: campaigns, links and the pages users see. Mail and schedules are in their own sections. */
export const onboardingConfig = section(
  {
    mfaGroupId: setting.string({
      default: '',
      env: 'ONRAMP_ONBOARDING_MFA_GROUP_ID',
      description:
        'Object id of the Entra ID security group (the one your Conditional Access policy targets) that the enrol link adds users to. Empty: enrolment records the click and reports an error page.',
    }),
    enrolRedirectUrl: setting.string({
      default: 'https://aka.ms/mfasetup',
      pattern: '^https?://',
      env: 'ONRAMP_ONBOARDING_ENROL_REDIRECT_URL',
      description: "Where users are sent after enrolling (MFA setup). In --demo, left at the default: the tenant simulator's stand-in page.",
    }),
    redirectDelaySeconds: setting.integer({
      default: 0,
      minimum: 0,
      maximum: 60,
      env: 'ONRAMP_ONBOARDING_REDIRECT_DELAY_SECONDS',
      description:
        '0 (default): the "You are enrolled" page waits for the user to press "Continue to MFA setup". More: it also moves on by itself after this many seconds (a timed redirect, which people who read slowly or use a screen reader may not finish the page before; accessibility checks flag it).',
    }),
    oneClickEnrol: setting.boolean({
      default: false,
      env: 'ONRAMP_ONBOARDING_ONE_CLICK_ENROL',
      description:
        'true: a GET of the enrol link enrols at once, like the seed. false (default): the link shows a page whose button enrols, so mail security scanners that open links consume nothing.',
    }),
    uploadLimitBytes: setting.integer({
      default: 20 * 1024 * 1024,
      minimum: 1024,
      env: 'ONRAMP_ONBOARDING_UPLOAD_LIMIT_BYTES',
      description: 'Largest roster upload (JSON, text/csv or multipart); larger gets 413.',
    }),
    resendPerIpPerHour: setting.integer({
      default: 20,
      minimum: 1,
      env: 'ONRAMP_ONBOARDING_RESEND_PER_IP_PER_HOUR',
      description: 'Resend requests accepted per client address per hour (then 429).',
    }),
    resendPerAddressPerHour: setting.integer({
      default: 3,
      minimum: 1,
      env: 'ONRAMP_ONBOARDING_RESEND_PER_ADDRESS_PER_HOUR',
      description: 'Resend requests accepted per email address per hour (then 429).',
    }),
    linkSecret: setting.optionalString({
      env: 'ONRAMP_ONBOARDING_LINK_SECRET',
      secret: true,
      minLength: 32,
      description:
        "Key that signs the enrol page's form value (CSRF). Unset: a random key per process (forms older than a restart are refused and shown again).",
    }),
    defaultLanguage: setting.enumOf(LANGUAGES, {
      default: 'en',
      env: 'ONRAMP_ONBOARDING_DEFAULT_LANGUAGE',
      description:
        "Language of the emails and pages for users whose directory preferredLanguage is unset or has no catalogue (en, de, fr, es, nl); pages without a known user follow the browser's Accept-Language, then this.",
    }),
    branding: Type.Object(
      {
        companyName: setting.string({ default: 'Contoso', env: 'ONRAMP_BRAND_COMPANY_NAME', description: 'Company name on pages and emails.' }),
        logoUrl: setting.string({
          default: '',
          env: 'ONRAMP_BRAND_LOGO_URL',
          description: 'Absolute https URL of the logo shown on pages and emails; empty: none.',
        }),
        primaryColor: setting.string({
          default: '#0078d4',
          pattern: '^#[0-9a-fA-F]{6}$',
          env: 'ONRAMP_BRAND_PRIMARY_COLOR',
          description: 'Main colour (buttons, headings), #rrggbb.',
        }),
        accentColor: setting.string({
          default: '#107c10',
          pattern: '^#[0-9a-fA-F]{6}$',
          env: 'ONRAMP_BRAND_ACCENT_COLOR',
          description: 'Accent colour of the emails (the Set Up MFA Now button, the stripe under the header), #rrggbb.',
        }),
        supportTeam: setting.string({ default: 'IT Service Desk', env: 'ONRAMP_BRAND_SUPPORT_TEAM', description: 'Name of the team users contact for help.' }),
        supportAddress: setting.string({
          default: '',
          env: 'ONRAMP_BRAND_SUPPORT_ADDRESS',
          description: 'Email address (or URL) users contact for help; empty: not shown.',
        }),
      },
      { description: 'Branding', additionalProperties: false, default: {} },
    ),
  },
  'MFA onboarding',
);
