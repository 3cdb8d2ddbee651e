/**
 * What one language's catalogue holds: the three emails in the editable format (email-templates.ts
 * `compileTemplate`: paragraphs, `1.` lists, `**bold**`, `{placeholders}`, a `{button}` paragraph), the
 * fixed lines onramp places around them (button, footer), and every end-user page's text. Page texts
 * are plain text with placeholders; onboarding.pages.ts escapes them and fills in the values.
 */
export interface EmailTemplate {
  subject: string;
  body: string;
}

export interface PageText {
  title: string;
  text: string;
}

export interface Catalogue {
  /** The tag for `lang` attributes. */
  tag: string;
  emails: { invitation: EmailTemplate; reminder: EmailTemplate; escalation: EmailTemplate };
  email: {
    /** The call to action onramp places (and `{button}` in text). */
    button: string;
    /** `{supportTeam}`, `{supportEmail}` (linked in HTML). */
    support: string;
    /** Before the resend link in the footer. */
    lostLink: string;
    /** After it. */
    requestNew: string;
    /** `{sent}` of the escalation when the invitation date is unknown. */
    sentUnknown: string;
  };
  pages: {
    /** `{team}`, `{address}`. */
    helpWithAddress: string;
    /** `{team}`. */
    help: string;
    notRecognised: PageText & { button: string };
    replaced: PageText & { button: string };
    freshLinkRequested: PageText;
    /** `{upn}` in `text`. */
    confirm: PageText & { steps: readonly [string, string]; button: string };
    /** `{upn}` in `text`; `{seconds}` in `redirect`. */
    enrolled: PageText & { next: string; redirect: string; button: string };
    /** `{upn}` in `text`; the button is enrolled's. */
    alreadyRegistered: PageText;
    failed: PageText & { button: string };
    resendForm: PageText & { label: string; button: string };
    resendReceived: PageText;
    tooManyRequests: PageText;
  };
}
