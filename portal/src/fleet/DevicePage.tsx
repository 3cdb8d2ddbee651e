import { useState } from 'react';
import type { BeaconsPage, DeviceDetail } from '../../../src/fleet/devices.schemas.ts';
import { query } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';
import { PackageSummary } from './Devices.tsx';
import { EXPECTED_MEANS, PACKAGE_LABELS, packageLabel, version, when } from './packages.ts';

const HISTORY_PAGE = 20;

/** One device (host name + user): its facts, each package applied vs expected, and its beacons, newest first. */
export function DevicePage({ hostname, upn }: { hostname: string; upn: string }) {
  const base = `/api/fleet/devices/${encodeURIComponent(hostname)}/${encodeURIComponent(upn)}`;
  const { data, error } = useApi<DeviceDetail>(base);
  const [offset, setOffset] = useState(0);
  const { data: history, error: historyError } = useApi<BeaconsPage>(`${base}/beacons${query({ offset, limit: HISTORY_PAGE })}`);
  const device = data?.device;
  const withLocation = device !== undefined && 'location' in device;
  const fields = Object.keys(PACKAGE_LABELS);

  return (
    <section aria-labelledby="device-title">
      <p>
        <a href="#/fleet/devices">← Devices</a>
      </p>
      {(error ?? historyError) && (
        <p role="alert" className="error">
          {error ?? historyError}
        </p>
      )}
      {device && (
        <>
          <h1 id="device-title">
            {device.hostname} <span className="muted">({device.upn})</span>
          </h1>
          <dl className="facts">
            <dt>User</dt>
            <dd>{device.upn}</dd>
            <dt>Operating system</dt>
            <dd>{device.operatingSystem || '(not reported)'}</dd>
            <dt>Model</dt>
            <dd>{device.deviceModel || '(not reported)'}</dd>
            <dt>First seen</dt>
            <dd>{when(device.firstSeenAt)} UTC</dd>
            <dt>Last seen</dt>
            <dd>{when(device.lastSeenAt)} UTC</dd>
            <dt>Last boot</dt>
            <dd>{device.lastBootAt ? `${when(device.lastBootAt)} UTC` : '(not reported)'}</dd>
            <dt>Last logon</dt>
            <dd>{device.lastLogonAt ? `${when(device.lastLogonAt)} UTC` : '(not reported)'}</dd>
            <dt>Pending reboot</dt>
            <dd>{device.pendingReboot ? 'Yes' : 'No'}</dd>
            <dt>Compliant</dt>
            <dd>{device.compliant ? 'Yes' : 'No'}</dd>
            {withLocation && (
              <>
                <dt>Location</dt>
                <dd>{device.location ?? '(none sent)'}</dd>
              </>
            )}
            <dt>Manifest last served</dt>
            <dd>{device.servedAt ? `${when(device.servedAt)} UTC (version ${device.servedManifestVersion})` : 'Never'}</dd>
          </dl>
          <h2>Packages</h2>
          <p>
            <PackageSummary device={device} />
          </p>
          <p className="muted small">{EXPECTED_MEANS}</p>
          <div className="table-wrap">
            <table className="data compact">
              <caption>Applied and expected version per package</caption>
              <thead>
                <tr>
                  <th scope="col">Package</th>
                  <th scope="col">Applied (last beacon)</th>
                  <th scope="col">Expected (last served)</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {device.packages.map((p) => (
                  <tr key={p.package}>
                    <th scope="row">{packageLabel(p.package)}</th>
                    <td>{version(p.applied)}</td>
                    <td>{version(p.expected)}</td>
                    <td>{p.upToDate ? <span className="status st-Active">Up to date</span> : <span className="status st-Error">Out of date</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {history && (
        <>
          <h2 id="history-title">Beacon history</h2>
          {/* Wide: it scrolls in its own box, which the keyboard can reach. */}
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable to be scrolled without a mouse */}
          <section className="table-wrap" tabIndex={0} aria-labelledby="history-title">
            <table className="data compact">
              <caption>Beacons received, newest first ({history.total.toLocaleString()} kept)</caption>
              <thead>
                <tr>
                  <th scope="col">Received (UTC)</th>
                  <th scope="col">Last boot</th>
                  <th scope="col">Last logon</th>
                  <th scope="col">Pending reboot</th>
                  <th scope="col">Compliant</th>
                  {fields.map((f) => (
                    <th key={f} scope="col">
                      {packageLabel(f)}
                    </th>
                  ))}
                  {withLocation && <th scope="col">Location</th>}
                </tr>
              </thead>
              <tbody>
                {history.beacons.map((b) => (
                  <tr key={b.id}>
                    <th scope="row">{when(b.receivedAt)}</th>
                    <td>{when(b.lastBootAt)}</td>
                    <td>{when(b.lastLogonAt)}</td>
                    <td>{b.pendingReboot ? 'Yes' : 'No'}</td>
                    <td>{b.compliant ? 'Yes' : 'No'}</td>
                    {fields.map((f) => (
                      <td key={f}>{version(b.packages[f] ?? '')}</td>
                    ))}
                    {withLocation && <td>{b.location ?? ''}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <nav className="pager" aria-label="History pages">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - HISTORY_PAGE))}>
              Newer
            </button>
            <span aria-live="polite">
              {history.total === 0 ? 0 : offset + 1}–{Math.min(offset + HISTORY_PAGE, history.total)} of {history.total.toLocaleString()}
            </span>
            <button type="button" disabled={offset + HISTORY_PAGE >= history.total} onClick={() => setOffset(offset + HISTORY_PAGE)}>
              Older
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
