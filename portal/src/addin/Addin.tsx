/**
 * The Outlook add-in screen: download the generated manifest, the centralized-deployment steps in the
 * Microsoft 365 admin center, the addresses the manifest names (which must be https), the values the
 * Entra app registration needs, and what the add-in last reported per Outlook platform.
 */
import type { AddinSetup } from '../../../src/addin/addin.schemas.ts';
import { useApi } from '../api/use-api.ts';

const SETUP_PATH = '/api/addin/setup';

/** Office.context.diagnostics.platform values as people call them. */
const PLATFORMS: Record<string, string> = {
  pc: 'Classic Outlook on Windows',
  officeonline: 'Outlook on the web',
  universal: 'New Outlook on Windows',
  mac: 'Outlook on Mac',
  ios: 'Outlook on iOS',
  android: 'Outlook on Android',
};

function utc(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

function Deploy({ setup }: { setup: AddinSetup }) {
  return (
    <section className="card" aria-labelledby="deploy-title">
      <h2 id="deploy-title">Deploy to your organisation</h2>
      <p>
        <a className="button primary" href="/addin/manifest.xml" download="onramp-addin-manifest.xml">
          Download the manifest
        </a>{' '}
        <span className="muted small">
          {setup.manifest?.displayName}, version {setup.manifest?.version}, add-in id <code>{setup.manifest?.id}</code>
        </span>
      </p>
      <ol>
        <li>
          Open the Microsoft 365 admin center (<code>admin.microsoft.com</code>) → <strong>Settings</strong> → <strong>Integrated apps</strong>.
        </li>
        <li>
          Choose <strong>Upload custom apps</strong>, app type <strong>Office Add-in</strong>.
        </li>
        <li>
          Choose <strong>Provide link to manifest file</strong> and enter <code>{setup.manifestUrl}</code>, or upload the downloaded file.
        </li>
        <li>Assign the users or groups who should get signatures (or the entire organisation), then accept the permissions.</li>
        <li>Outlook picks the add-in up within about 24 hours; it then runs on each new message, reply, forward and appointment without being opened.</li>
      </ol>
      <p className="muted small">
        After changing the add-in's settings, raise <code>addin.manifestVersion</code> and update the app in Integrated apps.
      </p>
    </section>
  );
}

function Addresses({ setup }: { setup: AddinSetup }) {
  return (
    <section className="card" aria-labelledby="urls-title">
      <h2 id="urls-title">Addresses</h2>
      {setup.https ? (
        <p>
          The add-in is served from <code>{setup.baseUrl}</code> over HTTPS.
        </p>
      ) : (
        <p className="note" role="alert">
          <strong>Outlook loads add-ins over HTTPS only</strong>, and <code>{setup.baseUrl}</code> is not. Set <code>server.publicUrl</code> to the https
          address your reverse proxy serves onramp at.
        </p>
      )}
      {!setup.publicUrlSet && (
        <p className="muted small">
          <code>server.publicUrl</code> is not set: the manifest names the address this page was opened at.
        </p>
      )}
      <div className="table-wrap">
        <table className="data compact">
          <caption className="muted small">What the manifest points Outlook at</caption>
          <thead>
            <tr>
              <th scope="col">For</th>
              <th scope="col">Address</th>
            </tr>
          </thead>
          <tbody>
            {setup.urls.map((u) => (
              <tr key={u.purpose}>
                <td>{u.purpose}</td>
                <td>
                  <code className="addin-url">{u.url}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Registration({ registration }: { registration: NonNullable<AddinSetup['registration']> }) {
  return (
    <section className="card" aria-labelledby="registration-title">
      <h2 id="registration-title">App registration (Entra ID)</h2>
      <dl className="facts">
        <div className="fact">
          <dt>Application (client) id</dt>
          <dd>
            <code>{registration.clientId}</code>
          </dd>
        </div>
        <div className="fact">
          <dt>Application ID URI</dt>
          <dd>
            <code>{registration.appIdUri}</code>
          </dd>
        </div>
        <div className="fact">
          <dt>Delegated scope the add-in asks for</dt>
          <dd>
            <code>{registration.scope}</code>
          </dd>
        </div>
        <div className="fact">
          <dt>Single-page application redirect URIs</dt>
          <dd>
            <code>{registration.naaRedirectUri}</code> (nested app authentication) and <code className="addin-url">{registration.taskpaneRedirectUri}</code>
          </dd>
        </div>
      </dl>
      <p className="muted small">Grant admin consent for the scope, so Outlook gets tokens without asking users (docs/ADDIN.md).</p>
    </section>
  );
}

function Reports({ reports }: { reports: AddinSetup['reports'] }) {
  return (
    <section className="card" aria-labelledby="reports-title">
      <h2 id="reports-title">What the add-in reported</h2>
      {reports.length === 0 ? (
        <p className="muted">No reports yet: the add-in reports after each new message, reply or appointment once it is deployed.</p>
      ) : (
        <div className="table-wrap">
          <table className="data compact">
            <caption className="muted small">The latest report per mailbox and kind of mail, by Outlook platform</caption>
            <thead>
              <tr>
                <th scope="col">Platform</th>
                <th scope="col">Inserted</th>
                <th scope="col">No signature</th>
                <th scope="col">Failed</th>
                <th scope="col">Last report</th>
              </tr>
            </thead>
            <tbody>
              {reports.map((r) => (
                <tr key={r.platform}>
                  <th scope="row">{PLATFORMS[r.platform] ?? r.platform}</th>
                  <td>{r.inserted.toLocaleString()}</td>
                  <td>{r.none.toLocaleString()}</td>
                  <td>{r.failed.toLocaleString()}</td>
                  <td>{utc(r.lastReportedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function Addin() {
  const { data, error } = useApi<AddinSetup>(SETUP_PATH);
  return (
    <section aria-labelledby="addin-title">
      <h1 id="addin-title">Outlook add-in</h1>
      <p className="muted">
        Inserts each user's signature as they write, in Outlook on the web, the new Outlook, classic Outlook and Mac, for their own mailbox and the shared
        mailboxes they send as.
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {data && !data.enabled && (
        <p className="note" role="alert">
          <strong>The add-in is off.</strong> Set{' '}
          {data.missing.map((name, i) => (
            <span key={name}>
              {i > 0 && ' and '}
              <code>{name}</code>
            </span>
          ))}{' '}
          (docs/ADDIN.md), then come back here for the manifest.
        </p>
      )}
      {data?.enabled && <Deploy setup={data} />}
      {data && <Addresses setup={data} />}
      {data?.registration && <Registration registration={data.registration} />}
      {data && <Reports reports={data.reports} />}
    </section>
  );
}
