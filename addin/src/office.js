/*
 * What the runtime and the taskpane read from Outlook (Office.js, loaded by their page): the kind of
 * mail being written and the account it is written from.
 */
/* global Office */

/** An Office `…Async(callback)` call as a promise of its AsyncResult's value. */
export function asyncCall(fn) {
  return new Promise((resolve, reject) => {
    fn((result) => {
      if (result.status === Office.AsyncResultStatus.Succeeded) resolve(result.value);
      else reject(new Error(result.error?.message ?? 'Office call failed'));
    });
  });
}

/** `reply` for replies and forwards (OnNewMessageCompose fires for all of them), else `new`. */
export async function composeKind(item) {
  if (!item.getComposeTypeAsync) return 'new';
  const type = (await asyncCall((cb) => item.getComposeTypeAsync(cb)))?.composeType;
  return type === Office.MailboxEnums.ComposeType.Reply || type === Office.MailboxEnums.ComposeType.Forward ? 'reply' : 'new';
}

/**
 * The mailbox the message is written from: the owner of a shared mailbox or a delegate's folder when
 * Outlook says so (getSharedPropertiesAsync, for shared folders and mailboxes opened as such), else the
 * From account (item.from, which is the shared mailbox when it was added as an account of its own),
 * else the signed-in user. onramp decides whether the user may have that mailbox's signature.
 */
export async function accountInUse(item) {
  if (item.getSharedPropertiesAsync) {
    const owner = await asyncCall((cb) => item.getSharedPropertiesAsync(cb)).then(
      (shared) => shared?.owner,
      // Not a shared item: Outlook answers with an error, which is the common case.
      () => undefined,
    );
    if (owner) return owner;
  }
  if (item.from?.getAsync) {
    const from = await asyncCall((cb) => item.from.getAsync(cb)).then(
      (address) => address?.emailAddress,
      () => undefined,
    );
    if (from) return from;
  }
  return Office.context.mailbox.userProfile.emailAddress;
}
