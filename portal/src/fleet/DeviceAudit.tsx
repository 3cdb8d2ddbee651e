import { useEffect, useState } from 'react';
import type { DeviceCall, DeviceCallPage } from '../../../src/fleet/people.schemas.ts';
import { query } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';
import { Alert } from '../signatures/shared.tsx';
import { personLink } from './Person.tsx';

const PAGE = 100;
const EMPTY = { refused: false, code: '', route: '', identity: '', from: '', to: '' };

/** A datetime-local value (the browser's own time) as the UTC instant the API takes. */
const toUtc = (local: string) => (local ? new Date(local).toISOString() : '');

/** The device listener's audit log: who called what, and each refused call's reason. */
export function DeviceAudit() {
  const [form, setForm] = useState(EMPTY);
  const [filters, setFilters] = useState(EMPTY);
  const [beforeId, setBeforeId] = useState<number | undefined>(undefined);
  const path = `/api/fleet/device-calls${query({
    refused: filters.refused ? 'true' : undefined,
    code: filters.code,
    route: filters.route,
    identity: filters.identity,
    from: toUtc(filters.from),
    to: toUtc(filters.to),
    beforeId,
    limit: PAGE,
  })}`;
  const { data, error } = useApi<DeviceCallPage>(path);
  const [calls, setCalls] = useState<DeviceCall[]>([]);
  useEffect(() => {
    if (!data) return;
    // Older pages are appended; merged by id, newest first, so an answer applied twice adds nothing twice.
    setCalls((shown) =>
      beforeId === undefined ? data.items : [...new Map([...shown, ...data.items].map((c) => [c.id, c])).values()].sort((a, b) => b.id - a.id),
    );
  }, [data, beforeId]);
  const set = (k: keyof typeof EMPTY) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const apply = (next: typeof EMPTY) => {
    setFilters(next);
    setBeforeId(undefined);
  };
  return (
    <section aria-labelledby="device-audit-title">
      <h1 id="device-audit-title">Device calls</h1>
      <p className="muted">
        Every call to the device listener (mTLS gateway): which certificate identity called which route, and why a refused call was refused. Certificates seen
        are on <a href="#/fleet/certificates">Certificates</a>.
      </p>
      <form
        className="filters"
        aria-label="Device call filters"
        onSubmit={(e) => {
          e.preventDefault();
          apply(form);
        }}
      >
        <label className="check">
          <input type="checkbox" checked={form.refused} onChange={(e) => setForm({ ...form, refused: e.target.checked })} /> Refused only
        </label>
        <label>
          Reason
          <select value={form.code} onChange={set('code')}>
            <option value="">Any reason</option>
            {data?.refusals.map((r) => (
              <option key={r.code} value={r.code}>
                {r.meaning} ({r.calls.toLocaleString()})
              </option>
            ))}
          </select>
        </label>
        <label>
          Route
          <input type="text" value={form.route} placeholder="/api/beacon" onChange={set('route')} />
        </label>
        <label>
          Identity
          <input type="text" value={form.identity} placeholder="UPN or thumbprint" onChange={set('identity')} />
        </label>
        <label>
          From
          <input type="datetime-local" value={form.from} onChange={set('from')} />
        </label>
        <label>
          To
          <input type="datetime-local" value={form.to} onChange={set('to')} />
        </label>
        <button type="submit">Apply</button>
        <button
          type="button"
          onClick={() => {
            setForm(EMPTY);
            apply(EMPTY);
          }}
        >
          Clear
        </button>
      </form>
      <Alert text={error} />
      {data?.detailsHidden && <p className="muted small">Addresses are shown to admins only (fleet.viewersSeePersonalDetails).</p>}
      <div className="table-wrap">
        <table className="data" aria-labelledby="device-audit-title">
          <thead>
            <tr>
              <th scope="col">When (UTC)</th>
              <th scope="col">Identity</th>
              <th scope="col">Call</th>
              <th scope="col" className="num">
                Status
              </th>
              <th scope="col">Refused because</th>
              {!data?.detailsHidden && <th scope="col">From</th>}
            </tr>
          </thead>
          <tbody>
            {calls.map((c) => (
              <tr key={c.id} className={c.code ? 'row-error' : undefined}>
                <td>{c.at.slice(0, 19).replace('T', ' ')}</td>
                <td>
                  {c.upn ? <a href={personLink(c.upn)}>{c.upn}</a> : <span className="muted">(no certificate)</span>}
                  {c.thumbprint && (
                    <>
                      {' '}
                      <code className="hash" title={c.thumbprint}>
                        {c.thumbprint.slice(0, 8)}
                      </code>
                    </>
                  )}
                </td>
                <td>
                  {c.method} {c.route}
                </td>
                <td className="num">{c.status}</td>
                <td>{c.reason}</td>
                {!data?.detailsHidden && <td>{c.ip}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data && calls.length === 0 && <p className="muted">No call matches.</p>}
      {data?.nextBeforeId && (
        <button type="button" onClick={() => setBeforeId(data.nextBeforeId!)}>
          Older calls
        </button>
      )}
    </section>
  );
}
