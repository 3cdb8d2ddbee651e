import { useEffect, useState } from 'react';
import { api, query } from './api.ts';

interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  actorKind: string;
  action: string;
  target: string | null;
  details: unknown;
  ip: string | null;
}

export function AuditLog() {
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [more, setMore] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const load = async (beforeId?: number) => {
    try {
      const page = await api<{ entries: AuditEntry[] }>(`/api/admin/audit${query({ limit: 100, beforeId })}`);
      setEntries((prev) => (beforeId ? [...prev, ...page.entries] : page.entries));
      setMore(page.entries.length === 100);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => {
    void load();
  }, []);
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      {error && <p role="alert" className="error">{error}</p>}
      <div className="table-wrap">
        <table className="data">
          <thead><tr><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Target</th><th scope="col">From</th><th scope="col">Details</th></tr></thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id}>
                <td>{e.at.slice(0, 19).replace('T', ' ')}</td>
                <td>{e.actor} <span className="muted">({e.actorKind})</span></td>
                <td>{e.action}</td>
                <td>{e.target}</td>
                <td>{e.ip}</td>
                <td>{e.details === null ? '' : <code className="detail">{JSON.stringify(e.details)}</code>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {more && entries.length > 0 && <button type="button" onClick={() => void load(entries[entries.length - 1]!.id)}>Older entries</button>}
    </section>
  );
}

export function Settings() {
  const [settings, setSettings] = useState<{ demo: boolean; config: Record<string, unknown> } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ demo: boolean; config: Record<string, unknown> }>('/api/admin/settings').then(setSettings, (e: Error) => setError(e.message));
  }, []);
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <p className="muted">The effective configuration of this instance, read-only; secrets are redacted. Change it in onramp.config.json or the environment (docs/CONFIGURATION.md).</p>
      {error && <p role="alert" className="error">{error}</p>}
      {settings &&
        Object.entries(settings.config).map(([section, value]) => (
          <div key={section} className="card">
            <h2>{section}</h2>
            {value !== null && typeof value === 'object' ? (
              <dl className="facts">
                {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
                  <div key={k} className="fact"><dt>{k}</dt><dd><code>{JSON.stringify(v)}</code></dd></div>
                ))}
              </dl>
            ) : (
              <code>{JSON.stringify(value)}</code>
            )}
          </div>
        ))}
    </section>
  );
}
