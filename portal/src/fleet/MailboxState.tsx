import { useState } from 'react';
import type { MailboxSignatureState, MailboxSignatureStatePage, SignatureState } from '../../../src/fleet/people.schemas.ts';
import { query } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';
import { Alert, utc } from '../signatures/shared.tsx';

export const STATE_TEXT: Record<SignatureState, string> = {
  upToDate: 'up to date',
  differs: 'differs',
  missing: 'missing',
  failed: 'failed',
};
const STATE_CLASS: Record<SignatureState, string> = { upToDate: 'st-Active', differs: 'st-Overdue', missing: 'st-Sent', failed: 'st-Error' };

export function SignatureStateBadge({ state }: { state: SignatureState }) {
  return <span className={`status ${STATE_CLASS[state]}`}>{STATE_TEXT[state]}</span>;
}

const hash = (v: string | null) => <code className="hash">{v ? v.slice(0, 12) : '—'}</code>;

export const mailboxPath = (mailbox: string) => `#/fleet/mailboxes/${encodeURIComponent(mailbox)}`;

/**
 * A mailbox's signature state where it lands: expected now (the rules), Exchange, each device of its
 * user, the add-in per platform; each with its state and why. `level` fits its headings into a page.
 */
export function SignatureStateView({ state, level = 2 }: { state: MailboxSignatureState; level?: 2 | 3 }) {
  const H = level === 2 ? 'h2' : 'h3';
  return (
    <div className="signature-state">
      <p>
        <SignatureStateBadge state={state.state} /> {state.reasons.length === 0 ? 'Every place holds the expected signatures.' : state.reasons[0]}
      </p>
      {state.reasons.length > 1 && (
        <ul className="reasons">
          {state.reasons.slice(1).map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
      <H>Expected now</H>
      {state.expected && state.expected.signatures.length > 0 ? (
        <div className="table-wrap">
          <table className="data compact">
            <thead>
              <tr>
                <th scope="col">Signature</th>
                <th scope="col">Template version</th>
                <th scope="col">Default for</th>
                <th scope="col">Version</th>
              </tr>
            </thead>
            <tbody>
              {state.expected.signatures.map((s) => (
                <tr key={s.name}>
                  <td>{s.name}</td>
                  <td>
                    <a href={`#/signatures/templates/${s.templateId}`}>version {s.templateVersion}</a>
                  </td>
                  <td>{s.defaultFor.length > 0 ? s.defaultFor.join(', ') : 'offered only'}</td>
                  <td>{hash(s.hash)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">No rule gives this mailbox a signature.</p>
      )}
      <H>Where it landed</H>
      <div className="table-wrap">
        <table className="data compact" aria-label="Signature state per place">
          <thead>
            <tr>
              <th scope="col">Place</th>
              <th scope="col">State</th>
              <th scope="col">Why</th>
              <th scope="col">Versions</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Exchange (Outlook on the web, new Outlook)</th>
              <td>
                <SignatureStateBadge state={state.exchange.state} />
              </td>
              <td>{state.exchange.reason}</td>
              <td>{state.exchange.result ?? 'never pushed'}</td>
              <td>{state.exchange.at ? utc(state.exchange.at) : ''}</td>
            </tr>
            {state.devices.map((d) => (
              <tr key={`d-${d.hostname}`}>
                <th scope="row">Device {d.hostname}</th>
                <td>
                  <SignatureStateBadge state={d.state} />
                </td>
                <td>{d.reason}</td>
                <td>
                  new {hash(d.newVersion)}, reply {hash(d.replyVersion)}
                </td>
                <td>{utc(d.lastSeenAt)}</td>
              </tr>
            ))}
            {state.addin.map((a) => (
              <tr key={`a-${a.platform}-${a.compose}`}>
                <th scope="row">
                  Add-in on {a.platform} ({a.compose})
                </th>
                <td>
                  <SignatureStateBadge state={a.state} />
                </td>
                <td>{a.reason}</td>
                <td>{hash(a.version)}</td>
                <td>{utc(a.reportedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {state.roaming.enabled && (
        <p className="note">
          An Exchange administrator turns roaming signatures off with <code>{state.roaming.fix}</code>
        </p>
      )}
    </div>
  );
}

/** One mailbox's page (`#/fleet/mailboxes/<address>`). */
export function MailboxSignatures({ mailbox }: { mailbox: string }) {
  const { data, error } = useApi<MailboxSignatureState>(`/api/fleet/mailboxes/${encodeURIComponent(mailbox)}/signatures`);
  return (
    <section aria-labelledby="mailbox-title">
      <p>
        <a href="#/fleet/mailboxes">← Mailboxes</a>
      </p>
      <h1 id="mailbox-title">Signatures of {mailbox}</h1>
      <Alert text={error} />
      {data && <SignatureStateView state={data} />}
    </section>
  );
}

const PAGE = 25;

/** Every mailbox's signature state, filterable by state, paged forward (`#/fleet/mailboxes`). */
export function MailboxStates() {
  const [state, setState] = useState<SignatureState | ''>('');
  const [lookup, setLookup] = useState('');
  // Pages asked so far: each one's `after`.
  const [afters, setAfters] = useState<string[]>(['']);
  const after = afters[afters.length - 1]!;
  const { data, error } = useApi<MailboxSignatureStatePage>(`/api/fleet/mailboxes${query({ state, after, limit: PAGE })}`);
  return (
    <section aria-labelledby="mailboxes-title">
      <h1 id="mailboxes-title">Signatures per mailbox</h1>
      <p className="muted">
        What each mailbox should have now against Exchange's copy, its user's devices and the Outlook add-in. Started pushes and their progress are on{' '}
        <a href="#/signatures/deployment">Signature deployment</a>.
      </p>
      <form
        className="filters"
        aria-label="Find a mailbox"
        onSubmit={(e) => {
          e.preventDefault();
          if (lookup.trim()) window.location.hash = mailboxPath(lookup.trim());
        }}
      >
        <label>
          Mailbox
          <input type="text" value={lookup} placeholder="someone@contoso.com" onChange={(e) => setLookup(e.target.value)} />
        </label>
        <button type="submit">Show</button>
        <label>
          State
          <select
            value={state}
            onChange={(e) => {
              setState(e.target.value as SignatureState | '');
              setAfters(['']);
            }}
          >
            <option value="">Any state</option>
            {(Object.keys(STATE_TEXT) as SignatureState[]).map((s) => (
              <option key={s} value={s}>
                {STATE_TEXT[s]}
              </option>
            ))}
          </select>
        </label>
      </form>
      <Alert text={error} />
      {data && (
        <>
          <div className="table-wrap">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Mailbox</th>
                  <th scope="col">State</th>
                  <th scope="col">Why</th>
                  <th scope="col" className="num">
                    Devices
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((m) => (
                  <tr key={m.mailbox}>
                    <td>
                      <a href={mailboxPath(m.mailbox)}>{m.mailbox}</a>
                    </td>
                    <td>
                      <SignatureStateBadge state={m.state} />
                    </td>
                    <td>{m.reasons.join('; ')}</td>
                    <td className="num">{m.devices.length}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {data.items.length === 0 && <p className="muted">No mailbox {state ? `is ${STATE_TEXT[state]}` : ''} on this page.</p>}
          <div className="pager">
            {afters.length > 1 && (
              <button type="button" onClick={() => setAfters(afters.slice(0, -1))}>
                Previous page
              </button>
            )}
            {data.nextAfter && (
              <button type="button" onClick={() => setAfters([...afters, data.nextAfter!])}>
                Next page
              </button>
            )}
            <span className="muted small">{data.scanned} mailboxes looked at for this page</span>
          </div>
        </>
      )}
    </section>
  );
}
