import { useEffect, useState } from 'react';
import type { BulkDone, UserDetail, UserFilters, UserResent, UsersPage } from '../../../src/onboarding/admin.schemas.ts';
import { api, ApiError, query } from '../api/client.ts';
import { LIVE_REFRESH_MS, useApi } from '../api/use-api.ts';
import { STATUSES } from './statuses.ts';
import { actorText, eventSentence } from './timeline.ts';
import { PersonFleet } from '../fleet/Person.tsx';

const COLUMNS: Array<{ key: string; label: string; sort?: string }> = [
  { key: 'upn', label: 'User', sort: 'upn_key' },
  { key: 'displayName', label: 'Name', sort: 'display_name' },
  { key: 'department', label: 'Department', sort: 'department' },
  { key: 'status', label: 'Status', sort: 'invite_status' },
  { key: 'batchId', label: 'Batch', sort: 'source_batch_id' },
  { key: 'reminderCount', label: 'Reminders', sort: 'reminder_count' },
  { key: 'updatedAt', label: 'Updated', sort: 'updated_at' },
];
const PAGE = 50;

function hashParams(): URLSearchParams {
  const i = window.location.hash.indexOf('?');
  return new URLSearchParams(i >= 0 ? window.location.hash.slice(i + 1) : '');
}

const BULK: Record<BulkDone['action'], { label: string; confirm: (n: string) => string; done: (d: BulkDone) => string }> = {
  resend: {
    label: 'Resend the invitation',
    confirm: (n) => `Start a new invitation for ${n}? Their current links stop enrolling (they offer a fresh one). Active users are left as they are.`,
    done: (d) => `New invitation for ${d.changed.toLocaleString()} of ${d.selected.toLocaleString()}; the next run sends them.`,
  },
  exclude: {
    label: 'Leave out of the campaign (Excluded)',
    confirm: (n) => `Mark ${n} as Excluded? They get no more email.`,
    done: (d) => `${d.changed.toLocaleString()} of ${d.selected.toLocaleString()} marked Excluded.`,
  },
  remove: {
    label: 'Remove from the campaign',
    confirm: (n) => `Remove ${n} from the campaign, with their history? This cannot be undone.`,
    done: (d) => `${d.changed.toLocaleString()} removed.`,
  },
};

