import { useEffect, useState } from 'react';
import type { AuditEntry, AuditPage } from '../../../src/portal/portal.schemas.ts';
import { query } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';
import { auditActionText, detailsText } from './words.ts';

const PAGE = 100;

export function AuditLog() {
  // Keyset paging: "Older entries" asks for the page before the oldest one shown and appends it.
  const [beforeId, setBeforeId] = useState<number | undefined>(undefined);
  const { data: page, error } = useApi<AuditPage>(`/api/admin/audit${query({ limit: PAGE, beforeId })}`);
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [more, setMore] = useState(true);
  useEffect(() => {
    if (!page) return;
    // Merged by id, newest first, so an answer applied twice (React's StrictMode) adds nothing twice.
    setEntries((shown) => [...new Map([...shown, ...page.entries].map((e) => [e.id, e])).values()].sort((a, b) => b.id - a.id));
    setMore(page.entries.length === PAGE);
  }, [page]);
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="table-wrap">
        <table className="data">
          <thead>
            <tr>
              <th scope="col">When (UTC)</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Target</th>
              <th scope="col">From</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id}>
                <td>{e.at.slice(0, 19).replace('T', ' ')}</td>
                <td>
                  {e.actor} <span className="muted">({e.actorKind})</span>
                </td>
                <td>
                  {auditActionText(e.action)} <span className="muted small">{e.action}</span>
                </td>
                <td>{e.target}</td>
                <td>{e.ip}</td>
                <td>{detailsText(e.details)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {more && entries.length > 0 && (
        <button type="button" onClick={() => setBeforeId(entries[entries.length - 1]!.id)}>
          Older entries
        </button>
      )}
    </section>
  );
}
