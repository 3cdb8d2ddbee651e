import { useEffect, useState } from 'react';
import { api, query } from './api.ts';

interface Report {
  total: number;
  byStatus: Record<string, number>;
  completionRate: number;
  perBatch: Array<{ batch: string | null; total: number; active: number }>;
  activity: { since: string; invited: Day[]; opened: Day[]; clicked: Day[]; activated: Day[] };
  filters: { batches: string[]; departments: string[] };
}
interface Day {
  day: string;
  n: number;
}

const STATUSES = ['Pending', 'Sent', 'Clicked', 'AddedToGroup', 'Active', 'Excluded', 'Overdue', 'Error'];
const SERIES: Array<{ key: 'invited' | 'opened' | 'clicked' | 'activated'; label: string; className: string }> = [
  { key: 'invited', label: 'Invited', className: 's-invited' },
  { key: 'opened', label: 'Opened', className: 's-opened' },
  { key: 'clicked', label: 'Clicked', className: 's-clicked' },
  { key: 'activated', label: 'Active', className: 's-activated' },
];

export function Reports(_props: { isAdmin: boolean }) {
  const [filters, setFilters] = useState({ batch: '', department: '', from: '', to: '' });
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stale = false;
    api<Report>(`/api/admin/reports${query(filters)}`).then(
      (r) => !stale && setReport(r),
      (e: Error) => !stale && setError(e.message),
    );
    return () => {
      stale = true;
    };
  }, [filters]);

  const set = (k: keyof typeof filters) => (e: { target: { value: string } }) => setFilters({ ...filters, [k]: e.target.value });

  return (
    <section aria-labelledby="reports-title">
      <h1 id="reports-title">Reports</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Report filters">
        <label>
          Batch
          <select value={filters.batch} onChange={set('batch')}>
            <option value="">All batches</option>
            {report?.filters.batches.map((b) => <option key={b} value={b}>{b}</option>)}
          </select>
        </label>
        <label>
          Department
          <select value={filters.department} onChange={set('department')}>
            <option value="">All departments</option>
            {report?.filters.departments.map((d) => <option key={d} value={d}>{d}</option>)}
          </select>
        </label>
        <label>
          Uploaded from
          <input type="date" value={filters.from} onChange={set('from')} />
        </label>
        <label>
          to
          <input type="date" value={filters.to} onChange={set('to')} />
        </label>
        <a className="button" href={`/api/admin/reports/export.csv${query({ batch: filters.batch })}`} download>Export CSV</a>
      </form>
      {error && <p role="alert" className="error">{error}</p>}
      {report && (
        <>
          <div className="tiles">
            <div className="tile"><span className="label">Tracked users</span><span className="value">{report.total.toLocaleString()}</span></div>
            <div className="tile"><span className="label">Completion</span><span className="value">{report.completionRate}%</span>
              <div className="bar" role="progressbar" aria-valuenow={report.completionRate} aria-valuemin={0} aria-valuemax={100} aria-label="Completion rate">
                <div className="fill" style={{ width: `${report.completionRate}%` }} />
              </div>
            </div>
            <div className="tile"><span className="label">Needs attention</span><span className="value">{(report.byStatus.Overdue ?? 0) + (report.byStatus.Error ?? 0)}</span>
              <span className="muted"><a href="#/users?status=Overdue">Overdue {report.byStatus.Overdue ?? 0}</a> · <a href="#/users?status=Error">Error {report.byStatus.Error ?? 0}</a></span>
            </div>
          </div>
          <h2>By status</h2>
          <table className="data compact">
            <thead><tr><th scope="col">Status</th><th scope="col" className="num">Users</th></tr></thead>
            <tbody>
              {STATUSES.map((s) => (
                <tr key={s}><td><span className={`status st-${s}`}>{s}</span></td><td className="num">{(report.byStatus[s] ?? 0).toLocaleString()}</td></tr>
              ))}
            </tbody>
          </table>
          <h2>Progress over time</h2>
          <ActivityChart activity={report.activity} />
          <h2>Per batch</h2>
          <table className="data">
            <thead><tr><th scope="col">Batch</th><th scope="col" className="num">Users</th><th scope="col" className="num">Active</th><th scope="col">Completion</th></tr></thead>
            <tbody>
              {report.perBatch.map((b) => {
                const rate = b.total === 0 ? 0 : Math.round((b.active / b.total) * 100);
                return (
                  <tr key={b.batch ?? '(none)'}>
                    <td>{b.batch ?? '(none)'}</td>
                    <td className="num">{b.total.toLocaleString()}</td>
                    <td className="num">{b.active.toLocaleString()}</td>
                    <td><div className="bar small" aria-label={`${rate}%`}><div className="fill" style={{ width: `${rate}%` }} /></div> {rate}%</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

/** Plain SVG line chart of the four milestones per day. */
function ActivityChart({ activity }: { activity: Report['activity'] }) {
  const days: string[] = [];
  const start = Date.parse(`${activity.since}T00:00:00Z`);
  for (let t = start; t <= Date.now(); t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  const series = SERIES.map((s) => {
    const byDay = new Map(activity[s.key].map((d) => [d.day, d.n]));
    return { ...s, values: days.map((d) => byDay.get(d) ?? 0) };
  });
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const W = 720, H = 220, P = 32;
  const x = (i: number) => P + (i * (W - 2 * P)) / Math.max(1, days.length - 1);
  const y = (v: number) => H - P - (v * (H - 2 * P)) / max;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Invitations, opens, clicks and activations per day since ${activity.since}`}>
        <line x1={P} y1={H - P} x2={W - P} y2={H - P} className="axis" />
        <line x1={P} y1={P} x2={P} y2={H - P} className="axis" />
        <text x={P - 6} y={P + 4} textAnchor="end" className="tick">{max}</text>
        <text x={P - 6} y={H - P + 4} textAnchor="end" className="tick">0</text>
        <text x={P} y={H - 8} className="tick">{days[0]}</text>
        <text x={W - P} y={H - 8} textAnchor="end" className="tick">{days[days.length - 1]}</text>
        {series.map((s) => (
          <polyline key={s.key} className={`series ${s.className}`} points={s.values.map((v, i) => `${x(i)},${y(v)}`).join(' ')} />
        ))}
      </svg>
      <figcaption className="legend">
        {series.map((s) => (
          <span key={s.key}><span className={`swatch ${s.className}`} aria-hidden="true" /> {s.label} ({s.values.reduce((a, b) => a + b, 0)})</span>
        ))}
      </figcaption>
    </figure>
  );
}
