import { useEffect, useState } from 'react';
import type { DeviceFilterChoices, DevicesPage, DeviceView } from '../../../src/fleet/devices.schemas.ts';
import { query } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';
import { differing, EXPECTED_MEANS, packageLabel, version, when } from './packages.ts';

const COLUMNS: Array<{ key: string; label: string; sort: string }> = [
  { key: 'hostname', label: 'Host name', sort: 'hostname' },
  { key: 'upn', label: 'User', sort: 'upn' },
  { key: 'os', label: 'OS', sort: 'operating_system' },
  { key: 'model', label: 'Model', sort: 'device_model' },
  { key: 'seen', label: 'Last seen (UTC)', sort: 'last_seen_at' },
  { key: 'boot', label: 'Last boot', sort: 'system_boot_time' },
  { key: 'logon', label: 'Last logon', sort: 'last_logon_time' },
  { key: 'reboot', label: 'Pending reboot', sort: 'pending_reboot' },
  { key: 'compliant', label: 'Compliant', sort: 'compliant' },
  { key: 'packages', label: 'Packages: applied vs expected', sort: 'out_of_date' },
];
const PAGE = 50;

/** A day count typed into a filter, as the API takes it (whole days, 1-3660), or nothing. */
const days = (text: string) => (/^[1-9][0-9]{0,3}$/.test(text.trim()) ? text.trim() : undefined);

export function devicePath(d: { hostname: string; upn: string }): string {
  return `#/fleet/devices/${encodeURIComponent(d.hostname)}/${encodeURIComponent(d.upn)}`;
}

/** The packages cell: up to date, or which packages differ (applied → expected), or never served. */
export function PackageSummary({ device }: { device: DeviceView }) {
  if (!device.outOfDate) return <span className="status st-Active">Up to date</span>;
  if (device.servedManifestVersion === null) return <span className="status st-Error">Out of date: never served a manifest</span>;
  const late = differing(device.packages);
  return (
    <>
      <span className="status st-Error">Out of date</span>{' '}
      <span className="small">{late.map((p) => `${packageLabel(p.package)} ${version(p.applied)} → ${version(p.expected)}`).join('; ')}</span>
    </>
  );
}

export function Devices() {
  const [search, setSearch] = useState('');
  const [debounced, setDebounced] = useState('');
  const [os, setOs] = useState('');
  const [model, setModel] = useState('');
  const [staleDays, setStaleDays] = useState('');
  const [notRebootedDays, setNotRebootedDays] = useState('');
  const [flags, setFlags] = useState({ nonCompliant: false, pendingReboot: false, outOfDate: false });
  const [sort, setSort] = useState({ column: 'hostname', desc: false });
  const [offset, setOffset] = useState(0);
  const { data: choices } = useApi<DeviceFilterChoices>('/api/fleet/devices/filters');
  useEffect(() => {
    const t = setTimeout(() => setDebounced(search), 250);
    return () => clearTimeout(t);
  }, [search]);
  const filters = {
    search: debounced.trim(),
    os,
    model,
    staleDays: days(staleDays),
    notRebootedDays: days(notRebootedDays),
    nonCompliant: flags.nonCompliant ? 'true' : undefined,
    pendingReboot: flags.pendingReboot ? 'true' : undefined,
    outOfDate: flags.outOfDate ? 'true' : undefined,
  };
  const filterKey = query(filters);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new filter or sort starts at the first page again
  useEffect(() => setOffset(0), [filterKey, sort]);
  const { data, error } = useApi<DevicesPage>(`/api/fleet/devices${query({ ...filters, sort: sort.column, desc: sort.desc, offset, limit: PAGE })}`);
  // The export takes the filters as typed now (not the debounced search), so it exports what the admin sees asked for.
  const exportQuery = query({ ...filters, search: search.trim() });
  const toggleSort = (column: string) => setSort((s) => (s.column === column ? { column, desc: !s.desc } : { column, desc: false }));
  const flag = (key: keyof typeof flags, label: string) => (
    <label className="check">
      <input type="checkbox" checked={flags[key]} onChange={(e) => setFlags({ ...flags, [key]: e.target.checked })} /> {label}
    </label>
  );

  return (
    <section aria-labelledby="devices-title">
      <h1 id="devices-title">Devices</h1>
      <p className="muted small">{EXPECTED_MEANS} A device is one host name with one user: a shared PC appears once per user who signed in.</p>
      {/* biome-ignore lint/a11y/useSemanticElements: <search> is too new for the browsers admins may use */}
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input type="search" placeholder="Start of host name or UPN" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <label>
          Operating system
          <select value={os} onChange={(e) => setOs(e.target.value)}>
            <option value="">Any</option>
            {choices?.operatingSystems.map((o) => (
              <option key={o} value={o}>
                {o || '(not reported)'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Model
          <select value={model} onChange={(e) => setModel(e.target.value)}>
            <option value="">Any</option>
            {choices?.models.map((m) => (
              <option key={m} value={m}>
                {m || '(not reported)'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Not seen for (days)
          <input type="number" min={1} max={3660} inputMode="numeric" value={staleDays} onChange={(e) => setStaleDays(e.target.value)} />
        </label>
        <label>
          Not rebooted for (days)
          <input type="number" min={1} max={3660} inputMode="numeric" value={notRebootedDays} onChange={(e) => setNotRebootedDays(e.target.value)} />
        </label>
        {flag('nonCompliant', 'Non-compliant')}
        {flag('pendingReboot', 'Pending reboot')}
        {flag('outOfDate', 'Out of date')}
        <a className="button" href={`/api/fleet/devices/export.csv${exportQuery}`} download>
          Export CSV
        </a>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="table-wrap">
        <table className="data">
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c.key} scope="col" aria-sort={sort.column === c.sort ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
                  <button type="button" className="sort" onClick={() => toggleSort(c.sort)}>
                    {c.label} {sort.column === c.sort ? (sort.desc ? '▼' : '▲') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data?.devices.map((d) => (
              <tr key={`${d.hostname}\n${d.upn}`}>
                <td>
                  <a href={devicePath(d)}>{d.hostname}</a>
                </td>
                <td>{d.upn}</td>
                <td>{d.operatingSystem}</td>
                <td>{d.deviceModel}</td>
                <td>{when(d.lastSeenAt)}</td>
                <td>{when(d.lastBootAt)}</td>
                <td>{when(d.lastLogonAt)}</td>
                <td>{d.pendingReboot ? 'Yes' : 'No'}</td>
                <td>{d.compliant ? 'Yes' : <span className="error">No</span>}</td>
                <td>
                  <PackageSummary device={d} />
                </td>
              </tr>
            ))}
            {data && data.devices.length === 0 && (
              <tr>
                <td colSpan={COLUMNS.length} className="muted">
                  No devices match.
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
