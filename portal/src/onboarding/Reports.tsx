import { useEffect, useState, type FormEvent } from 'react';
import type { AttentionKind, BatchPaused, CampaignRun, DayActivity, ReportAnswer, ReportSent } from '../../../src/onboarding/admin.schemas.ts';
import { api, ApiError, query } from '../api/client.ts';
import { LIVE_REFRESH_MS, useApi } from '../api/use-api.ts';
import { isValidAddress } from '../../../src/onboarding/roster-csv.ts';
import { STATUS_TEXT, STATUSES } from './statuses.ts';
import { plural } from '../shell/words.ts';
import { DayLineChart } from '../shell/charts.tsx';
import type { FunnelAnswer } from '../../../src/fleet/people.schemas.ts';

const SERIES: Array<{ key: keyof Omit<DayActivity, 'day'>; label: string; className: string }> = [
  { key: 'invites', label: 'Sent', className: 's-invited' },
  { key: 'opens', label: 'Opened', className: 's-opened' },
  { key: 'clicks', label: 'Clicked', className: 's-clicked' },
  { key: 'activations', label: 'Active', className: 's-activated' },
];
const ATTENTION: Array<{ key: AttentionKind; label: string }> = [
  { key: 'unreachable', label: 'Cannot be invited (excluded)' },
  { key: 'error', label: 'In error' },
  { key: 'overdue', label: 'Overdue' },
  { key: 'escalated', label: 'Escalated to manager' },
  { key: 'noClick', label: 'Invited, no click yet' },
  { key: 'clickedNotActive', label: 'Clicked, not active' },
];

