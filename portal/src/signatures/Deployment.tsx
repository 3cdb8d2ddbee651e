import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';
import { type DeploymentRun, type DeploymentStatus, type MailboxOutcomePage, PATHS, type RoamingState } from './api.ts';
import { mailboxPath } from '../fleet/MailboxState.tsx';
import { Alert, Status, utc } from './shared.tsx';

const POLL_ACTIVE_MS = 1000;
const POLL_IDLE_MS = 10_000;

function active(run: DeploymentRun | null): boolean {
  return run?.state === 'queued' || run?.state === 'running';
}

function percentOf(run: DeploymentRun): number {
  if (run.total === 0) return run.state === 'done' ? 100 : 0;
  return Math.min(100, Math.round((run.processed / run.total) * 100));
}

function RoamingWarning({ roaming }: { roaming: RoamingState }) {
  return (
    <div className="note" role="alert">
      <strong>Exchange ignores pushed signatures in this tenant: roaming signatures are on.</strong> {roaming.explanation} An Exchange administrator turns them
      off in Exchange Online PowerShell with <code>{roaming.fix}</code>
      {roaming.checkedAt && <span className="muted small"> (checked {utc(roaming.checkedAt)})</span>}
    </div>
  );
}

function RunProgress({ run }: { run: DeploymentRun }) {
  const percent = percentOf(run);
  return (
    <section className="card" aria-labelledby="run-title">
      <h2 id="run-title">
        Push #{run.id} <span className={`status run-${run.state}`}>{run.state}</span>
      </h2>
      <p className="muted small">
        {run.trigger} push, asked {utc(run.requestedAt)}
        {run.requestedBy ? ` by ${run.requestedBy}` : ''}
        {run.startedAt ? `, started ${utc(run.startedAt)}` : ''}
        {run.finishedAt ? `, finished ${utc(run.finishedAt)}` : ''}
      </p>
      <div className="bar" role="progressbar" aria-label="Mailboxes done" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
        <div className={`fill${run.failed > 0 || run.blocked > 0 ? ' with-failures' : ''}`} style={{ width: `${percent}%` }} />
      </div>
      <p aria-live="polite" className="run-count">
        {run.processed.toLocaleString()} of {run.total.toLocaleString()} mailboxes ({percent}%)
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
        <li>
          Blocked: <strong>{run.blocked.toLocaleString()}</strong>
        </li>
      </ul>
      {run.note && <p>{run.note}</p>}
    </section>
  );
}

/**
 * Finding a mailbox's signatures: they are shown on the fleet's mailbox page (expected now against
 * Exchange, devices and the add-in, with the reasons), the one screen for them.
 */
function MailboxLookup() {
  const [mailbox, setMailbox] = useState('');
  return (
    <section className="card" aria-labelledby="mailbox-state-title">
      <h2 id="mailbox-state-title">A mailbox's signatures</h2>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          if (mailbox.trim()) window.location.hash = mailboxPath(mailbox.trim());
        }}
      >
        <label>
          Mailbox
          <input type="text" required value={mailbox} placeholder="someone@contoso.com" onChange={(e) => setMailbox(e.target.value)} />
        </label>
        <button type="submit">Show</button>
      </form>
      <p className="muted small">
        Or list <a href="#/fleet/mailboxes">every mailbox's signature state</a>, filtered by state.
      </p>
    </section>
  );
}

/** The server-side push to Outlook on the web / new Outlook: progress, the roaming-signatures block, failures, retry. */
export function Deployment({ isAdmin }: { isAdmin: boolean }) {
  const { data, error, reload } = useApi<DeploymentStatus>(PATHS.deployment);
  const run = data?.current ?? null;
  const busy = active(run);
  const { data: failures, reload: reloadFailures } = useApi<MailboxOutcomePage>(run && run.failed > 0 ? PATHS.failures(run.id) : null);
  const [message, setMessage] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  useEffect(() => {
    const timer = setInterval(() => void reload(), busy ? POLL_ACTIVE_MS : POLL_IDLE_MS);
    return () => clearInterval(timer);
  }, [reload, busy]);
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
  // The hook keeps its last answer when the path goes: only this run's failures are shown.
  const failed = run && run.failed > 0 ? (failures?.items ?? []).filter((f) => f.runId === run.id) : [];

  return (
    <section aria-labelledby="deployment-title">
      <h1 id="deployment-title">Signature deployment</h1>
      <p className="muted">
        onramp sets each mailbox's web signature in Exchange Online (Outlook on the web and new Outlook) when templates, rules or the directory change, and on a
        schedule. Unchanged signatures are not sent again.
      </p>
      {data?.roaming.enabled && <RoamingWarning roaming={data.roaming} />}
      <Alert text={error ?? actionError} />
      <Status text={message} />
      {isAdmin && (
        <div className="actions">
          <button type="button" className="primary" disabled={busy} onClick={() => void act(PATHS.deployments, 'Push started.')}>
            Start deployment
          </button>
          {run && run.failed > 0 && !busy && (
            <button
              type="button"
              onClick={() => void act(PATHS.retry(run.id), `Retrying the ${run.failed.toLocaleString()} failed mailboxes of push #${run.id}.`)}
            >
              Retry failed ({run.failed.toLocaleString()})
            </button>
          )}
        </div>
      )}
      {run ? <RunProgress run={run} /> : data && <p className="muted">No push has run yet.</p>}
      {failed.length > 0 && (
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
              {failed.map((f) => (
                <tr key={f.mailbox} className="row-error">
                  <td>{f.mailbox}</td>
                  <td>{f.reason}</td>
                  <td>{utc(f.attemptedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.recent.length > 1 && (
        <details>
          <summary>Earlier pushes</summary>
          <div className="table-wrap">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Push</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">State</th>
                  <th scope="col">Asked</th>
                  <th scope="col">Set</th>
                  <th scope="col">Unchanged</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Blocked</th>
                </tr>
              </thead>
              <tbody>
                {data.recent.map((r) => (
                  <tr key={r.id}>
                    <td className="num">#{r.id}</td>
                    <td>{r.trigger}</td>
                    <td>
                      <span className={`status run-${r.state}`}>{r.state}</span>
                    </td>
                    <td>{utc(r.requestedAt)}</td>
                    <td className="num">{r.set.toLocaleString()}</td>
                    <td className="num">{r.unchanged.toLocaleString()}</td>
                    <td className="num">{r.failed.toLocaleString()}</td>
                    <td className="num">{r.blocked.toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
      <MailboxLookup />
    </section>
  );
}
