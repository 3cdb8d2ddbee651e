/*
 * The user's access token for onramp's API. Nested app authentication first (MSAL.js through the
 * host's broker: Outlook on the web, new Outlook, classic Outlook and Mac where the NestedAppAuth 1.1
 * requirement set is supported), Office SSO (Office.auth.getAccessToken) where it is not or where it
 * fails, since an older build or a tenant without the brk-multihub redirect URI still has SSO.
 */
/* global Office */
import { createNestablePublicClientApplication } from '@azure/msal-browser';

let naa;

function naaClient(config) {
  naa ??= createNestablePublicClientApplication({
    auth: { clientId: config.auth.clientId, authority: config.auth.authority },
    // In memory: classic Outlook's JavaScript-only runtime has no web storage, and the host's broker
    // holds the account and answers silent requests from its own cache anyway.
    cache: { cacheLocation: 'memoryStorage' },
  }).catch((err) => {
    naa = undefined;
    throw err;
  });
  return naa;
}

function naaSupported() {
  return !!Office.context.requirements?.isSetSupported?.('NestedAppAuth', '1.1');
}

async function naaToken(config, interactive) {
  const client = await naaClient(config);
  const request = { scopes: config.auth.scopes };
  try {
    return (await client.acquireTokenSilent(request)).accessToken;
  } catch (err) {
    if (!interactive) throw err;
    return (await client.acquireTokenPopup(request)).accessToken;
  }
}

/**
 * `interactive`: the user is there (the taskpane), so a sign-in or consent prompt may show; launch
 * events must stay silent.
 */
export async function accessToken(config, interactive) {
  if (naaSupported()) {
    try {
      return await naaToken(config, interactive);
    } catch {
      // Fall through to Office SSO: it may still work where the broker refused (e.g. no redirect URI yet).
    }
  }
  return Office.auth.getAccessToken({ allowSignInPrompt: interactive, allowConsentPrompt: interactive, forMSGraphAccess: false });
}
