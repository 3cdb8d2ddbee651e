import { section, setting } from '../config/schema-kit.js';
import { DEFAULT_SUBJECTS } from './email-templates.js';

export const invitationsConfig = section(
  {
    intervalMinutes: setting.integer({
      default: 60,
      minimum: 0,
      maximum: 525_600,
      env: 'ONRAMP_INVITATIONS_INTERVAL_MINUTES',
      description:
        'How often the invitation workflow runs (uploads and resend requests also start a run). 0: no scheduled runs, only those uploads and resends start (and one at start). At most 525,600 (a year).',
    }),
    triggerDebounceMs: setting.integer({
      default: 5000,
      minimum: 0,
      maximum: 3_600_000,
      env: 'ONRAMP_INVITATIONS_TRIGGER_DEBOUNCE_MS',
      description: 'Uploads within this window are gathered into one triggered run.',
    }),
    checkIntervalHours: setting.number({
      default: 24,
      minimum: 0,
      env: 'ONRAMP_INVITATIONS_CHECK_INTERVAL_HOURS',
      description: 'Invited users (Sent, Clicked, AddedToGroup) are checked again in Graph when their LastChecked is older than this.',
    }),
    reminderIntervalDays: setting.number({
      default: 7,
      minimum: 0,
      env: 'ONRAMP_INVITATIONS_REMINDER_INTERVAL_DAYS',
      description: 'Days between the invitation and each reminder, and between reminders.',
    }),
    escalateAfterReminders: setting.integer({
      default: 2,
      minimum: 1,
      env: 'ONRAMP_INVITATIONS_ESCALATE_AFTER_REMINDERS',
      description: 'The manager is emailed once, together with this reminder number.',
    }),
    maxReminders: setting.integer({
      default: 5,
      minimum: 0,
      env: 'ONRAMP_INVITATIONS_MAX_REMINDERS',
      description: 'Reminders sent at most. When the next one would be due the user becomes Overdue and gets no more email.',
    }),
    excludeGuests: setting.boolean({
      default: true,
      env: 'ONRAMP_INVITATIONS_EXCLUDE_GUESTS',
      description: 'Guest accounts are Excluded (the seed invited them).',
    }),
    countedMfaMethods: setting.stringList({
      default: ['microsoftAuthenticator', 'phone', 'softwareOath', 'hardwareOath', 'fido2', 'passkey', 'windowsHello'],
      env: 'ONRAMP_INVITATIONS_COUNTED_MFA_METHODS',
      description:
        'Authentication methods that count as "registered for MFA" (of microsoftAuthenticator, phone, softwareOath, hardwareOath, fido2, passkey, windowsHello, email, temporaryAccessPass).',
    }),
    subjectInvitation: setting.string({
      default: DEFAULT_SUBJECTS.invitation,
      env: 'ONRAMP_INVITATIONS_SUBJECT',
      description: 'Subject of the invitation email.',
    }),
    subjectReminder: setting.string({
      default: DEFAULT_SUBJECTS.reminder,
      env: 'ONRAMP_INVITATIONS_SUBJECT_REMINDER',
      description: 'Subject of reminders; {n} is the reminder number.',
    }),
    subjectEscalation: setting.string({
      default: DEFAULT_SUBJECTS.escalation,
      env: 'ONRAMP_INVITATIONS_SUBJECT_ESCALATION',
      description: "Subject of the manager email; {name} is the employee's display name.",
    }),
    chunkSize: setting.integer({
      default: 500,
      minimum: 1,
      maximum: 5000,
      env: 'ONRAMP_INVITATIONS_CHUNK_SIZE',
      description: 'Users looked up in Graph and written to the database together.',
    }),
    leaseSeconds: setting.integer({
      default: 120,
      minimum: 1,
      maximum: 86_400,
      env: 'ONRAMP_INVITATIONS_LEASE_SECONDS',
      description:
        'A run holds the workflow lease (one run at a time across instances) and renews it every third of this; when the instance running it dies, another instance takes the run over within this plus one lease poll (10 s at most).',
    }),
    retryAfterFailureSeconds: setting.integer({
      default: 30,
      minimum: 1,
      maximum: 3600,
      env: 'ONRAMP_INVITATIONS_RETRY_AFTER_FAILURE_SECONDS',
      description:
        'After a run failed (database or directory unreachable) or left users it could not process, the next run starts this soon instead of at the next interval.',
    }),
    maxLookupFailures: setting.integer({
      default: 3,
      minimum: 1,
      maximum: 100,
      env: 'ONRAMP_INVITATIONS_MAX_LOOKUP_FAILURES',
      description:
        'A user whose directory lookup fails in this many runs in a row (the others of their chunk are processed; the failing user is isolated by splitting the chunk) goes to Error with the reason; "resend" in the portal tries them again.',
    }),
    graphConcurrency: setting.integer({
      default: 6,
      minimum: 1,
      maximum: 64,
      env: 'ONRAMP_INVITATIONS_GRAPH_CONCURRENCY',
      description: "Chunks processed in parallel (each chunk's Graph lookups are batched).",
    }),
  },
  'Invitation workflow',
);
