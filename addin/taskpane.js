/*
 * onramp's Outlook add-in, taskpane: lists the signatures the user may use in this mailbox and inserts
 * the one picked (item.body.setSignatureAsync). Opened from the compose window's button; the user is
 * there, so the token request may show a sign-in or consent prompt. Served with `ONRAMP_ADDIN` first.
 */
/* global Office, ONRAMP_ADDIN, document */
(() => {
  const config = ONRAMP_ADDIN;
  const list = () => document.getElementById('signatures');
  const status = (text) => {
    document.getElementById('status').textContent = text;
  };

  function asyncCall(fn) {
    return new Promise((resolve, reject) => {
      fn((result) => {
        if (result.status === Office.AsyncResultStatus.Succeeded) resolve(result.value);
        else reject(new Error(result.error?.message ?? 'Office call failed'));
      });
    });
  }

  async function show() {
    const item = Office.context.mailbox.item;
    const mailbox = Office.context.mailbox.userProfile.emailAddress;
    let compose = 'new';
    if (item.getComposeTypeAsync) {
      const type = (await asyncCall((cb) => item.getComposeTypeAsync(cb)))?.composeType;
      if (type === Office.MailboxEnums.ComposeType.Reply || type === Office.MailboxEnums.ComposeType.Forward) compose = 'reply';
    }
    const token = await Office.auth.getAccessToken({ allowSignInPrompt: true, allowConsentPrompt: true, forMSGraphAccess: false });
    const res = await fetch(`${config.baseUrl}/api/addin/signatures?compose=${compose}&mailbox=${encodeURIComponent(mailbox)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
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
})();
