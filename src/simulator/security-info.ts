/**
 * The simulated "security info" page that https://aka.ms/mfasetup leads to: the second step of the
 * demo journey, where a user who clicked onramp's invitation registers Microsoft Authenticator. It
 * records the method in the simulated tenant, which is what onramp's next check looks for.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { page, type SimResponse } from './identity.js';
import type { SimUser, Tenant } from './tenant.js';
import { escapeHtml } from '../lib/html.js';

export const SECURITY_INFO_PATH = '/mfasetup';
const HTML = { 'content-type': 'text/html; charset=utf-8' };

export class SecurityInfoPage {
  /**
   * CSRF protection of the register form: a random value per simulator, embedded in the page and
   * required on the POST. Another site's page cannot read it (the simulator sends no CORS headers).
   */
  readonly #formKey = randomBytes(18).toString('base64url');

  constructor(
    private readonly tenant: Tenant,
    private readonly register: (user: SimUser) => void,
  ) {}

  /** GET: pick your account (onramp's enrolled users who have no method yet) and register. */
  show(query: URLSearchParams): SimResponse {
    const hint = query.get('login_hint')?.toLowerCase();
    const group = this.tenant.groups.get(this.tenant.mfaGroupId);
    const waiting = [...this.tenant.users.values()].filter(
      (u) => u.accountEnabled && u.userType === 'Member' && u.methods.length === 0 && group?.members.has(u.id),
    );
    const options = waiting
      .map(
        (u) =>
          `<option value="${escapeHtml(u.userPrincipalName)}"${u.userPrincipalName.toLowerCase() === hint ? ' selected' : ''}>${escapeHtml(u.displayName)} &lt;${escapeHtml(u.userPrincipalName)}&gt;</option>`,
      )
      .join('');
    const form =
      waiting.length === 0
        ? '<p>No account is waiting to register: open an invitation in the Mailbox, click its link and press "Set up MFA now" first.</p>'
        : `<form method="post" action="${SECURITY_INFO_PATH}"><input type="hidden" name="form_key" value="${escapeHtml(this.#formKey)}">` +
          `<p><label for="upn">Your account</label><br><select id="upn" name="upn" required>${options}</select></p>` +
          '<p><button type="submit">Register Microsoft Authenticator</button></p></form>';
    return {
      status: 200,
      headers: HTML,
      body: page(
        'Security info (simulated tenant)',
        `${standIn(this.tenant.domain)}<p>Accounts that were enrolled for MFA and have no method registered yet:</p>${form}`,
      ),
    };
  }

  /** POST: adds Microsoft Authenticator to the user's methods. */
  registerMethod(form: URLSearchParams): SimResponse {
    const key = Buffer.from(form.get('form_key') ?? '');
    const expected = Buffer.from(this.#formKey);
    if (key.length !== expected.length || !timingSafeEqual(key, expected)) {
      return {
        status: 403,
        headers: HTML,
        body: page('Security info (simulated tenant)', '<p>This form has expired (the simulator restarted). Go back, reload the page and try again.</p>'),
      };
    }
    const user = this.tenant.findByUpn(form.get('upn') ?? '');
    if (!user || !user.accountEnabled)
      return {
        status: 404,
        headers: HTML,
        body: page('Security info (simulated tenant)', '<p>AADSTS50034: The user account does not exist in the directory or is disabled.</p>'),
      };
    this.register(user);
    return {
      status: 200,
      headers: HTML,
      body: page(
        'Microsoft Authenticator registered',
        `${standIn(this.tenant.domain)}<p><strong>${escapeHtml(user.displayName)}</strong> &lt;${escapeHtml(user.userPrincipalName)}&gt; now has Microsoft Authenticator as a sign-in method. onramp sees it at its next check and shows the user as Active.</p>`,
      ),
    };
  }
}

function standIn(domain: string): string {
  return `<p><strong>Demo:</strong> this page is onramp's tenant simulator standing in for <code>https://aka.ms/mfasetup</code>, Microsoft's page where people register their sign-in methods. Nothing leaves this machine; the simulated tenant is <code>${escapeHtml(domain)}</code>.</p>`;
}
