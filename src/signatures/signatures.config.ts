import { section, setting } from '../config/schema-kit.js';

export const signaturesConfig = section(
  {
    autoAddSignature: setting.boolean({ default: true, env: 'ONRAMP_SIGNATURES_AUTO_ADD', description: 'Set-MailboxMessageConfiguration -AutoAddSignature with every web signature update.' }),
    autoAddSignatureOnReply: setting.boolean({ default: true, env: 'ONRAMP_SIGNATURES_AUTO_ADD_ON_REPLY', description: 'Set-MailboxMessageConfiguration -AutoAddSignatureOnReply with every web signature update.' }),
    dedupeHours: setting.number({ default: 8, minimum: 0, env: 'ONRAMP_SIGNATURES_DEDUPE_HOURS', description: 'An update with the same content as the last one set for that mailbox less than this long ago is skipped (devices resend every 8 hours).' }),
    maxBytes: setting.integer({ default: 153_600, minimum: 1024, env: 'ONRAMP_SIGNATURES_MAX_BYTES', description: 'Largest signature (HTML plus text) accepted; larger ones get 413.' }),
  },
  'Outlook web signatures devices upload through the device API (autoSetWebSignature).',
);
