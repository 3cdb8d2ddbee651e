/**
 * The add-in's event runtime in Chromium, loaded by its own runtime.html from a running onramp, with a
 * small stand-in for Office.js in place of Microsoft's CDN script (the documented shapes: AsyncResult
 * callbacks, getComposeTypeAsync, body.setSignatureAsync, disableClientSignatureAsync, auth.getAccessToken,
 * actions.associate) that records the calls. Tokens come from the tenant simulator.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { Agent, fetch as undiciFetch } from 'undici';
import type { RunningSimulator } from '../simulator/index.js';
import { startTestTenant, type TestTenant } from '../../test/support/simulator.js';
import type { SimUser } from '../simulator/tenant.js';
import { installErrorHandling } from '../http/common.js';
import { createLogger } from '../lib/logger.js';
import type { BatchedWriter } from '../lib/batched-writer.js';
import { sqliteBackend, type TestStorage } from '../../test/support/storage.js';
import { DirectoryPlanner } from '../../test/support/signature-planner.js';
import { launchChromium } from '../../test/support/browser.js';
import { addinRoutes, type AddinReport } from './addin.routes.js';
import { addinFileRoutes } from './addin-files.routes.js';
import { addinReportWriter } from './addin-reports.js';
import { addinStatesOf } from './addin.queries.js';
import { LAUNCH_HANDLERS } from './manifest.js';
import { AddinTokenValidator } from './token-validator.js';
import { SendAsCheck } from './send-as.js';

const API_CLIENT_ID = '6f1c2a9e-3b7d-4e55-9a10-0c2d8e4f7a31';

/**
 * Office.js as far as the runtime uses it; `window.officeHost` holds what the test sets and reads.
 * With `officeHost.naa` the host claims the NestedAppAuth 1.1 requirement set and offers the broker
 * bridge MSAL.js talks to (`window.nestedAppAuthBridge`: JSON messages GetInitContext, GetToken,
 * GetTokenPopup, answered by requestId), handing out `officeHost.naaToken`; `naaFails` makes it refuse.
 * `sharedOwner` plays a shared item (getSharedPropertiesAsync), `from` the From account.
 */
const OFFICE_STAND_IN = `
window.officeHost = { calls: [], bridge: [], handlers: {}, token: null, composeType: 'newMail', mailbox: '', naa: false, naaFails: false, naaToken: null, idToken: null, sharedOwner: null, from: null };
const ok = (value) => ({ status: 'succeeded', value });
const failed = (message) => ({ status: 'failed', error: { name: 'GenericResponseError', message } });
const bridgeListeners = [];
window.nestedAppAuthBridge = {
  addEventListener: (type, listener) => { if (type === 'message') bridgeListeners.push(listener); },
  removeEventListener: () => {},
  postMessage: (text) => {
    const request = JSON.parse(text);
    officeHost.bridge.push({ method: request.method, clientId: request.tokenParams?.clientId, scope: request.tokenParams?.scope });
    let answer;
    if (request.method === 'GetInitContext') answer = { success: true, initContext: { sdkName: 'stand-in', sdkVersion: '1.0', accountContext: null, capabilities: {} } };
    else if (officeHost.naaFails) answer = { success: false, error: { status: 'ACCOUNT_UNAVAILABLE', code: 'no_account', description: 'no account' } };
    else answer = {
      success: true,
      token: { access_token: officeHost.naaToken, id_token: officeHost.idToken, expires_in: 3600, scope: request.tokenParams.scope },
      account: { homeAccountId: 'home', environment: 'login.microsoftonline.com', tenantId: 'tenant', username: officeHost.mailbox, localAccountId: 'local' },
    };
    const envelope = JSON.stringify({ messageType: 'NestedAppAuthResponse', requestId: request.requestId, ...answer });
    setTimeout(() => { for (const listener of bridgeListeners) listener({ data: envelope }); }, 0);
  },
};
window.Office = {
  AsyncResultStatus: { Succeeded: 'succeeded', Failed: 'failed' },
  CoercionType: { Html: 'html', Text: 'text' },
  MailboxEnums: { ComposeType: { NewMail: 'newMail', Reply: 'reply', Forward: 'forward' } },
  actions: { associate: (name, handler) => { officeHost.handlers[name] = handler; } },
  // The test says when Office is ready (after it has set the token and mailbox).
  onReady: (callback) => new Promise((resolve) => { officeHost.ready = () => resolve(callback({ host: 'Outlook', platform: 'OfficeOnline' })); }),
  auth: { getAccessToken: async (options) => { officeHost.calls.push(['getAccessToken', options]); return officeHost.token; } },
  context: {
    diagnostics: { platform: 'OfficeOnline', version: '16.0.18000.0' },
    requirements: { isSetSupported: (name, version) => name === 'NestedAppAuth' ? officeHost.naa : name === 'Mailbox' },
    mailbox: {
      get userProfile() { return { emailAddress: officeHost.mailbox, displayName: 'x', timeZone: 'UTC', accountType: 'enterprise' }; },
      item: {
        getComposeTypeAsync: (cb) => cb(ok({ composeType: officeHost.composeType, coercionType: 'html' })),
        // Outlook answers an error for an item that is not in a shared folder or mailbox.
        getSharedPropertiesAsync: (cb) => cb(officeHost.sharedOwner ? ok({ owner: officeHost.sharedOwner, targetMailbox: officeHost.sharedOwner, delegatePermissions: 0 }) : failed('not shared')),
        from: { getAsync: (cb) => cb(ok({ emailAddress: officeHost.from ?? officeHost.mailbox, displayName: 'x', recipientType: 'user' })) },
        disableClientSignatureAsync: (cb) => { officeHost.calls.push(['disableClientSignatureAsync']); cb(ok()); },
        body: { setSignatureAsync: (data, options, cb) => { officeHost.calls.push(['setSignatureAsync', data, options]); cb(ok()); } },
      },
    },
  },
};`;

