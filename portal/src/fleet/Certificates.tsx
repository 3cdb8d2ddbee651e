import { useState } from 'react';
import type { CertificateOverview } from '../../../src/fleet/people.schemas.ts';
import { query } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';
import { Alert } from '../signatures/shared.tsx';
import { CertificateTable } from './Person.tsx';

type Show = 'all' | 'expiring' | 'expired';
const WITHIN = [7, 30, 90] as const;

/** The client certificates the device gateway verified: identities, soonest expiry first, last seen. */
export function Certificates() {
  const [show, setShow] = useState<Show>('expiring');
  const [withinDays, setWithinDays] = useState<number>(30);
  const [afters, setAfters] = useState<string[]>(['']);
  const after = afters[afters.length - 1]!;
  const { data, error } = useApi<CertificateOverview>(`/api/fleet/certificates${query({ show, withinDays, after, limit: 100 })}`);
  const restart = () => setAfters(['']);
  return (
    <section aria-labelledby="certificates-title">
      <h1 id="certificates-title">Certificates</h1>
      <p className="muted">
        Client certificates the device gateway verified, soonest expiry first. Refused calls are on <a href="#/fleet/device-calls">Device calls</a>.
      </p>
      {data && (
        <div className="tiles">
          <div className="tile">
            <span className="label">Certificates seen</span>
            <span className="value">{data.totals.total.toLocaleString()}</span>
            <span className="muted small">{data.totals.identities.toLocaleString()} identities</span>
          </div>
          <div className="tile">
            <span className="label">Expiring within {data.withinDays} days</span>
            <span className="value">{data.totals.expiringSoon.toLocaleString()}</span>
          </div>
          <div className="tile">
            <span className="label">Expired</span>
            <span className="value">{data.totals.expired.toLocaleString()}</span>
          </div>
        </div>
      )}
      <form className="filters" aria-label="Certificate filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Show
          <select
            value={show}
            onChange={(e) => {
              setShow(e.target.value as Show);
              restart();
            }}
          >
            <option value="expiring">Expiring soon</option>
            <option value="expired">Expired</option>
            <option value="all">All</option>
          </select>
        </label>
        <label>
          Soon means within
          <select
            value={withinDays}
            onChange={(e) => {
              setWithinDays(Number(e.target.value));
              restart();
            }}
          >
            {WITHIN.map((n) => (
              <option key={n} value={n}>
                {n} days
              </option>
            ))}
          </select>
        </label>
      </form>
      <Alert text={error} />
      <h2 id="certificate-list">{show === 'expiring' ? `Expiring within ${withinDays} days` : show === 'expired' ? 'Expired' : 'All certificates'}</h2>
      {data && (data.items.length === 0 ? <p className="muted">None.</p> : <CertificateTable items={data.items} labelledBy="certificate-list" withUser />)}
      <div className="pager">
        {afters.length > 1 && (
          <button type="button" onClick={() => setAfters(afters.slice(0, -1))}>
            Previous page
          </button>
        )}
        {data?.nextAfter && (
          <button type="button" onClick={() => setAfters([...afters, data.nextAfter!])}>
            Next page
          </button>
        )}
      </div>
    </section>
  );
}
