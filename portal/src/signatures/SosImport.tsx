import { useState } from 'react';
import { api } from '../api/client.ts';
import { PATHS, type SosImportReport } from './api.ts';
import { SignaturePreview } from './SignaturePreview.tsx';
import { Alert, Status, usePreviewUser } from './shared.tsx';

type ImportPreview = NonNullable<SosImportReport['previews']>[number];

/** Each imported template for the chosen user beside the file it came from: the check before rules go live. */
function SideBySide({ previews }: { previews: ImportPreview[] }) {
  return (
    <section aria-labelledby="sos-previews-title" data-testid="sos-previews">
      <h2 id="sos-previews-title">Side by side for {previews[0]?.user}</h2>
      <p className="muted">
        Left: the SOS file with its placeholders (Word HTML with its images; DOCX as read by the converter; Word’s style sheet is not applied here). Right: what
        onramp will send for this user. Custom variables have no values until you give them some.
      </p>
      {previews.map((p) => (
        <div key={`${p.file}|${p.template}`} className="side-by-side">
          <h3>{p.template}</h3>
          <figure>
            <figcaption>Original: {p.file}</figcaption>
            <SignaturePreview html={p.original} label={`Original ${p.file}`} />
          </figure>
          <figure>
            <figcaption>onramp for {p.user}</figcaption>
            {p.rendered !== null ? <SignaturePreview html={p.rendered} label={`onramp ${p.template}`} /> : <Alert text={p.problem} />}
          </figure>
        </div>
      ))}
    </section>
  );
}

function ReportView({ report }: { report: SosImportReport }) {
  return (
    <div className="sos-report" data-testid="sos-report">
      <h2>Templates ({report.templates.length})</h2>
      <ul>
        {report.templates.map((t) => (
          <li key={`${t.file}|${t.name}`}>
            <b>{t.name}</b> from {t.file} ({t.format}, {t.assets.length} image(s)):{' '}
            {[...new Set(t.placeholders.map((p) => `${p.sos} → ${p.onramp}`))].join(', ') || 'no placeholders'}
          </li>
        ))}
      </ul>
      <h2>Rules ({report.rules.length}, highest priority first, after the existing rules)</h2>
      <ol>
        {report.rules.map((r) => (
          <li key={r.name}>
            {r.name} → {r.template}
            {r.enabled ? '' : ' (imported disabled)'}: {r.mappings.join('; ')}
          </li>
        ))}
      </ol>
      <h2>Custom variables to fill in ({report.variables.length})</h2>
      <ul>
        {report.variables.map((v) => (
          <li key={v.name}>
            <code>var.{v.name}</code> for {v.from.join('; ')}
          </li>
        ))}
      </ul>
      <h2>Not mapped ({report.unmapped.length})</h2>
      <ul>
        {report.unmapped.map((u) => (
          <li key={`${u.file}:${u.line}:${u.message}`}>
            {u.file}
            {u.line ? `:${u.line}` : ''}: {u.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Uploads a zipped Set-OutlookSignatures folder: first a dry run to read the report, then the import itself. */
export function SosImport({ onImported }: { onImported: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [report, setReport] = useState<SosImportReport | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [previewUser, setPreviewUser] = usePreviewUser();

  const send = async (zip: File, dryRun: boolean) => {
    setProblem(null);
    setMessage(null);
    const form = new FormData();
    form.append('dryRun', String(dryRun));
    if (previewUser.trim() !== '') form.append('previewUser', previewUser.trim());
    form.append('file', zip, zip.name);
    setBusy(true);
    try {
      const answer = await api<SosImportReport>(PATHS.importSos, { method: 'POST', body: form });
      setReport(answer);
      if (answer.stored) {
        setMessage(`Imported ${answer.templates.length} templates and ${answer.rules.length} rules from ${zip.name}.`);
        onImported();
      }
    } catch (err) {
      setProblem((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <details className="sos-import">
      <summary>Import from Set-OutlookSignatures</summary>
      <p className="muted">
        Zip the SOS template folder (its INI and the DOCX or Word HTML templates it names). The dry run shows what would be imported and what has no equivalent;
        nothing is stored until you import.
      </p>
      <label>
        SOS folder (zip)
        <input
          type="file"
          accept=".zip,application/zip"
          disabled={busy}
          onChange={(e) => {
            const chosen = e.currentTarget.files?.[0] ?? null;
            setFile(chosen);
            setReport(null);
            if (chosen) void send(chosen, true);
          }}
        />
      </label>
      <label>
        Preview as (user principal name, optional)
        <input type="text" value={previewUser} disabled={busy} onChange={(e) => setPreviewUser(e.target.value)} />
      </label>
      {file && (
        <p>
          <button type="button" disabled={busy || previewUser.trim() === ''} onClick={() => void send(file, true)}>
            Show side by side
          </button>
        </p>
      )}
      <Alert text={problem} />
      <Status text={message} />
      {report && <ReportView report={report} />}
      {report?.previews && report.previews.length > 0 && <SideBySide previews={report.previews} />}
      {file && report && !report.stored && (
        <p>
          <button type="button" className="primary" disabled={busy} onClick={() => void send(file, false)}>
            Import {report.templates.length} templates and {report.rules.length} rules
          </button>
        </p>
      )}
    </details>
  );
}
