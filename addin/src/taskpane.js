/*
 * onramp's Outlook add-in, taskpane: lists the signatures the user may use in the mailbox being written
 * from and inserts the one picked (item.body.setSignatureAsync). Opened from the compose window's
 * button; the user is there, so the token request may show a sign-in or consent prompt. Bundled by
 * addin/build.mjs and served with `ONRAMP_ADDIN` first.
 */
/* global Office, ONRAMP_ADDIN, document */
import { accountInUse, asyncCall, composeKind } from './office.js';
import { accessToken } from './token.js';

const config = ONRAMP_ADDIN;
const list = () => document.getElementById('signatures');
const status = (text) => {
  document.getElementById('status').textContent = text;
};

async function show() {
  const item = Office.context.mailbox.item;
  const mailbox = await accountInUse(item);
  const compose = await composeKind(item);
  const token = await accessToken(config, true);
  const res = await fetch(`${config.baseUrl}/api/addin/signatures?compose=${compose}&mailbox=${encodeURIComponent(mailbox)}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status === 403) throw new Error(`onramp has no signatures of ${mailbox} for you`);
  if (!res.ok) throw new Error(`onramp answered ${res.status}`);
  const answer = await res.json();
  list().replaceChildren();
  if (answer.alternatives.length === 0) status('You have no signatures for this mailbox.');
  else status(`Signatures for ${answer.mailbox}:`);
  for (const signature of answer.alternatives) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = signature.name;
    if (answer.signature && answer.signature.version === signature.version) button.setAttribute('aria-current', 'true');
    button.addEventListener('click', async () => {
      try {
        await asyncCall((cb) => item.body.setSignatureAsync(signature.webHtml, { coercionType: Office.CoercionType.Html }, cb));
        status(`Inserted “${signature.name}”.`);
      } catch (err) {
        status(`Could not insert the signature: ${err.message}`);
      }
    });
    const entry = document.createElement('li');
    entry.append(button);
    list().append(entry);
  }
}

Office.onReady(() =>
  show().catch((err) => {
    status(`Your signatures could not be loaded (${err.message}).`);
  }),
);