/** Acts on every user the filters select (all pages), after a confirmation that states the count. */
function BulkActions({ total, filter, onDone }: { total: number; filter: Record<string, string>; onDone: () => Promise<void> }) {
  const [action, setAction] = useState<BulkDone['action']>('resend');
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const who = `${total.toLocaleString()} user${total === 1 ? '' : 's'}`;
  const run = async () => {
    if (!window.confirm(BULK[action].confirm(who))) return;
    setBusy(true);
    setOutcome(null);
    try {
      const scope = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== ''));
      const done = await api<BulkDone>('/api/admin/users/bulk', { method: 'POST', body: { action, ...scope, expectedCount: total } });
      setOutcome({ ok: true, text: BULK[action].done(done) });
      await onDone();
    } catch (err) {
      setOutcome({ ok: false, text: err instanceof ApiError ? err.message : 'The action failed' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="filters bulk" aria-label="Bulk action" onSubmit={(e) => e.preventDefault()}>
      <label>
        With all {who} these filters select
        <select value={action} onChange={(e) => setAction(e.target.value as BulkDone['action'])}>
          {Object.entries(BULK).map(([key, b]) => (
            <option key={key} value={key}>
              {b.label}
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={() => void run()} disabled={busy || total === 0}>
        Apply to {who}…
      </button>
      {outcome && (
        <p role={outcome.ok ? 'status' : 'alert'} className={outcome.ok ? 'ok' : 'error'}>
          {outcome.text}
        </p>
      )}
    </form>
  );
}

export function Users({ isAdmin }: { isAdmin: boolean }) {
  const [search, setSearch] = useState('');
  const [debounced, setDebounced] = useState('');
  const [status, setStatus] = useState(() => hashParams().get('status') ?? '');
  const [batch, setBatch] = useState(() => hashParams().get('batch') ?? '');
  const [department, setDepartment] = useState(() => hashParams().get('department') ?? '');
  const { data: filters } = useApi<UserFilters>('/api/admin/users/filters');
  const [sort, setSort] = useState({ column: 'updated_at', desc: true });
  const [offset, setOffset] = useState(0);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(search), 250);
    return () => clearTimeout(t);
  }, [search]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new search, filter or sort starts at the first page again
  useEffect(() => setOffset(0), [debounced, status, batch, department, sort]);
  const { data, error, reload } = useApi<UsersPage>(
    `/api/admin/users${query({ search: debounced, status, batch, department, sort: sort.column, desc: sort.desc, offset, limit: PAGE })}`,
    { refreshMs: LIVE_REFRESH_MS },
  );

  const toggleSort = (column: string) => setSort((s) => (s.column === column ? { column, desc: !s.desc } : { column, desc: false }));

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      {/* biome-ignore lint/a11y/useSemanticElements: <search> is too new for the browsers admins may use */}
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input type="search" placeholder="UPN, name or department" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Batch
          <select value={batch} onChange={(e) => setBatch(e.target.value)}>
            <option value="">All batches</option>
            {/* A batch from a link is offered even before the list has loaded. */}
            {[...new Set([...(batch ? [batch] : []), ...(filters?.batches ?? [])])].map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </label>
        <label>
          Department
          <select value={department} onChange={(e) => setDepartment(e.target.value)}>
            <option value="">All departments</option>
            {[...new Set([...(department ? [department] : []), ...(filters?.departments ?? [])])].map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </label>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {isAdmin && data && <BulkActions total={data.total} filter={{ status, batch, department, search: debounced }} onDone={reload} />}
      <div className="table-wrap">
        <table className="data">
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c.key} scope="col" aria-sort={sort.column === c.sort ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
                  <button type="button" className="sort" onClick={() => c.sort && toggleSort(c.sort)}>
                    {c.label} {sort.column === c.sort ? (sort.desc ? '▼' : '▲') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data?.users.map((u) => (
              <tr key={u.id}>
                <td>
                  <a href={`#/users/${u.id}`}>{u.upn}</a>
                </td>
                <td>{u.displayName}</td>
                <td>{u.department}</td>
                <td>
                  <span className={`status st-${u.status}`}>{u.status}</span>
                  {u.statusReason && <span className="muted small"> {u.statusReason}</span>}
                </td>
                <td>{u.batchId}</td>
                <td className="num">{u.reminderCount}</td>
                <td>{u.updatedAt.slice(0, 16).replace('T', ' ')}</td>
              </tr>
            ))}
            {data && data.users.length === 0 && (
              <tr>
                <td colSpan={COLUMNS.length} className="muted">
                  No users match.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {data && (
        <nav className="pager" aria-label="Pages">
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Previous
          </button>
          <span aria-live="polite">
            {data.total === 0 ? 0 : offset + 1}–{Math.min(offset + PAGE, data.total)} of {data.total.toLocaleString()}
          </span>
          <button type="button" disabled={offset + PAGE >= data.total} onClick={() => setOffset(offset + PAGE)}>
            Next
          </button>
        </nav>
      )}
    </section>
  );
}

export function UserPage({ id, isAdmin }: { id: string; isAdmin: boolean }) {
  const [removed, setRemoved] = useState(false);
  // Live while shown; a removed user is not asked for again.
  const { data: detail, error: loadError, reload } = useApi<UserDetail>(removed ? null : `/api/admin/users/${id}`, { refreshMs: LIVE_REFRESH_MS });
  const [message, setMessage] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const data = removed ? undefined : detail;
  const error = actionError ?? loadError;

  const resend = async () => {
    if (!data || !window.confirm(`Start a new invitation for ${data.user.upn}? The old link stops working.`)) return;
    try {
      const res = await api<UserResent>(`/api/admin/users/${id}/resend`, { method: 'POST' });
      // The new cycle's events are on screen before the message that announces it.
      await reload();
      setMessage(`Back to ${res.user.status}: the next invitation run sends a new link.`);
    } catch (e) {
      setActionError((e as Error).message);
    }
  };

  const remove = async () => {
    if (!data || !window.confirm(`Remove ${data.user.upn} from the campaign? Its history is deleted too.`)) return;
    try {
      await api(`/api/admin/users/${id}`, { method: 'DELETE' });
      setMessage('Removed from the campaign.');
      setRemoved(true);
    } catch (e) {
      setActionError((e as Error).message);
    }
  };

  return (
    <section aria-labelledby="user-title">
      <p>
        <a href="#/users">← Users</a>
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {message && (
        // biome-ignore lint/a11y/useSemanticElements: a one-line live message, announced as a status
        <p role="status" className="ok">
          {message}
        </p>
      )}
      {data && (
        <>
          <h1 id="user-title">{data.user.displayName ?? data.user.upn}</h1>
          <dl className="facts">
            <dt>UPN</dt>
            <dd>{data.user.upn}</dd>
            <dt>Status</dt>
            <dd>
              <span className={`status st-${data.user.status}`}>{data.user.status}</span> {data.user.statusReason}
            </dd>
            <dt>MFA</dt>
            <dd>{data.user.mfaRegistrationState}</dd>
            <dt>Department</dt>
            <dd>{data.user.department}</dd>
            <dt>Job title</dt>
            <dd>{data.user.jobTitle}</dd>
            <dt>Manager</dt>
            <dd>{data.user.managerUpn}</dd>
            <dt>Batch</dt>
            <dd>{data.user.batchId}</dd>
            <dt>Reminders</dt>
            <dd>{data.user.reminderCount}</dd>
          </dl>
          {isAdmin && (
            <div className="actions">
              <button type="button" onClick={() => void resend()}>
                Resend now
              </button>
              <button type="button" className="danger" onClick={() => void remove()}>
                Remove from campaign
              </button>
            </div>
          )}
          <h2>Timeline</h2>
          <ol className="timeline">
            {data.timeline.map((e, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: events have no id; the timeline is rendered whole and never reordered
              <li key={i}>
                <time dateTime={e.at}>{e.at.slice(0, 19).replace('T', ' ')} UTC</time>
                <span className="event">{eventSentence(e.type, e.detail)}</span>
                <span className="muted">{actorText(e.actor)}</span>
              </li>
            ))}
          </ol>
          <PersonFleet upn={data.user.upn} />
        </>
      )}
    </section>
  );
}
