import { useEffect, useState, type FormEvent } from 'react';
import type { AttentionKind, DayActivity, ReportAnswer, ReportSent } from '../../../src/onboarding/admin.schemas.ts';
import { api, ApiError, query } from '../api/client.ts';
import { LIVE_REFRESH_MS, useApi } from '../api/use-api.ts';
import { STATUSES } from './statuses.ts';

const SERIES: Array<{ key: keyof Omit<DayActivity, 'day'>; label: string; className: string }> = [
  { key: 'invites', label: 'Invited', className: 's-invited' },
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

/** "1 reminder", "2 reminders". */
export function plural(n: number, word: string): string {
  return `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`;
}

export function Reports({ isAdmin }: { isAdmin: boolean }) {
  const [filters, setFilters] = useState({ batch: '', status: '', department: '', from: '', to: '', search: '' });
  const [debouncedSearch, setDebouncedSearch] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setDebouncedSearch(filters.search), 250);
    return () => clearTimeout(t);
  }, [filters.search]);
  // The tiles and the CSV export take the same scope, so the export holds exactly the users counted here.
  const scope = { ...filters, search: debouncedSearch };
  const scopeQuery = query(scope);

  const { data: report, error } = useApi<ReportAnswer>(`/api/admin/reports${scopeQuery}`, { refreshMs: LIVE_REFRESH_MS });

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
        <a className="button" href={`/api/admin/reports/export.csv${scopeQuery}`} download>
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
          {isAdmin && <SendReport />}
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
                      <span className={`status st-${s}`}>{s}</span>
                    </td>
                    <td className="num">{(report.byStatus[s] ?? 0).toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>Progress over time</h2>
          <ActivityChart days={report.activity} />
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

/** "Send report now": the scheduled admin report email, to the configured recipients or the ones typed here. */
function SendReport() {
  const [recipients, setRecipients] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const send = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setOutcome(null);
    const list = recipients.split(/[\s,;]+/).filter(Boolean);
    try {
      const res = await api<ReportSent>('/api/admin/reports/send', { method: 'POST', body: list.length > 0 ? { recipients: list } : {} });
      setOutcome({ ok: true, text: `Report sent to ${res.recipients.join(', ')}.` });
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
        <input type="text" value={recipients} onChange={(e) => setRecipients(e.target.value)} placeholder="default: reports.recipients" />
      </label>
      <button type="submit" disabled={busy}>
        Send report now
      </button>
      {outcome && (
        <p role={outcome.ok ? 'status' : 'alert'} className={outcome.ok ? 'ok' : 'error'}>
          {outcome.text}
        </p>
      )}
    </form>
  );
}

/** Plain SVG line chart of the four milestones per day. */
function ActivityChart({ days }: { days: DayActivity[] }) {
  const series = SERIES.map((s) => ({ ...s, values: days.map((d) => d[s.key]) }));
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const W = 720,
    H = 220,
    P = 32;
  const x = (i: number) => P + (i * (W - 2 * P)) / Math.max(1, days.length - 1);
  const y = (v: number) => H - P - (v * (H - 2 * P)) / max;
  const first = days[0]?.day ?? '';
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Invitations, opens, clicks and activations per day since ${first}`}>
        <line x1={P} y1={H - P} x2={W - P} y2={H - P} className="axis" />
        <line x1={P} y1={P} x2={P} y2={H - P} className="axis" />
        <text x={P - 6} y={P + 4} textAnchor="end" className="tick">
          {max}
        </text>
        <text x={P - 6} y={H - P + 4} textAnchor="end" className="tick">
          0
        </text>
        <text x={P} y={H - 8} className="tick">
          {first}
        </text>
        <text x={W - P} y={H - 8} textAnchor="end" className="tick">
          {days[days.length - 1]?.day}
        </text>
        {series.map((s) => (
          <polyline key={s.key} className={`series ${s.className}`} points={s.values.map((v, i) => `${x(i)},${y(v)}`).join(' ')} />
        ))}
      </svg>
      <figcaption className="legend">
        {series.map((s) => (
          <span key={s.key}>
            <span className={`swatch ${s.className}`} aria-hidden="true" /> {s.label} ({s.values.reduce((a, b) => a + b, 0)})
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
