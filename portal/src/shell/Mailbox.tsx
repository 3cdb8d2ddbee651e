import { useEffect, useState } from 'react';
import type { MailboxAnswer } from '../../../src/portal/portal.schemas.ts';
import { useApi } from '../api/use-api.ts';

/**
 * Demo only: what the simulated tenant's mailboxes received (invitations, reminders, reports). The
 * body is shown in a sandboxed frame (no scripts, opaque origin); its links open in a new tab, so
 * clicking the invitation link walks the journey while this screen stays.
 */
export function Mailbox() {
  const { data, error, reload } = useApi<MailboxAnswer>('/api/admin/mailbox');
  const messages = data?.messages;
  const [selected, setSelected] = useState<string | null>(null);
  useEffect(() => {
    // New invitations arrive as the workflow runs; a demo should show them without a reload.
    const timer = setInterval(() => void reload(), 5000);
    return () => clearInterval(timer);
  }, [reload]);

  const current = messages?.find((m) => m.id === selected);
  return (
    <section aria-labelledby="mailbox-title">
      <h1 id="mailbox-title">
        Mailbox <span className="badge demo">demo</span>
      </h1>
      <p className="muted">
        Emails the simulated tenant received through Microsoft Graph. Open an invitation and click its link to walk the journey as the user would; the user's
        status changes on the Users screen.
      </p>
      <p>
        <button type="button" onClick={() => void reload()}>
          Refresh
        </button>
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="mailbox">
        <div className="table-wrap">
          <table className="data">
            <caption className="visually-hidden">Received emails, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Subject</th>
                <th scope="col">To</th>
                <th scope="col">Received (UTC)</th>
              </tr>
            </thead>
            <tbody>
              {messages?.map((m) => (
                <tr key={m.id} className={m.id === selected ? 'selected' : undefined}>
                  <td>
                    <button type="button" className="link" aria-pressed={m.id === selected} onClick={() => setSelected(m.id)}>
                      {m.subject || '(no subject)'}
                    </button>
                  </td>
                  <td>{m.to.join(', ')}</td>
                  <td>{m.sentAt.slice(0, 19).replace('T', ' ')}</td>
                </tr>
              ))}
              {messages && messages.length === 0 && (
                <tr>
                  <td colSpan={3} className="muted">
                    No emails yet. Upload users; the invitation run sends them.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        {current && (
          <article className="card message" aria-label="Selected email">
            <h2>{current.subject}</h2>
            <dl className="facts">
              <dt>From</dt>
              <dd>{current.from}</dd>
              <dt>To</dt>
              <dd>{current.to.join(', ')}</dd>
              <dt>Received</dt>
              <dd>{current.sentAt}</dd>
              {current.attachments.length > 0 && (
                <>
                  <dt>Attachments</dt>
                  <dd>{current.attachments.join(', ')}</dd>
                </>
              )}
            </dl>
            <iframe
              key={current.id}
              title={`Body of: ${current.subject}`}
              src={`/api/admin/mailbox/${encodeURIComponent(current.id)}/body`}
              sandbox="allow-popups allow-popups-to-escape-sandbox"
              referrerPolicy="no-referrer"
            />
          </article>
        )}
      </div>
    </section>
  );
}
