/*
 * onramp's Outlook add-in, event runtime. Bundled by addin/build.mjs into one classic script (classic
 * Outlook on Windows runs it in a JavaScript-only runtime without modules or DOM; the web and new
 * Outlook load it from runtime.html). onramp serves it with `ONRAMP_ADDIN` defined first (the API
 * origin, the handler names, the identity settings).
 *
 * On a new message, reply/forward (OnNewMessageCompose, told apart by getComposeTypeAsync) or a new
 * appointment (OnNewAppointmentOrganizer): the user's token (token.js) → the signature for the account
 * in use (office.js) and kind of mail → item.body.setSignatureAsync. The last answer is cached per
 * mailbox and kind of mail and used when onramp is slow or unreachable, so the event always completes
 * within its budget and compose is never blocked. What happened is reported to onramp, never awaited.
 */
/* global Office, OfficeRuntime, ONRAMP_ADDIN */
import { accountInUse, asyncCall, composeKind } from './office.js';
import { accessToken } from './token.js';

const config = ONRAMP_ADDIN;
/** Outlook gives event handlers a few seconds; the fetch gets less, leaving time to insert. */
const FETCH_BUDGET_MS = config.fetchBudgetMs;

const storage = {
  async get(key) {
    if (typeof OfficeRuntime !== 'undefined' && OfficeRuntime.storage) return OfficeRuntime.storage.getItem(key);
    return globalThis.localStorage ? globalThis.localStorage.getItem(key) : null;
  },
  async set(key, value) {
    if (typeof OfficeRuntime !== 'undefined' && OfficeRuntime.storage) return OfficeRuntime.storage.setItem(key, value);
    if (globalThis.localStorage) globalThis.localStorage.setItem(key, value);
  },
};

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function fetchSignature(compose, mailbox, token) {
  const url = `${config.baseUrl}/api/addin/signatures?compose=${compose}&mailbox=${encodeURIComponent(mailbox)}`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`onramp answered ${res.status}`);
  return res.json();
}

function report(token, body) {
  if (!token) return;
  // keepalive: the runtime may be torn down right after event.completed().
  fetch(`${config.baseUrl}/api/addin/events`, {
    method: 'POST',
    keepalive: true,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).catch(() => {});
}

async function insert(event, appointment) {
  const item = Office.context.mailbox.item;
  const diagnostics = Office.context.diagnostics ?? {};
  let mailbox = Office.context.mailbox.userProfile.emailAddress;
  const base = () => ({
    mailbox,
    platform: String(diagnostics.platform ?? 'unknown'),
    hostVersion: diagnostics.version ? String(diagnostics.version) : undefined,
  });
  let token;
  let kind = 'new';
  try {
    mailbox = await accountInUse(item);
    kind = appointment ? 'new' : await composeKind(item);
    const cacheKey = `onramp.signature.${mailbox.toLowerCase()}.${kind}`;
    let signature;
    try {
      const answer = await withTimeout(
        (async () => {
          token = await accessToken(config, false);
          return fetchSignature(kind, mailbox, token);
        })(),
        FETCH_BUDGET_MS,
        'onramp',
      );
      signature = answer.signature;
      await storage.set(cacheKey, JSON.stringify(signature));
    } catch (err) {
      const cached = await storage.get(cacheKey);
      if (cached === null || cached === undefined) throw err;
      signature = JSON.parse(cached);
    }
    const compose = appointment ? 'appointment' : kind;
    if (!signature) {
      report(token, { ...base(), compose, outcome: 'none' });
      return;
    }
    await asyncCall((cb) => item.body.setSignatureAsync(signature.webHtml, { coercionType: Office.CoercionType.Html }, cb));
    // Outlook's own signature would be added as well otherwise.
    if (item.disableClientSignatureAsync) await asyncCall((cb) => item.disableClientSignatureAsync(cb)).catch(() => {});
    report(token, { ...base(), compose, outcome: 'inserted', version: signature.version });
  } catch (err) {
    report(token, { ...base(), compose: appointment ? 'appointment' : kind, outcome: 'failed', reason: String(err?.message ?? err).slice(0, 200) });
  } finally {
    event.completed();
  }
}

Office.actions.associate(config.handlers.newMessage, (event) => insert(event, false));
Office.actions.associate(config.handlers.newAppointment, (event) => insert(event, true));
