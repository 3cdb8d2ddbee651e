import type { SettingsAnswer } from '../../../src/portal/portal.schemas.ts';
import { useApi } from '../api/use-api.ts';

export function Settings() {
  const { data: settings, error } = useApi<SettingsAnswer>('/api/admin/settings');
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <p className="muted">
        The effective configuration of this instance, read-only; secrets are redacted. Change it in onramp.config.json or the environment
        (docs/CONFIGURATION.md).
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {settings &&
        Object.entries(settings.config).map(([section, value]) => (
          <div key={section} className="card">
            <h2>{section}</h2>
            {value !== null && typeof value === 'object' ? (
              <dl className="facts">
                {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
                  <div key={k} className="fact">
                    <dt>{k}</dt>
                    <dd>
                      <code>{JSON.stringify(v)}</code>
                    </dd>
                  </div>
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
