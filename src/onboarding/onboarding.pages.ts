/**
 * The HTML pages users see from email links. Every value is escaped; the only style is one stylesheet
 * whose hash goes in the Content-Security-Policy, and there is no script at all (a configured timed
 * redirect is a meta refresh), so the CSP needs neither 'unsafe-inline' nor nonces.
 */
import { createHash } from 'node:crypto';
import type { OnrampConfig } from '../onramp-config.js';
import { escapeHtml } from '../lib/html.js';

type Branding = OnrampConfig['onboarding']['branding'];

/** Where a page's body goes in its cached frame; escaped values cannot contain `<`, so cannot fake it. */
const BODY_SLOT = '<!--body-->';

export interface Page {
  status: number;
  html: string;
}

export class OnboardingPages {
  readonly #brand: Branding;
  readonly #css: string;
  /** Content-Security-Policy for every page: nothing but this stylesheet, https images and same-origin forms. */
  readonly csp: string;

  constructor(private readonly config: OnrampConfig['onboarding']) {
    this.#brand = config.branding;
    // Colours are validated as #rrggbb by the config schema, so they are safe inside CSS.
    this.#css = [
      'body{margin:0;font-family:Segoe UI,Helvetica,Arial,sans-serif;background:#f3f2f1;color:#201f1e}',
      'main{max-width:560px;margin:48px auto;background:#fff;border-radius:8px;padding:32px;box-shadow:0 2px 8px rgba(0,0,0,.1)}',
      `h1{color:${this.#brand.primaryColor};font-size:1.5em}`,
      '.logo{max-height:48px;margin-bottom:16px}',
      `button,.button{background:${this.#brand.primaryColor};color:#fff;border:0;border-radius:4px;padding:12px 24px;font-size:1em;cursor:pointer;text-decoration:none;display:inline-block}`,
      `.ok{color:${this.#brand.accentColor}}`,
      'ol.steps li{margin:6px 0}',
      'input[type=email]{width:100%;padding:10px;font-size:1em;box-sizing:border-box;margin:8px 0 16px}',
      'footer{margin-top:24px;font-size:.85em;color:#605e5c}',
    ].join('');
    const hash = createHash('sha256').update(this.#css).digest('base64');
    this.csp = [
      "default-src 'none'",
      `style-src 'sha256-${hash}'`,
      'img-src https: data:',
      "form-action 'self'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; ');
  }

  /** Everything around a page's body, built once per title: only the body varies per request. */
  readonly #frames = new Map<string, readonly [string, string]>();

  #layout(title: string, body: string, head = ''): string {
    const key = `${title}\n${head}`;
    let frame = this.#frames.get(key);
    if (!frame) {
      const [before, after] = this.#frame(title, head).split(BODY_SLOT);
      frame = [before!, after!];
      this.#frames.set(key, frame);
    }
    return frame[0] + body + frame[1];
  }