describe('the add-in event runtime in the browser', () => {
  let tenant: TestTenant;
  let sim: RunningSimulator;
  let storage: TestStorage;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let reports: BatchedWriter<AddinReport>;
  let planner: DirectoryPlanner;
  let ada: SimUser;
  let base: string;
  let token: string;

  // Page code as strings: the test runner's transpiler wraps functions in helpers the page does not have.
  /** Runs a launch event's handler as Outlook does; resolves with the milliseconds until event.completed(). */
  const fire = (handler: string): Promise<number> =>
    page.evaluate(`new Promise((resolve) => {
      const started = performance.now();
      officeHost.handlers[${JSON.stringify(handler)}]({ completed: () => resolve(performance.now() - started) });
    })`);
  const calls = (): Promise<unknown[][]> => page.evaluate('officeHost.calls.splice(0)');
  const setHost = (values: Record<string, unknown>) => page.evaluate(`Object.assign(officeHost, ${JSON.stringify(values)}), undefined`);

  before(async () => {
    tenant = await startTestTenant({ users: 4, seed: 21 });
    sim = tenant.sim;
    ada = [...sim.control.tenant.users.values()].find((u) => u.userType === 'Member' && u.accountEnabled && u.mail)!;
    const shared = sim.control.tenant.findUser(sim.sharedMailbox)!;
    storage = await sqliteBackend.open();
    await storage.db
      .insertInto('directory_user')
      .values(
        [ada, shared].map((u) => ({
          id: u.id,
          upn_lower: u.userPrincipalName.toLowerCase(),
          account_enabled: 1,
          profile: JSON.stringify({ ...u, businessPhones: [], interests: [] }),
          synced_at: new Date().toISOString(),
        })),
      )
      .execute();
    planner = new DirectoryPlanner(storage.db);
    const agent = new Agent({ connect: { ca: sim.caPem } });
    const validator = new AddinTokenValidator({
      authorityHost: sim.authorityHost,
      tenant: sim.tenantId,
      audiences: [`api://${API_CLIENT_ID}`],
      scope: 'Signatures.Read',
      clockSkewSeconds: 60,
      fetch: ((url: string | URL, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch,
    });
    reports = addinReportWriter(storage, createLogger('silent'));
    app = Fastify();
    installErrorHandling(app, 1_048_576);
    await app.register(addinRoutes, { planner, validator, sendAs: new SendAsCheck(tenant.exchange), record: (r) => reports.add(r) });
    await app.register(addinFileRoutes, {
      publicUrl: undefined,
      color: '#0078d4',
      fetchBudgetMs: 800,
      auth: { clientId: API_CLIENT_ID, authority: `${sim.authorityHost}/${sim.tenantId}`, scopes: [`api://${API_CLIENT_ID}/Signatures.Read`] },
      manifest: {
        id: 'x',
        version: '1.0.0.0',
        providerName: 'p',
        displayName: 'd',
        description: 'd',
        apiClientId: API_CLIENT_ID,
        apiAppIdUri: `api://${API_CLIENT_ID}`,
        scope: 'Signatures.Read',
      },
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    page = await browser.newPage();
    await page.route('https://appsforoffice.microsoft.com/**', (route) => route.fulfill({ contentType: 'text/javascript', body: OFFICE_STAND_IN }));
    await page.goto(`${base}/addin/runtime.html`);
    token = await sim.control.issueUserToken({ user: ada.userPrincipalName, audience: `api://${API_CLIENT_ID}`, scope: 'Signatures.Read' });
    await setHost({ token, mailbox: ada.mail });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await storage?.close();
    await tenant?.stop();
  });

  it('inserts the new-mail signature as HTML, turns the client signature off, completes the event and reports the version', async () => {
    await fire(LAUNCH_HANDLERS.newMessage);
    const seen = await calls();
    assert.deepEqual(seen[0], ['getAccessToken', { allowSignInPrompt: false, allowConsentPrompt: false, forMSGraphAccess: false }]);
    const insert = seen.find((c) => c[0] === 'setSignatureAsync')!;
    assert.match(String(insert[1]), new RegExp(ada.displayName));
    assert.deepEqual(insert[2], { coercionType: 'html' });
    assert.ok(seen.some((c) => c[0] === 'disableClientSignatureAsync'));
    await new Promise((r) => setTimeout(r, 100));
    await reports.flush();
    const [state] = await addinStatesOf(storage.db, ada.mail!);
    assert.deepEqual([state?.platform, state?.compose, state?.outcome, state?.host_version], ['officeonline', 'new', 'inserted', '16.0.18000.0']);
    assert.match(state?.version ?? '', /^[0-9a-f]{64}$/);
  });

  it('takes the token through nested app authentication (MSAL.js over the host bridge) where the host supports it, else Office SSO', async () => {
    const scope = `api://${API_CLIENT_ID}/Signatures.Read`;
    const idToken = await sim.control.issueUserToken({ user: ada.userPrincipalName, audience: API_CLIENT_ID, scope: 'openid profile' });
    try {
      // The broker refuses (e.g. no brk-multihub redirect URI registered): SSO still inserts.
      await setHost({ naa: true, naaFails: true, naaToken: token, idToken });
      await fire(LAUNCH_HANDLERS.newMessage);
      let seen = await calls();
      assert.ok(
        seen.some((c) => c[0] === 'getAccessToken'),
        'fell back to Office SSO',
      );
      assert.ok(seen.some((c) => c[0] === 'setSignatureAsync'));
      await setHost({ naaFails: false });
      await page.evaluate('officeHost.bridge.splice(0)');
      await fire(LAUNCH_HANDLERS.newMessage);
      seen = await calls();
      assert.ok(!seen.some((c) => c[0] === 'getAccessToken'), 'no SSO call when NAA answers');
      assert.match(String(seen.find((c) => c[0] === 'setSignatureAsync')?.[1]), new RegExp(ada.displayName));
      const bridge = (await page.evaluate('officeHost.bridge')) as Array<{ method: string; clientId?: string; scope?: string }>;
      const asked = bridge.find((m) => m.method === 'GetToken');
      assert.equal(asked?.clientId, API_CLIENT_ID);
      assert.ok(asked?.scope?.split(' ').includes(scope), asked?.scope);
      assert.ok(!bridge.some((m) => m.method === 'GetTokenPopup'), 'a launch event never prompts');
    } finally {
      await setHost({ naa: false });
    }
  });

  it('inserts the signature of the shared mailbox being written from when Exchange lets the user send as it, and nothing for a mailbox it does not', async () => {
    const shared = sim.sharedMailbox.toLowerCase();
    sim.control.setSendAs(shared, ada.userPrincipalName, true);
    try {
      await setHost({ sharedOwner: sim.sharedMailbox });
      await fire(LAUNCH_HANDLERS.newMessage);
      assert.match(String((await calls()).find((c) => c[0] === 'setSignatureAsync')?.[1]), /IT Onboarding/);
      await new Promise((r) => setTimeout(r, 100));
      await reports.flush();
      assert.deepEqual(
        (await addinStatesOf(storage.db, shared)).map((s) => [s.outcome, s.reported_by]),
        [['inserted', ada.userPrincipalName.toLowerCase()]],
      );
      // The From account counts when the item is not a shared one: a colleague's mailbox gets nothing.
      await setHost({ sharedOwner: null, from: `someone.else@${sim.domain}` });
      await fire(LAUNCH_HANDLERS.newMessage);
      assert.equal((await calls()).filter((c) => c[0] === 'setSignatureAsync').length, 0);
    } finally {
      sim.control.setSendAs(shared, ada.userPrincipalName, false);
      await setHost({ sharedOwner: null, from: null });
    }
  });

  it('inserts the reply signature on a reply, and the new-mail one on a new appointment', async () => {
    planner.replyTemplate = '<p>-- {{displayName}} (reply)</p>';
    try {
      await setHost({ composeType: 'reply' });
      await fire(LAUNCH_HANDLERS.newMessage);
      assert.match(String((await calls()).find((c) => c[0] === 'setSignatureAsync')?.[1]), /\(reply\)/);
      await setHost({ composeType: 'newMail' });
      await fire(LAUNCH_HANDLERS.newAppointment);
      const inserted = String((await calls()).find((c) => c[0] === 'setSignatureAsync')?.[1]);
      assert.match(inserted, new RegExp(ada.displayName));
      assert.doesNotMatch(inserted, /\(reply\)/);
    } finally {
      planner.replyTemplate = null;
    }
  });

  it('inserts the cached signature when onramp does not answer in time, and reports a failure when nothing is cached', async () => {
    await page.route('**/api/addin/signatures**', () => {
      // Never answered: the runtime's budget decides.
    });
    try {
      const took = await fire(LAUNCH_HANDLERS.newMessage);
      assert.ok(took < 2000, `the event completed after ${took} ms`);
      assert.match(String((await calls()).find((c) => c[0] === 'setSignatureAsync')?.[1]), new RegExp(ada.displayName));
      await page.evaluate('localStorage.clear()');
      await fire(LAUNCH_HANDLERS.newMessage);
      assert.equal((await calls()).filter((c) => c[0] === 'setSignatureAsync').length, 0);
      await new Promise((r) => setTimeout(r, 100));
      await reports.flush();
      const state = (await addinStatesOf(storage.db, ada.mail!)).find((s) => s.compose === 'new');
      assert.equal(state?.outcome, 'failed');
      assert.match(state?.reason ?? '', /longer than/);
    } finally {
      await page.unroute('**/api/addin/signatures**');
    }
  });

  it('the taskpane lists the mailbox signatures, marks the default, and inserts the one picked', async () => {
    planner.replyTemplate = '<p>-- {{displayName}} (reply)</p>';
    const pane = await browser.newPage();
    try {
      await pane.route('https://appsforoffice.microsoft.com/**', (route) => route.fulfill({ contentType: 'text/javascript', body: OFFICE_STAND_IN }));
      await pane.goto(`${base}/addin/taskpane.html`);
      await pane.evaluate(`Object.assign(officeHost, ${JSON.stringify({ token, mailbox: ada.mail, composeType: 'reply' })}); officeHost.ready()`);
      const buttons = pane.getByRole('button');
      await buttons.nth(1).waitFor();
      assert.deepEqual(await buttons.allTextContents(), ['Contoso', 'Contoso reply']);
      assert.equal(await buttons.nth(1).getAttribute('aria-current'), 'true');
      await pane.getByRole('button', { name: 'Contoso', exact: true }).click();
      await pane.getByText('Inserted “Contoso”.').waitFor();
      const inserted = (await pane.evaluate('officeHost.calls')) as unknown[][];
      const insert = inserted.find((c) => c[0] === 'setSignatureAsync')!;
      assert.match(String(insert[1]), new RegExp(ada.displayName));
      assert.doesNotMatch(String(insert[1]), /\(reply\)/);
      assert.ok(inserted.some((c) => c[0] === 'getAccessToken' && (c[1] as { allowSignInPrompt: boolean }).allowSignInPrompt));
    } finally {
      planner.replyTemplate = null;
      await pane.close();
    }
  });
});
