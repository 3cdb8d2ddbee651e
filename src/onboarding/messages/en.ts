import type { Catalogue } from './catalogue.js';

export const en: Catalogue = {
  tag: 'en',
  emails: {
    invitation: {
      subject: 'Action Required: Set Up Multi-Factor Authentication (MFA)',
      body: [
        'Dear {name},',
        '{company} is turning on multi-factor authentication (MFA) for your account to keep it and our data safe.',
        '1. Select "{button}" below.\n2. Sign in with your work account when asked.\n3. Install Microsoft Authenticator on your phone and follow the steps on screen.',
        '{button}',
        'It takes about five minutes.',
      ].join('\n\n'),
    },
    reminder: {
      subject: 'Reminder #{n}: MFA Setup Still Pending',
      body: [
        '**Reminder #{n}**',
        'Dear {name},',
        'This is reminder #{n}: your multi-factor authentication (MFA) setup at {company} is still pending.',
        '1. Select "{button}" below.\n2. Sign in with your work account when asked.\n3. Install Microsoft Authenticator on your phone and follow the steps on screen.',
        '{button}',
        'It takes about five minutes.',
      ].join('\n\n'),
    },
    escalation: {
      subject: 'Manager Action Required: {name} Has Not Completed MFA Setup',
      body: [
        'Dear {manager},',
        '{employee} ({employeeDetails}) has not completed multi-factor authentication (MFA) setup.',
        'Invitation sent: {sent}\nReminders sent since: {n}',
        'Please ask {employee} to open the most recent email from {company} and select "{button}", or to contact {supportTeam} for help.',
      ].join('\n\n'),
    },
  },
  email: {
    button: 'Set Up MFA Now',
    support: 'Questions? Contact {supportTeam} at {supportEmail}.',
    lostLink: 'Lost your setup link?',
    requestNew: 'Request a new one.',
    sentUnknown: 'date not recorded',
  },
  pages: {
    helpWithAddress: 'Need help? Contact {team} at {address}.',
    help: 'Need help? Contact {team}.',
    notRecognised: {
      title: 'Link not recognised',
      text: 'This link is not valid or has been replaced by a newer one. Use the link in your most recent email, or request a new one.',
      button: 'Get a new link',
    },
    replaced: {
      title: 'This link has been replaced',
      text: 'A newer invitation was sent after this one, so this link no longer works. Use the link in your most recent email, or get a fresh one: it is sent to the address this invitation went to.',
      button: 'Email me a fresh link',
    },
    freshLinkRequested: {
      title: 'Request received',
      text: 'If you still need to set up multi-factor authentication, a fresh link arrives by email shortly, at the address the invitation went to. Older links no longer work.',
    },
    confirm: {
      title: 'Set up multi-factor authentication',
      text: 'This sets up multi-factor authentication (MFA) for {upn}.',
      steps: ['Press the button: we prepare your account for MFA.', 'Then register the Authenticator app or your phone with Microsoft.'],
      button: 'Set up MFA now',
    },
    enrolled: {
      title: 'You are enrolled',
      text: 'Step 1 of 2 done: {upn} is ready for multi-factor authentication.',
      next: 'Step 2 of 2: register a method (the Microsoft Authenticator app or your phone). Until you do, MFA is not set up for your account.',
      redirect: 'You are taken there in {seconds} seconds.',
      button: 'Continue to MFA setup',
    },
    alreadyRegistered: {
      title: 'Already registered',
      text: 'This link has already been used: {upn} is enrolled. If you have not registered your methods yet, continue to MFA setup.',
    },
    failed: {
      title: 'Please try again',
      text: 'We could not finish enabling MFA for your account just now. Nothing is lost: please try again in a few minutes.',
      button: 'Try again',
    },
    resendForm: {
      title: 'Get a new setup link',
      text: 'Enter your work email address. If it is part of the MFA rollout, a new link is emailed to you shortly; older links stop working.',
      label: 'Work email',
      button: 'Send me a new link',
    },
    resendReceived: {
      title: 'Request received',
      text: 'If this address is part of the MFA rollout, a new setup link will arrive by email shortly. Older links no longer work.',
    },
    tooManyRequests: { title: 'Too many requests', text: 'Please wait a while before asking again.' },
  },
};