  #frame(title: string, head: string): string {
    const b = this.#brand;
    const logo = b.logoUrl ? `<img class="logo" src="${escapeHtml(b.logoUrl)}" alt="${escapeHtml(b.companyName)}">` : '';
    const support = b.supportAddress
      ? `Need help? Contact ${escapeHtml(b.supportTeam)} at ${escapeHtml(b.supportAddress)}.`
      : `Need help? Contact ${escapeHtml(b.supportTeam)}.`;
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">${head}<title>${escapeHtml(title)} - ${escapeHtml(b.companyName)}</title><style>${this.#css}</style></head><body><main>${logo}<h1>${escapeHtml(title)}</h1>${BODY_SLOT}<footer>${support}</footer></main></body></html>`;
  }

  notRecognised(): Page {
    return {
      status: 404,
      html: this.#layout(
        'Link not recognised',
        '<p>This link is not valid or has been replaced by a newer one. Use the link in your most recent email, or request a new one.</p><p><a class="button" href="/api/resend">Get a new link</a></p>',
      ),
    };
  }

  /**
   * The link of an email a newer invitation replaced (a reset upload, a resend). Shows no address: the
   * fresh link goes to the one on file, whoever presses the button.
   */
  replaced(token: string, csrf: string): Page {
    return {
      status: 200,
      html: this.#layout(
        'This link has been replaced',
        '<p>A newer invitation was sent after this one, so this link no longer works. Use the link in your most recent email, or get a fresh one: it is sent to the address this invitation went to.</p>' +
          `<form method="post" action="/api/fresh-link"><input type="hidden" name="token" value="${escapeHtml(token)}"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit">Email me a fresh link</button></form>`,
      ),
    };
  }

  /** The same bytes whatever the token was. */
  freshLinkRequested(): Page {
    return {
      status: 200,
      html: this.#layout(
        'Request received',
        '<p>If you still need to set up multi-factor authentication, a fresh link arrives by email shortly, at the address the invitation went to. Older links no longer work.</p>',
      ),
    };
  }

  confirm(upn: string, token: string, csrf: string): Page {
    return {
      status: 200,
      html: this.#layout(
        'Set up multi-factor authentication',
        `<p>This sets up multi-factor authentication (MFA) for <strong>${escapeHtml(upn)}</strong>.</p>` +
          '<ol class="steps"><li>Press the button: we prepare your account for MFA.</li><li>Then register the Authenticator app or your phone with Microsoft.</li></ol>' +
          `<form method="post" action="/api/enrol"><input type="hidden" name="token" value="${escapeHtml(token)}"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit">Set up MFA now</button></form>`,
      ),
    };
  }

  /**
   * Step 1 done: the account is in the MFA group. Nothing is registered yet, so the page says the
   * next step is the user's, and waits for them unless a timed redirect is configured.
   */
  enrolled(upn: string): Page {
    const url = this.config.enrolRedirectUrl;
    const delay = this.config.redirectDelaySeconds;
    return {
      status: 200,
      html: this.#layout(
        'You are enrolled',
        `<p class="ok">&#10004; Step 1 of 2 done: <strong>${escapeHtml(upn)}</strong> is ready for multi-factor authentication.</p>` +
          '<p>Step 2 of 2: register a method (the Microsoft Authenticator app or your phone). Until you do, MFA is not set up for your account.</p>' +
          (delay > 0 ? `<p>You are taken there in ${delay} seconds.</p>` : '') +
          `<p><a class="button" href="${escapeHtml(url)}">Continue to MFA setup</a></p>`,
        delay > 0 ? `<meta http-equiv="refresh" content="${delay};url=${escapeHtml(url)}">` : '',
      ),
    };
  }

  alreadyRegistered(upn: string): Page {
    const url = this.config.enrolRedirectUrl;
    return {
      status: 200,
      html: this.#layout(
        'Already registered',
        `<p>This link has already been used: <strong>${escapeHtml(upn)}</strong> is enrolled. If you have not registered your methods yet, continue to MFA setup.</p><p><a class="button" href="${escapeHtml(url)}">Continue to MFA setup</a></p>`,
      ),
    };
  }

  failed(token: string, csrf: string): Page {
    return {
      status: 503,
      html: this.#layout(
        'Please try again',
        '<p>We could not finish enabling MFA for your account just now. Nothing is lost: please try again in a few minutes.</p>' +
          `<form method="post" action="/api/enrol"><input type="hidden" name="token" value="${escapeHtml(token)}"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit">Try again</button></form>`,
      ),
    };
  }

  resendForm(): Page {
    return {
      status: 200,
      html: this.#layout(
        'Get a new setup link',
        '<p>Enter your work email address. If it is part of the MFA rollout, a new link is emailed to you shortly; older links stop working.</p>' +
          '<form method="post" action="/api/resend"><label for="email">Work email</label><input type="email" id="email" name="email" required maxlength="320" autocomplete="email"><button type="submit">Send me a new link</button></form>',
      ),
    };
  }

  /** The same bytes for every address, known or not. */
  resendReceived(): Page {
    return {
      status: 200,
      html: this.#layout(
        'Request received',
        '<p>If this address is part of the MFA rollout, a new setup link will arrive by email shortly. Older links no longer work.</p>',
      ),
    };
  }

  tooManyRequests(): Page {
    return { status: 429, html: this.#layout('Too many requests', '<p>Please wait a while before asking again.</p>') };
  }
}