export function Reports({ isAdmin }: { isAdmin: boolean }) {
  const [filters, setFilters] = useState({ batch: '', status: '', department: '', from: '', to: '', search: '' });
  const [debouncedSearch, setDebouncedSearch] = useState('');
  const [days, setDays] = useState<number>(30);
  useEffect(() => {
    const t = setTimeout(() => setDebouncedSearch(filters.search), 250);
    return () => clearTimeout(t);
  }, [filters.search]);
  // The tiles ask once typing pauses; the export and the report email take the filters as they are
  // now, so a click right after typing exports what was typed (the tiles catch up a moment later).
  const exportQuery = query(filters);

  const {
    data: report,
    error,
    reload,
  } = useApi<ReportAnswer>(`/api/admin/reports${query({ ...filters, search: debouncedSearch, days })}`, {
    refreshMs: LIVE_REFRESH_MS,
  });

  const excluded = report?.byStatus.Excluded ?? 0;
  const set = (k: keyof typeof filters) => (e: { target: { value: string } }) => setFilters({ ...filters, [k]: e.target.value });

  return (
    <section aria-labelledby="reports-title">
      <h1 id="reports-title">Reports</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Report filters">
        <label>
          Batch
          <select value={filters.batch} onChange={set('batch')}>
            <option value="">All batches</option>
            {report?.filters.batches.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={filters.status} onChange={set('status')}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Department
          <select value={filters.department} onChange={set('department')}>
            <option value="">All departments</option>
            {report?.filters.departments.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </label>
        <label>
          Uploaded from
          <input type="date" value={filters.from} onChange={set('from')} />
        </label>
        <label>
          Uploaded to
          <input type="date" value={filters.to} onChange={set('to')} />
        </label>
        <label>
          Search
          <input type="search" placeholder="UPN, name or department" value={filters.search} onChange={set('search')} />
        </label>
        <a className="button" href={`/api/admin/reports/export.csv${exportQuery}`} download>
          Export CSV
        </a>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {report && (
        <>
          <div className="tiles">
            <div className="tile">
              <span className="label">Tracked users</span>
              <span className="value">{report.total.toLocaleString()}</span>
            </div>
            <div className="tile">
              <span className="label">Completion</span>
              <span className="value">{report.completionRate}%</span>
              <div className="bar" role="progressbar" aria-valuenow={report.completionRate} aria-valuemin={0} aria-valuemax={100} aria-label="Completion rate">
                <div className="fill" style={{ width: `${report.completionRate}%` }} />
              </div>
              <span className="muted small">
                of the {(report.total - excluded).toLocaleString()} users who can be invited; {report.completionOfAll}% of all {report.total.toLocaleString()}
              </span>
            </div>
            <div className="tile">
              <span className="label">Needs attention</span>
              <span className="value">{(excluded + (report.byStatus.Overdue ?? 0) + (report.byStatus.Error ?? 0)).toLocaleString()}</span>
              <span className="muted">
                <a href="#/users?status=Excluded">Cannot be invited {excluded.toLocaleString()}</a> ·{' '}
                <a href="#/users?status=Overdue">Overdue {report.byStatus.Overdue ?? 0}</a> ·{' '}
                <a href="#/users?status=Error">Error {report.byStatus.Error ?? 0}</a>
              </span>
              {report.excludedReasons.length > 0 && (
                <ul className="muted small reasons">
                  {report.excludedReasons.map((r) => (
                    <li key={r.reason}>
                      {r.count.toLocaleString()} {r.reason}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          </div>
          <RunCard isAdmin={isAdmin} />
          {isAdmin && <SendReport filters={filters} />}
          <h2>By status</h2>
          <div className="table-wrap">
            <table className="data compact">
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Users
                  </th>
                </tr>
              </thead>
              <tbody>
                {STATUSES.map((s) => (
                  <tr key={s}>
                    <td>
                      <span className={`status st-${s}`}>{s}</span> <span className="muted small">{STATUS_TEXT[s]}</span>
                    </td>
                    <td className="num">{(report.byStatus[s] ?? 0).toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="chart-head">
            <h2>Progress over time</h2>
            <label>
              Range
              <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
                {RANGES.map((n) => (
                  <option key={n} value={n}>
                    Last {n} days
                  </option>
                ))}
              </select>
            </label>
          </div>
          <ActivityChart days={report.activity} />
          <h2>Funnel over time</h2>
          <p className="muted small">
            Users invited, opened and enrolled by the end of each day: the whole campaign, over the same days; the filters above do not apply.
          </p>
          <FunnelChart days={days} />
          <h2>Needs attention</h2>
          <div className="attention">
            {ATTENTION.map(({ key, label }) => {
              const list = report.needsAttention[key];
              return (
                <div key={key} className="card">
                  <h3>
                    {label}: {list.count.toLocaleString()}
                  </h3>
                  {list.users.length > 0 && (
                    <ul>
                      {list.users.map((u) => (
                        <li key={u.id}>
                          <a href={`#/users/${u.id}`}>{u.upn}</a>{' '}
                          <span className="muted">
                            {u.status_reason ?? u.invite_status}
                            {u.invite_sent_date ? `, ${plural(u.reminder_count, 'reminder')}` : ''}
                          </span>
                        </li>
                      ))}
                    </ul>
                  )}
                  {list.count > list.users.length && <p className="muted small">The longest-waiting {list.users.length} are listed.</p>}
                </div>
              );
            })}
          </div>
          <h2>Per batch</h2>
          <div className="table-wrap">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Batch</th>
                  <th scope="col" className="num">
                    Users
                  </th>
                  <th scope="col" className="num">
                    Active
                  </th>
                  <th scope="col" className="num">
                    Not found in directory
                  </th>
                  <th scope="col" className="num">
                    Disabled
                  </th>
                  <th scope="col" className="num">
                    Excluded in all
                  </th>
                  <th scope="col">Completion</th>
                  {isAdmin && <th scope="col">Invitations</th>}
                </tr>
              </thead>
              <tbody>
                {report.perBatch.map((b) => (
                  <tr key={b.batchId ?? '(none)'}>
                    <td>{b.batchId ?? '(none)'}</td>
                    <td className="num">{b.total.toLocaleString()}</td>
                    <td className="num">{b.active.toLocaleString()}</td>
                    <td className="num">
                      {b.notFound > 0 ? <a href={`#/users?status=Excluded&batch=${encodeURIComponent(b.batchId ?? '')}`}>{b.notFound.toLocaleString()}</a> : 0}
                    </td>
                    <td className="num">{b.disabled.toLocaleString()}</td>
                    <td className="num">{b.excluded.toLocaleString()}</td>
                    <td>
                      <div className="bar small" aria-hidden="true">
                        <div className="fill" style={{ width: `${b.completionRate}%` }} />
                      </div>{' '}
                      {b.completionRate}%
                    </td>
                    {isAdmin && <td>{b.batchId !== null && <PauseButton batch={b.batchId} paused={b.paused} onChanged={reload} />}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

/** Pauses or resumes a batch's invitations (the run leaves a paused batch's users alone). */
function PauseButton({ batch, paused, onChanged }: { batch: string; paused: boolean; onChanged: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    setBusy(true);
    try {
      await api<BatchPaused>(`/api/admin/batches/${paused ? 'resume' : 'pause'}`, { method: 'POST', body: { batch } });
      await onChanged();
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" className="small" onClick={() => void toggle()} disabled={busy} aria-label={`${paused ? 'Resume' : 'Pause'} batch ${batch}`}>
      {paused ? 'Paused: resume' : 'Pause'}
    </button>
  );
}

/** The run summary's counts in words, the ones that happened: "3 invited, 1 reminded". */
const RUN_WORDS: Array<[string, string]> = [
  ['invited', 'invited'],
  ['reminded', 'reminded'],
  ['escalated', 'escalated to their manager'],
  ['activated', 'became Active'],
  ['excluded', 'excluded'],
  ['overdue', 'became Overdue'],
  ['failed', 'left for the next run (directory unavailable)'],
  ['errored', 'in Error'],
];

function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The invitation run: when it runs next, what the last run did, and (admins) "Run invitations now". */
function RunCard({ isAdmin }: { isAdmin: boolean }) {
  const { data: run, reload } = useApi<CampaignRun>('/api/admin/campaign/run', { refreshMs: LIVE_REFRESH_MS });
  const [message, setMessage] = useState<string | null>(null);
  if (!run) return null;
  const runNow = async () => {
    try {
      const answer = await api<CampaignRun>('/api/admin/campaign/run', { method: 'POST' });
      setMessage(answer.triggered ? 'A run starts in a moment.' : 'No run could be started here.');
      await reload();
    } catch (err) {
      setMessage(err instanceof ApiError ? err.message : 'Could not start a run');
    }
  };
  const last = run.lastSummary;
  const did = last
    ? RUN_WORDS.filter(([k]) => (last.summary[k] ?? 0) > 0)
        .map(([k, words]) => `${(last.summary[k] ?? 0).toLocaleString()} ${words}`)
        .join(', ') || 'nothing to do'
    : null;
  return (
    <div className="card run">
      <h2>Invitation run</h2>
      {!run.available ? (
        <p className="muted">The invitation run does not run in this process.</p>
      ) : (
        <ul className="plain">
          <li>{run.running ? 'Running now.' : run.nextRunAt ? `Next run: ${when(run.nextRunAt)}.` : 'No run scheduled.'}</li>
          <li>
            {last
              ? `Last run: ${when(last.finishedAt)}, looked at ${plural(last.summary.processed ?? 0, 'user')}: ${did}.`
              : run.lastFinishedAt
                ? `Last run: ${when(run.lastFinishedAt)}.`
                : 'No run yet since this instance started.'}
          </li>
          {run.lastError && <li className="error">The last attempt failed: {run.lastError}</li>}
        </ul>
      )}
      {isAdmin && run.available && (
        <p className="actions">
          <button type="button" onClick={() => void runNow()} disabled={run.running}>
            Run invitations now
          </button>
          {message && (
            // biome-ignore lint/a11y/useSemanticElements: a one-line live message, announced as a status
            <span role="status">{message}</span>
          )}
        </p>
      )}
    </div>
  );
}

type ReportFilters = { batch: string; status: string; department: string; from: string; to: string; search: string };

/** The filters in words, for saying what the report covers ("batch wave-1, department Sales"); empty: none. */
function filtersText(f: ReportFilters): string {
  return [
    f.batch && `batch ${f.batch}`,
    f.status && `status ${f.status}`,
    f.department && `department ${f.department}`,
    f.from && `uploaded from ${f.from}`,
    f.to && `uploaded to ${f.to}`,
    f.search && `matching “${f.search}”`,
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * "Send report now": the report email, with the CSV attached, of the users the filters select (or of
 * the whole campaign without filters), to the usual recipients or the ones typed here.
 */
function SendReport({ filters }: { filters: ReportFilters }) {
  const [recipients, setRecipients] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const list = recipients.split(/[\s,;]+/).filter(Boolean);
  const invalid = list.filter((a) => !isValidAddress(a));
  const covers = filtersText(filters);
  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (invalid.length > 0) return;
    setBusy(true);
    setOutcome(null);
    const scope = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== ''));
    try {
      const res = await api<ReportSent>('/api/admin/reports/send', { method: 'POST', body: list.length > 0 ? { recipients: list, ...scope } : scope });
      setOutcome({
        ok: true,
        text: `Report of ${res.scope ? `the users of ${res.scope}` : 'the whole campaign'} (${plural(res.total, 'user')}) sent to ${res.recipients.join(', ')}.`,
      });
    } catch (err) {
      setOutcome({ ok: false, text: err instanceof ApiError ? err.message : 'Sending failed' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="filters send-report" onSubmit={(e) => void send(e)} aria-label="Send report now">
      <label>
        Report recipients
        <input
          type="text"
          value={recipients}
          onChange={(e) => setRecipients(e.target.value)}
          placeholder="Empty: the usual recipients"
          aria-describedby="send-report-scope"
          aria-invalid={invalid.length > 0}
        />
      </label>
      <button type="submit" disabled={busy || invalid.length > 0}>
        Send report now
      </button>
      <p id="send-report-scope" className="muted small">
        {invalid.length > 0 ? (
          <span className="error">Not an email address: {invalid.join(', ')}</span>
        ) : covers ? (
          `Sends the report and CSV of the users these filters select (${covers}), not the whole campaign.`
        ) : (
          'Sends the report and CSV of the whole campaign (no filters are set).'
        )}
      </p>
      {outcome && (
        <p role={outcome.ok ? 'status' : 'alert'} className={outcome.ok ? 'ok' : 'error'}>
          {outcome.text}
        </p>
      )}
    </form>
  );
}

/** The chart's time ranges, in days of activity (the API takes 1-366). */
const RANGES = [7, 30, 90, 365] as const;

/** The four milestones per day, drawn by the portal's one line chart. */
function ActivityChart({ days }: { days: DayActivity[] }) {
  return (
    <DayLineChart
      days={days.map((d) => d.day)}
      series={SERIES.map((s) => ({ key: s.key, label: s.label, className: s.className, values: days.map((d) => d[s.key]) }))}
      unit="Users"
      caption="Users per day"
    />
  );
}

const FUNNEL = [
  { key: 'invited', label: 'Invited', className: 's-invited' },
  { key: 'opened', label: 'Opened', className: 's-opened' },
  { key: 'enrolled', label: 'Enrolled', className: 's-activated' },
] as const;

/** Running totals per day (from the fleet's read of the campaign), drawn by the same line chart. */
function FunnelChart({ days }: { days: number }) {
  const { data, error } = useApi<FunnelAnswer>(`/api/fleet/onboarding/funnel${query({ days })}`, { refreshMs: LIVE_REFRESH_MS });
  if (error)
    return (
      <p role="alert" className="error">
        {error}
      </p>
    );
  if (!data) return null;
  return (
    <DayLineChart
      days={data.days.map((d) => d.day)}
      series={FUNNEL.map((s) => ({ ...s, values: data.days.map((d) => d[s.key]) }))}
      unit="Users"
      caption="Users invited, opened and enrolled by each day"
      legendTotals={false}
    />
  );
}
