import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';
import { type DeploymentAnswer, type DeploymentRun, type FailuresAnswer, type MailboxStateAnswer, PATHS } from './api.ts';
import { Alert, Status, utc } from './shared.tsx';

const POLL_RUNNING_MS = 1000;
const POLL_IDLE_MS = 10_000;

function percentOf(run: DeploymentRun): number {
  return run.total === 0 ? 100 : Math.min(100, Math.round((run.done / run.total) * 100));
}

function RunProgress({ run }: { run: DeploymentRun }) {
  const percent = percentOf(run);
  return (
    <section className="card" aria-labelledby="run-title">
      <h2 id="run-title">
        Push #{run.id} <span className={`status run-${run.state}`}>{run.state}</span>
      </h2>
      <p className="muted small">
        Started {utc(run.startedAt)} ({run.trigger}){run.finishedAt ? `, finished ${utc(run.finishedAt)}` : ''}
      </p>
      <div className="bar" role="progressbar" aria-label="Mailboxes done" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
        <div className={`fill${run.failed > 0 ? ' with-failures' : ''}`} style={{ width: `${percent}%` }} />
      </div>
      <p aria-live="polite">
        {run.done.toLocaleString()} of {run.total.toLocaleString()} mailboxes ({percent}%)
      </p>
      <ul className="counts">
        <li>
          Set: <strong>{run.set.toLocaleString()}</strong>
        </li>
        <li>
          Unchanged: <strong>{run.unchanged.toLocaleString()}</strong>
        </li>
        <li>
          Failed: <strong>{run.failed.toLocaleString()}</strong>
        </li>
      </ul>
    </section>
  );
}

/** Expected signatures (what the rules decide now) beside what was deployed where. */
function MailboxState() {
  const [mailbox, setMailbox] = useState('');
  const [asked, setAsked] = useState<string | null>(null);
  const { data, error } = useApi<MailboxStateAnswer>(asked);
  return (
    <section className="card" aria-labelledby="mailbox-state-title">
      <h2 id="mailbox-state-title">A mailbox's signatures</h2>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          if (mailbox.trim()) setAsked(PATHS.mailboxState(mailbox.trim()));
        }}
      >
        <label>
          Mailbox
          <input type="text" required value={mailbox} placeholder="someone@contoso.com" onChange={(e) => setMailbox(e.target.value)} />
        </label>
        <button type="submit">Show</button>
      </form>
      <Alert text={error} />
      {data && (
        <>
          <h3>Expected</h3>
          {data.expected ? (
            <div className="table-wrap">
              <table className="data compact">
                <thead>
                  <tr>
                    <th scope="col">Signature</th>
                    <th scope="col">Template version</th>
                    <th scope="col">Hash</th>
                  </tr>
                </thead>
                <tbody>
                  {data.expected.signatures.map((s) => (
                    <tr key={s.name}>
                      <td>{s.name}</td>
                      <td>
                        <a href={`#/signatures/templates/${s.templateId}`}>v{s.templateVersion}</a>
                      </td>
                      <td>
                        <code className="hash">{s.hash.slice(0, 12)}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p className="muted">No rule gives this mailbox a signature.</p>
          )}
          <h3>Deployed</h3>
          <div className="table-wrap">
            <table className="data compact">
              <thead>
                <tr>
                  <th scope="col">Where</th>
                  <th scope="col">Result</th>
                  <th scope="col">Hash</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {data.deployed.map((d) => {
                  const current = data.expected !== null && d.hash === data.expected.setHash;
                  return (
                    <tr key={d.where} className={current ? undefined : 'row-warn'}>
                      <td>{d.where}</td>
                      <td>
                        {d.result}
                        {!current && <span className="muted"> (not the expected set)</span>}
                      </td>
                      <td>
                        <code className="hash">{d.hash?.slice(0, 12) ?? '—'}</code>
                      </td>
                      <td>{utc(d.at)}</td>
                    </tr>
                  );
                })}
                {data.deployed.length === 0 && (
                  <tr>
                    <td colSpan={4} className="muted">
                      Not deployed anywhere yet.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

/** The server-side push to Outlook on the web / new Outlook: progress, the roaming-signatures block, failures, retry. */
export function Deployment({ isAdmin }: { isAdmin: boolean }) {
  const { data, error, reload } = useApi<DeploymentAnswer>(PATHS.deployment);
  const run = data?.run ?? null;
  const running = run?.state === 'running';
  const { data: failures, reload: reloadFailures } = useApi<FailuresAnswer>(run && run.failed > 0 ? `${PATHS.deploymentFailures}?run=${run.id}` : null);
  const [message, setMessage] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  useEffect(() => {
    const timer = setInterval(() => void reload(), running ? POLL_RUNNING_MS : POLL_IDLE_MS);
    return () => clearInterval(timer);
  }, [reload, running]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: new failures arrive as the run's count grows
  useEffect(() => void reloadFailures(), [run?.failed]);

  const act = async (path: string, done: string) => {
    try {
      await api(path, { method: 'POST', body: {} });
      setActionError(null);
      setMessage(done);
      await reload();
    } catch (err) {
      setActionError((err as Error).message);
    }
  };

  return (
    <section aria-labelledby="deployment-title">
      <h1 id="deployment-title">Signature deployment</h1>
      <p className="muted">
        onramp sets each mailbox's web signature in Exchange Online (Outlook on the web and new Outlook) whenever templates, rules or the directory change, and
        on a schedule. Unchanged signatures are not sent again.
      </p>
      {data?.roamingSignatures && (
        <div className="note" role="alert">
          <strong>Exchange ignores pushed signatures in this tenant:</strong> roaming signatures are on, and while they are,{' '}
          <code>Set-MailboxMessageConfiguration -SignatureHtml</code> changes nothing. onramp does not push until they are off. To turn them off, run in
          Exchange Online PowerShell: <code>Set-OrganizationConfig -PostponeRoamingSignaturesUntilLater $true</code>
        </div>
      )}
      <Alert text={error ?? actionError} />
      <Status text={message} />
      {isAdmin && (
        <div className="actions">
          <button type="button" className="primary" disabled={running} onClick={() => void act(PATHS.deploymentStart, 'Push started.')}>
            Start deployment
          </button>
          {run && run.failed > 0 && !running && (
            <button type="button" onClick={() => void act(PATHS.deploymentRetry, 'Retrying the failed mailboxes.')}>
              Retry failed ({run.failed.toLocaleString()})
            </button>
          )}
        </div>
      )}
      {run ? <RunProgress run={run} /> : data && <p className="muted">No push has run yet.</p>}
      {failures && failures.failures.length > 0 && (
        <div className="table-wrap">
          <table className="data">
            <caption>Failures</caption>
            <thead>
              <tr>
                <th scope="col">Mailbox</th>
                <th scope="col">Reason</th>
                <th scope="col">When</th>
              </tr>
            </thead>
            <tbody>
              {failures.failures.map((f) => (
                <tr key={f.mailbox} className="row-error">
                  <td>{f.mailbox}</td>
                  <td>{f.reason}</td>
                  <td>{utc(f.at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MailboxState />
    </section>
  );
}
