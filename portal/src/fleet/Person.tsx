import { useEffect } from 'react';
import type { PersonAnswer, SeenCertificate } from '../../../src/fleet/people.schemas.ts';
import { useApi } from '../api/use-api.ts';
import { Alert, utc } from '../signatures/shared.tsx';
import { mailboxPath, SignatureStateView } from './MailboxState.tsx';

const VALIDITY_TEXT: Record<SeenCertificate['validity'], string> = { expired: 'expired', expiring: 'expires soon', valid: 'valid' };
const VALIDITY_CLASS: Record<SeenCertificate['validity'], string> = { expired: 'st-Error', expiring: 'st-Overdue', valid: 'st-Active' };

export function Validity({ validity }: { validity: SeenCertificate['validity'] }) {
  return <span className={`status ${VALIDITY_CLASS[validity]}`}>{VALIDITY_TEXT[validity]}</span>;
}

/**
 * What the fleet knows of a person, on their user page below the onboarding timeline: their devices,
 * the certificates the device gateway saw for them, and their mailbox's signature state.
 */
export function PersonFleet({ upn }: { upn: string }) {
  const { data, error } = useApi<PersonAnswer>(personPath(upn));
  if (error) return <Alert text={error} />;
  return data ? <PersonFleetView data={data} /> : null;
}

const personPath = (upn: string) => `/api/fleet/people/${encodeURIComponent(upn)}`;
/** A person's page: their onboarding page when the campaign tracks them, else this fleet-only one. */
export const personLink = (upn: string) => `#/people/${encodeURIComponent(upn)}`;

/** `#/people/<upn>`: goes on to the onboarding user page (which shows the same) for a tracked user. */
export function PersonPage({ upn }: { upn: string }) {
  const { data, error } = useApi<PersonAnswer>(personPath(upn));
  useEffect(() => {
    if (data?.trackedUserId) window.location.replace(`#/users/${data.trackedUserId}`);
  }, [data]);
  return (
    <section aria-labelledby="person-title">
      <h1 id="person-title">{data?.displayName ?? upn}</h1>
      <Alert text={error} />
      {data && !data.trackedUserId && (
        <>
          <p className="muted">Not tracked by the onboarding campaign.</p>
          <PersonFleetView data={data} />
        </>
      )}
    </section>
  );
}

function PersonFleetView({ data }: { data: PersonAnswer }) {
  const locations = data.devices.some((d) => d.location !== null);
  return (
    <>
      <h2 id="person-devices">Devices</h2>
      {data.devices.length === 0 ? (
        <p className="muted">No device has reported for this user.</p>
      ) : (
        <div className="table-wrap">
          <table className="data" aria-labelledby="person-devices">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">System</th>
                <th scope="col">Last seen</th>
                <th scope="col">Compliant</th>
                <th scope="col">Reboot pending</th>
                {locations && <th scope="col">Location</th>}
              </tr>
            </thead>
            <tbody>
              {data.devices.map((d) => (
                <tr key={d.hostname}>
                  <td>{d.hostname}</td>
                  <td>
                    {d.operatingSystem} <span className="muted small">{d.deviceModel}</span>
                  </td>
                  <td>{utc(d.lastSeenAt)}</td>
                  <td>{d.compliant ? 'yes' : 'no'}</td>
                  <td>{d.pendingReboot ? 'yes' : 'no'}</td>
                  {locations && <td>{d.location}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data.detailsHidden && <p className="muted small">Locations and addresses are shown to admins only (fleet.viewersSeePersonalDetails).</p>}
      <h2 id="person-certificates">Certificates</h2>
      {data.certificates.length === 0 ? (
        <p className="muted">The device gateway has seen no certificate for this user.</p>
      ) : (
        <CertificateTable items={data.certificates} labelledBy="person-certificates" />
      )}
      <h2>Signatures</h2>
      {data.signatures ? (
        <>
          <p>
            Mailbox <a href={mailboxPath(data.signatures.mailbox)}>{data.signatures.mailbox}</a>
          </p>
          <SignatureStateView state={data.signatures} level={3} />
        </>
      ) : (
        <p className="muted">Not in the directory copy, and no signature was pushed.</p>
      )}
    </>
  );
}

/** Certificates the gateway saw: the person page's and the certificate overview's table. */
export function CertificateTable({ items, labelledBy, withUser = false }: { items: SeenCertificate[]; labelledBy: string; withUser?: boolean }) {
  return (
    <div className="table-wrap">
      <table className="data" aria-labelledby={labelledBy}>
        <thead>
          <tr>
            {withUser && <th scope="col">Identity</th>}
            <th scope="col">Subject</th>
            <th scope="col">Issuer</th>
            <th scope="col">Serial</th>
            <th scope="col">Thumbprint</th>
            <th scope="col">Not after</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr key={c.thumbprint} className={c.validity === 'expired' ? 'row-error' : c.validity === 'expiring' ? 'row-warn' : undefined}>
              {withUser && <td>{c.upn ? <a href={personLink(c.upn)}>{c.upn}</a> : <span className="muted">(none)</span>}</td>}
              <td>{c.subject}</td>
              <td>{c.issuer}</td>
              <td>
                <code>{c.serialNumber}</code>
              </td>
              <td>
                <code className="hash">{c.thumbprint}</code>
              </td>
              <td>
                {utc(c.notAfter)} <Validity validity={c.validity} />
              </td>
              <td>
                {utc(c.lastSeenAt)}
                {c.lastIp && <span className="muted small"> from {c.lastIp}</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
