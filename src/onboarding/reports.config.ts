import { section, setting } from '../config/schema-kit.js';

export const reportsConfig = section(
  {
    enabled: setting.boolean({ default: true, env: 'ONRAMP_REPORTS_ENABLED', description: 'Send the scheduled admin report (when recipients are set).' }),
    cron: setting.string({
      default: '0 9 * * 1-5',
      env: 'ONRAMP_REPORTS_CRON',
      description: 'When the admin report is sent: a cron expression (minute hour day month weekday), read in reports.timeZone. Default weekdays 09:00.',
    }),
    timeZone: setting.string({ default: 'UTC', env: 'ONRAMP_REPORTS_TIME_ZONE', description: 'IANA time zone of reports.cron, e.g. Europe/London.' }),
    recipients: setting.stringList({
      default: [],
      env: 'ONRAMP_REPORTS_RECIPIENTS',
      description: 'Email addresses the admin report goes to (comma-separated in the environment). Empty: no scheduled report.',
    }),
    noClickAfterDays: setting.number({
      default: 3,
      minimum: 0,
      env: 'ONRAMP_REPORTS_NO_CLICK_AFTER_DAYS',
      description: '"Needs attention": invited users who have not clicked after this many days.',
    }),
    attentionListSize: setting.integer({
      default: 20,
      minimum: 1,
      maximum: 1000,
      env: 'ONRAMP_REPORTS_ATTENTION_LIST_SIZE',
      description: 'Users listed per "needs attention" group (the count covers all).',
    }),
  },
  'Admin reports',
);
