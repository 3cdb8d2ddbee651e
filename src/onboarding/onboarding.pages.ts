/**
 * The HTML pages users see from email links. Every value is escaped; the only style is one stylesheet
 * whose hash goes in the Content-Security-Policy, and there is no script at all (a configured timed
 * redirect is a meta refresh), so the CSP needs neither 'unsafe-inline' nor nonces. Texts come from
 * the language's catalogue (./messages); the caller picks the language (languages.ts).
 */
import { createHash } from 'node:crypto';
import type { OnrampConfig } from '../onramp-config.js';
import { escapeHtml } from '../lib/html.js';
import { fill, fillHtml } from './email-templates.js';
import type { Language } from './languages.js';
import { CATALOGUES } from './messages/index.js';

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

  /** Everything around a page's body, built once per language and title: only the body varies per request. */
  readonly #frames = new Map<string, readonly [string, string]>();

  #layout(language: Language, title: string, body: string, head = ''): string {
    const key = `${language}\n${title}\n${head}`;
    let frame = this.#frames.get(key);
    if (!frame) {
      const [before, after] = this.#frame(language, title, head).split(BODY_SLOT);
      frame = [before!, after!];
      this.#frames.set(key, frame);
    }
    return frame[0] + body + frame[1];
  }

  #frame(language: Language, title: string, head: string): string {
    const b = this.#brand;
    const text = CATALOGUES[language].pages;
    const logo = b.logoUrl ? `<img class="logo" src="${escapeHtml(b.logoUrl)}" alt="${escapeHtml(b.companyName)}">` : '';
    const support = b.supportAddress
      ? fillHtml(text.helpWithAddress, { team: escapeHtml(b.supportTeam), address: escapeHtml(b.supportAddress) })
      : fillHtml(text.help, { team: escapeHtml(b.supportTeam) });
    return `<!doctype html><html lang="${CATALOGUES[language].tag}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">${head}<title>${escapeHtml(title)} - ${escapeHtml(b.companyName)}</title><style>${this.#css}</style></head><body><main>${logo}<h1>${escapeHtml(title)}</h1>${BODY_SLOT}<footer>${support}</footer></main></body></html>`;
  }

  /** A page of one paragraph and whatever follows it (a button, a form). */
  #page(language: Language, status: number, page: { title: string; text: string }, after = '', values: Record<string, string> = {}, head = ''): Page {
    return { status, html: this.#layout(language, page.title, `<p>${fillHtml(page.text, values)}</p>${after}`, head) };
  }

  notRecognised(language: Language): Page {
    const text = CATALOGUES[language].pages.notRecognised;
    return this.#page(language, 404, text, `<p><a class="button" href="/api/resend">${escapeHtml(text.button)}</a></p>`);
  }

  /**
   * The link of an email a newer invitation replaced (a reset upload, a resend). Shows no address: the
   * fresh link goes to the one on file, whoever presses the button.
   */
  replaced(language: Language, token: string, csrf: string): Page {
    const text = CATALOGUES[language].pages.replaced;
    return this.#page(language, 200, text, tokenForm('/api/fresh-link', token, csrf, text.button));
  }

  /** The same bytes whatever the token was (the language is the browser's, never the link's). */
  freshLinkRequested(language: Language): Page {
    return this.#page(language, 200, CATALOGUES[language].pages.freshLinkRequested);
  }

  confirm(language: Language, upn: string, token: string, csrf: string): Page {
    const text = CATALOGUES[language].pages.confirm;
    return this.#page(
      language,
      200,
      text,
      `<ol class="steps">${text.steps.map((step) => `<li>${escapeHtml(step)}</li>`).join('')}</ol>` + tokenForm('/api/enrol', token, csrf, text.button),
      { upn: `<strong>${escapeHtml(upn)}</strong>` },
    );
  }

  /**
   * Step 1 done: the account is in the MFA group. Nothing is registered yet, so the page says the
   * next step is the user's, and waits for them unless a timed redirect is configured.
   */
  enrolled(language: Language, upn: string): Page {
    const text = CATALOGUES[language].pages.enrolled;
    const url = this.config.enrolRedirectUrl;
    const delay = this.config.redirectDelaySeconds;
    return {
      status: 200,
      html: this.#layout(
        language,
        text.title,
        `<p class="ok">&#10004; ${fillHtml(text.text, { upn: `<strong>${escapeHtml(upn)}</strong>` })}</p>` +
          `<p>${escapeHtml(text.next)}</p>` +
          (delay > 0 ? `<p>${escapeHtml(fill(text.redirect, { seconds: String(delay) }))}</p>` : '') +
          `<p><a class="button" href="${escapeHtml(url)}">${escapeHtml(text.button)}</a></p>`,
        delay > 0 ? `<meta http-equiv="refresh" content="${delay};url=${escapeHtml(url)}">` : '',
      ),
    };
  }

  alreadyRegistered(language: Language, upn: string): Page {
    const pages = CATALOGUES[language].pages;
    return this.#page(
      language,
      200,
      pages.alreadyRegistered,
      `<p><a class="button" href="${escapeHtml(this.config.enrolRedirectUrl)}">${escapeHtml(pages.enrolled.button)}</a></p>`,
      { upn: `<strong>${escapeHtml(upn)}</strong>` },
    );
  }

  failed(language: Language, token: string, csrf: string): Page {
    const text = CATALOGUES[language].pages.failed;
    return this.#page(language, 503, text, tokenForm('/api/enrol', token, csrf, text.button));
  }

  resendForm(language: Language): Page {
    const text = CATALOGUES[language].pages.resendForm;
    return this.#page(
      language,
      200,
      text,
      `<form method="post" action="/api/resend"><label for="email">${escapeHtml(text.label)}</label><input type="email" id="email" name="email" required maxlength="320" autocomplete="email"><button type="submit">${escapeHtml(text.button)}</button></form>`,
    );
  }

  /** The same bytes for every address, known or not (the language is the browser's). */
  resendReceived(language: Language): Page {
    return this.#page(language, 200, CATALOGUES[language].pages.resendReceived);
  }

  tooManyRequests(language: Language): Page {
    return this.#page(language, 429, CATALOGUES[language].pages.tooManyRequests);
  }
}

function tokenForm(action: string, token: string, csrf: string, label: string): string {
  return `<form method="post" action="${action}"><input type="hidden" name="token" value="${escapeHtml(token)}"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit">${escapeHtml(label)}</button></form>`;
}
