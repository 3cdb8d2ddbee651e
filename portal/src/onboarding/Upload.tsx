import { useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { decodeRoster, isValidAddress, parseRoster, type RosterEncoding, type RosterResult, type UploadResult } from '../../../src/onboarding/roster-csv.ts';
import type { ReportAnswer } from '../../../src/onboarding/admin.schemas.ts';
import { postWithProgress, query } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';

/** POST /api/upload-users, reporting upload progress. */
function send(csv: string, batchId: string, onProgress: (pct: number) => void): Promise<UploadResult> {
  return postWithProgress<UploadResult>('/api/upload-users', batchId ? { csv, batchId } : { csv }, onProgress);
}

function Preview({ parsed, encoding }: { parsed: RosterResult; encoding: RosterEncoding | undefined }) {
  if (!parsed.ok)
    return (
      <p role="alert" className="error">
        This file cannot be read as CSV: line {parsed.line}: {parsed.reason}
      </p>
    );
  const problems = [...parsed.invalid.map((p) => ({ ...p, kind: 'invalid' })), ...parsed.skipped.map((p) => ({ ...p, kind: 'skipped' }))].sort(
    (a, b) => a.row - b.row,
  );
  return (
    <div className="preview">
      <p>
        <strong>{parsed.entries.length}</strong> users to send (column “{parsed.upnHeader}”), {parsed.invalid.length} invalid, {parsed.skipped.length} skipped,
        of {parsed.total} rows.
        {encoding && encoding !== 'UTF-8' && (
          <>
            {' '}
            Read as {encoding} text{parsed.delimiter === '\t' ? ', tab-separated' : ''}.
          </>
        )}
      </p>
      {problems.length > 0 && (
        <table className="data compact">
          <caption>Rows with problems</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Value</th>
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {problems.slice(0, 200).map((p) => (
              <tr key={`${p.kind}-${p.row}`} className={p.kind === 'invalid' ? 'row-error' : 'row-warn'}>
                <td className="num">{p.row}</td>
                <td>{p.upn}</td>
                <td>{p.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {parsed.entries.length > 0 && (
        <details>
          <summary>First users</summary>
          <ul>
            {parsed.entries.slice(0, 20).map((e) => (
              <li key={e.key}>{e.upn}</li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

/**
 * What the invitation run found of an upload's users in the directory: asked again every few seconds
 * while some are still waiting for it, so users not found (a typo, someone who left) or disabled show
 * here rather than only as Excluded later.
 */
function DirectoryCheck({ batchId }: { batchId: string }) {
  const [waiting, setWaiting] = useState(true);
  const { data } = useApi<ReportAnswer>(`/api/admin/reports${query({ batch: batchId, days: 1 })}`, waiting ? { refreshMs: 3_000 } : {});
  const batch = data?.perBatch.find((b) => b.batchId === batchId);
  const pending = batch?.pending ?? 0;
  useEffect(() => {
    if (batch && pending === 0) setWaiting(false);
  }, [batch, pending]);
  if (!batch) return null;
  const usersLink = `#/users?status=Excluded&batch=${encodeURIComponent(batchId)}`;
  return (
    <div className="directory-check">
      <h3>Directory check</h3>
      {pending > 0 ? (
        <p>
          {pending.toLocaleString()} of {batch.total.toLocaleString()} still to be checked against the directory by the invitation run…
        </p>
      ) : (
        <p>All {batch.total.toLocaleString()} checked against the directory.</p>
      )}
      <ul className="counts">
        <li className={batch.notFound > 0 ? 'warn' : undefined}>
          Not found in the directory: <strong>{batch.notFound > 0 ? <a href={usersLink}>{batch.notFound.toLocaleString()}</a> : 0}</strong>
        </li>
        <li className={batch.disabled > 0 ? 'warn' : undefined}>
          Account disabled: <strong>{batch.disabled > 0 ? <a href={usersLink}>{batch.disabled.toLocaleString()}</a> : 0}</strong>
        </li>
        <li>
          Other exclusions: <strong>{(batch.excluded - batch.notFound - batch.disabled).toLocaleString()}</strong>
        </li>
      </ul>
    </div>
  );
}

function Result({ result }: { result: UploadResult }) {
  return (
    // biome-ignore lint/a11y/useSemanticElements: a live region holding a heading and a list, which <output> (phrasing content only) cannot
    <div role="status" className="result">
      <h2>Uploaded to batch {result.batchId}</h2>
      <ul className="counts">
        <li>
          Added: <strong>{result.added.length}</strong>
        </li>
        <li>
          Updated: <strong>{result.updated.length}</strong>
        </li>
        <li>
          Skipped: <strong>{result.skipped.length}</strong>
        </li>
        <li>
          Errors: <strong>{result.errors.length}</strong>
        </li>
      </ul>
      {(result.added.length > 0 || result.updated.length > 0) && <DirectoryCheck batchId={result.batchId} />}
      {(result.skipped.length > 0 || result.errors.length > 0) && (
        <table className="data compact">
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">User</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {result.skipped.map((s) => (
              <tr key={`s${s.row}`} className="row-warn">
                <td className="num">{s.row}</td>
                <td>{s.upn}</td>
                <td>{s.reason}</td>
              </tr>
            ))}
            {result.errors.map((s) => (
              <tr key={`e${s.row}`} className="row-error">
                <td className="num">{s.row}</td>
                <td>{s.upn}</td>
                <td>{s.error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function useSender() {
  const [progress, setProgress] = useState<number | null>(null);
  const [result, setResult] = useState<UploadResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (csv: string, batchId: string) => {
    setError(null);
    setResult(null);
    setProgress(0);
    try {
      setResult(await send(csv, batchId, setProgress));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setProgress(null);
    }
  };
  return { progress, result, error, run };
}

export function Upload() {
  // The file's bytes are decoded here as the server would (UTF-8, or Excel's UTF-16 "Unicode text"); the
  // text goes to the server as JSON, so what was previewed is what is stored.
  const [file, setFile] = useState<{ name: string; text: string; encoding?: RosterEncoding; rejected?: RosterResult } | null>(null);
  const [batchId, setBatchId] = useState('');
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const sender = useSender();
  const parsed = useMemo(() => (file ? (file.rejected ?? parseRoster(file.text)) : null), [file]);

  const take = async (f: File | undefined) => {
    if (!f) return;
    const decoded = decodeRoster(new Uint8Array(await f.arrayBuffer()));
    setFile(decoded.ok ? { name: f.name, text: decoded.text, encoding: decoded.encoding } : { name: f.name, text: '', rejected: decoded });
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    void take(e.dataTransfer.files[0]);
  };

  return (
    <section aria-labelledby="upload-title">
      <h1 id="upload-title">Upload users</h1>
      <p className="muted">
        A CSV with a UPN, UserPrincipalName or Email column; other columns are ignored. Checked here with the same rules as the server before anything is sent.
      </p>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: a drop target for the mouse; the file input inside it is the keyboard's way */}
      <div
        className={`dropzone${dragging ? ' over' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>Drop a CSV file here, or</p>
        <button type="button" onClick={() => input.current?.click()}>
          Choose a file…
        </button>
        <input
          ref={input}
          type="file"
          accept=".csv,text/csv,text/plain"
          className="visually-hidden"
          tabIndex={-1}
          aria-label="CSV file"
          onChange={(e) => void take(e.target.files?.[0])}
        />
        {file && (
          <p>
            Selected: <strong>{file.name}</strong>
          </p>
        )}
      </div>
      <label>
        Batch id (optional)
        <input value={batchId} onChange={(e) => setBatchId(e.target.value)} maxLength={100} placeholder="e.g. finance-wave-1" />
      </label>
      {parsed && <Preview parsed={parsed} encoding={file?.encoding} />}
      <button
        type="button"
        className="primary"
        disabled={!file || !parsed?.ok || parsed.entries.length === 0 || sender.progress !== null}
        onClick={() => file && void sender.run(file.text, batchId)}
      >
        Upload
      </button>
      {sender.progress !== null && <progress max={100} value={sender.progress} aria-label="Upload progress" />}
      {sender.error && (
        <p role="alert" className="error">
          {sender.error}
        </p>
      )}
      {sender.result && <Result result={sender.result} />}
    </section>
  );
}

/** Addresses separated by new lines, commas or semicolons. */
function splitAddresses(text: string): string[] {
  return text
    .split(/[\n\r,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function ManualEntry() {
  const [text, setText] = useState('');
  const [batchId, setBatchId] = useState('');
  const sender = useSender();
  const addresses = splitAddresses(text);
  const invalid = addresses.filter((a) => !isValidAddress(a));

  return (
    <section aria-labelledby="manual-title">
      <h1 id="manual-title">Manual entry</h1>
      <label>
        User principal names, separated by new lines, commas or semicolons
        <textarea rows={10} value={text} onChange={(e) => setText(e.target.value)} aria-describedby="manual-check" />
      </label>
      <p id="manual-check" aria-live="polite">
        {addresses.length} addresses
        {invalid.length > 0 && (
          <span className="error">
            , {invalid.length} not valid: {invalid.slice(0, 5).join(', ')}
            {invalid.length > 5 ? '…' : ''}
          </span>
        )}
      </p>
      <label>
        Batch id (optional)
        <input value={batchId} onChange={(e) => setBatchId(e.target.value)} maxLength={100} />
      </label>
      <button
        type="button"
        className="primary"
        disabled={addresses.length === 0 || invalid.length > 0 || sender.progress !== null}
        onClick={() => void sender.run(['UPN', ...addresses].join('\n'), batchId)}
      >
        Add users
      </button>
      {sender.error && (
        <p role="alert" className="error">
          {sender.error}
        </p>
      )}
      {sender.result && <Result result={sender.result} />}
    </section>
  );
}
