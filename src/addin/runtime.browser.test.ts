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
import { startSimulator, type RunningSimulator } from '../simulator/index.js';
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

const API_CLIENT_ID = '6f1c2a9e-3b7d-4e55-9a10-0c2d8e4f7a31';

/** Office.js as far as the runtime uses it; `window.officeHost` holds what the test sets and reads. */
const OFFICE_STAND_IN = `
window.officeHost = { calls: [], handlers: {}, token: null, composeType: 'newMail', mailbox: '' };
const ok = (value) => ({ status: 'succeeded', value });
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
    mailbox: {
      get userProfile() { return { emailAddress: officeHost.mailbox, displayName: 'x', timeZone: 'UTC', accountType: 'enterprise' }; },
      item: {
        getComposeTypeAsync: (cb) => cb(ok({ composeType: officeHost.composeType, coercionType: 'html' })),
        disableClientSignatureAsync: (cb) => { officeHost.calls.push(['disableClientSignatureAsync']); cb(ok()); },
        body: { setSignatureAsync: (data, options, cb) => { officeHost.calls.push(['setSignatureAsync', data, options]); cb(ok()); } },
      },
    },
  },
};`;

describe('the add-in event runtime in the browser', () => {
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
    sim = await startSimulator({ users: 4, seed: 21 });
    ada = [...sim.control.tenant.users.values()].find((u) => u.userType === 'Member' && u.accountEnabled && u.mail)!;
    storage = await sqliteBackend.open();
    await storage.db
      .insertInto('directory_user')
      .values({
        id: ada.id,
        upn_lower: ada.userPrincipalName.toLowerCase(),
        account_enabled: 1,
        profile: JSON.stringify({ ...ada, businessPhones: [], interests: [] }),
        synced_at: new Date().toISOString(),
      })
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
    await app.register(addinRoutes, { planner, validator, record: (r) => reports.add(r) });
    await app.register(addinFileRoutes, {
      publicUrl: undefined,
      color: '#0078d4',
      fetchBudgetMs: 800,
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
    await sim?.stop();
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
