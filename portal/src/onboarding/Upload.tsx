import { useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { decodeRoster, isValidAddress, parseRoster, type RosterEncoding, type RosterResult, type UploadResult } from '../../../src/onboarding/roster-csv.ts';
import type { ReportAnswer } from '../../../src/onboarding/admin.schemas.ts';
import { api, ApiError, postWithProgress, query } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';
import { plural } from '../shell/words.ts';

/** What an upload sends besides the file: its batch, and whether users already in the campaign start again. */
interface UploadOptions {
  batchId: string;
  resetExisting: boolean;
}

function uploadBody(csv: string, options: UploadOptions, dryRun: boolean) {
  return { csv, ...(options.batchId ? { batchId: options.batchId } : {}), resetExisting: options.resetExisting, dryRun };
}

/** POST /api/upload-users, reporting upload progress. */
function send(csv: string, options: UploadOptions, onProgress: (pct: number) => void): Promise<UploadResult> {
  return postWithProgress<UploadResult>('/api/upload-users', uploadBody(csv, options, false), onProgress);
}

/** Rows listed on screen at most; the counts cover all of them. */
const LISTED_ROWS = 50;

/**
 * The server's answer to the same upload as a dry run: per user whether they are new, already in the
 * campaign and left as they are, or would start again with a new link. Asked again when the file or
 * the reset choice changes; nothing is stored.
 */
function usePreview(csv: string | null, options: UploadOptions): { preview: UploadResult | null; error: string | null } {
  const [preview, setPreview] = useState<UploadResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { batchId, resetExisting } = options;
  useEffect(() => {
    setPreview(null);
    setError(null);
    if (csv === null) return;
    let current = true;
    const timer = setTimeout(() => {
      api<UploadResult>('/api/upload-users', { method: 'POST', body: uploadBody(csv, { batchId, resetExisting }, true) }).then(
        (answer) => current && setPreview(answer),
        (err: unknown) => current && setError(err instanceof ApiError ? err.message : 'The preview could not be made'),
      );
    }, 300);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [csv, batchId, resetExisting]);
  return { preview, error };
}

type Outcome = 'added' | 'unchanged' | 'reset';
const OUTCOME_TEXT: Record<Outcome, string> = {
  added: 'New: invited by the next run',
  unchanged: 'Already in the campaign: unchanged, their link keeps working',
  reset: 'Already in the campaign: will get a new invitation (the old link offers a fresh one)',
};

function outcomesOf(result: UploadResult): Map<string, Outcome> {
  const out = new Map<string, Outcome>();
  for (const kind of ['added', 'unchanged', 'reset'] as const) for (const upn of result[kind]) out.set(upn.toLowerCase(), kind);
  return out;
}

/** The rows the file gives with what the upload would do to each, and the rows it leaves out, once. */
function Preview({ parsed, encoding, preview }: { parsed: RosterResult; encoding: RosterEncoding | undefined; preview: UploadResult | null }) {
  if (!parsed.ok)
    return (
      <p role="alert" className="error">
        This file cannot be read as CSV: line {parsed.line}: {parsed.reason}
      </p>
    );
  const outcomes = preview ? outcomesOf(preview) : null;
  return (
    <div className="preview">
      <p>
        <strong>{plural(parsed.entries.length, 'user')}</strong> in the file (column “{parsed.upnHeader}”), {parsed.invalid.length} invalid,{' '}
        {parsed.skipped.length} skipped, of {plural(parsed.total, 'row')}.
        {encoding && encoding !== 'UTF-8' && (
          <>
            {' '}
            Read as {encoding} text{parsed.delimiter === '\t' ? ', tab-separated' : ''}.
          </>
        )}
      </p>
      {preview && (
        <ul className="counts" aria-label="What the upload does">
          <li>
            New: <strong>{preview.added.length.toLocaleString()}</strong>
          </li>
          <li>
            Unchanged: <strong>{preview.unchanged.length.toLocaleString()}</strong>
          </li>
          <li className={preview.reset.length > 0 ? 'warn' : undefined}>
            New invitation: <strong>{preview.reset.length.toLocaleString()}</strong>
          </li>
        </ul>
      )}
      {parsed.entries.length > 0 && (
        <details>
          <summary>Per row{parsed.entries.length > LISTED_ROWS ? ` (the first ${LISTED_ROWS})` : ''}</summary>
          <div className="table-wrap">
            <table className="data compact">
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">User</th>
                  <th scope="col">What happens</th>
                </tr>
              </thead>
              <tbody>
                {parsed.entries.slice(0, LISTED_ROWS).map((e) => {
                  const outcome = outcomes?.get(e.key);
                  return (
                    <tr key={e.key} className={outcome === 'reset' ? 'row-warn' : undefined}>
                      <td className="num">{e.row}</td>
                      <td>{e.upn}</td>
                      <td>{outcome ? OUTCOME_TEXT[outcome] : 'Checking…'}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </details>
      )}
      <Problems skipped={parsed.skipped} errors={parsed.invalid.map((i) => ({ upn: i.upn, row: i.row, error: i.reason }))} caption="Rows left out" />
    </div>
  );
}

/** Rows left out (invalid addresses, duplicates, empty cells), in file order, the first LISTED_ROWS of them. */
function Problems({ skipped, errors, caption }: { skipped: UploadResult['skipped']; errors: UploadResult['errors']; caption: string }) {
  const rows = [...errors.map((e) => ({ ...e, reason: e.error, kind: 'invalid' })), ...skipped.map((p) => ({ ...p, kind: 'skipped' }))].sort(
    (a, b) => a.row - b.row,
  );
  if (rows.length === 0) return null;
  return (
    <div className="table-wrap">
      <table className="data compact">
        <caption>
          {caption}: {rows.length.toLocaleString()}
          {rows.length > LISTED_ROWS ? ` (the first ${LISTED_ROWS} listed)` : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col">Value</th>
            <th scope="col">Problem</th>
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, LISTED_ROWS).map((p) => (
            <tr key={`${p.kind}-${p.row}`} className={p.kind === 'invalid' ? 'row-error' : 'row-warn'}>
              <td className="num">{p.row}</td>
              <td>{p.upn}</td>
              <td>{p.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Said before anything is sent: what the upload sets going. */
function WhatHappensNext() {
  return (
    <p className="muted small">
      What happens next: the invitation run looks up each new user in the directory and emails the invitation to those it finds, then sends reminders until they
      have registered for MFA. Users not found in the directory or disabled get no email; they show under “Needs attention” in Reports.
    </p>
  );
}

function ResetChoice({ value, onChange }: { value: boolean; onChange: (v: boolean) => void }) {
  return (
    <label className="check">
      <input type="checkbox" checked={value} onChange={(e) => onChange(e.target.checked)} />
      Send a new invitation to users already in the campaign (the link they have stops enrolling and offers a fresh one)
    </label>
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
          Added: <strong>{result.added.length.toLocaleString()}</strong>
        </li>
        <li>
          Unchanged: <strong>{result.unchanged.length.toLocaleString()}</strong>
        </li>
        <li>
          New invitation: <strong>{result.reset.length.toLocaleString()}</strong>
        </li>
        <li>
          Left out: <strong>{(result.skipped.length + result.errors.length).toLocaleString()}</strong>
        </li>
      </ul>
      {(result.added.length > 0 || result.reset.length > 0) && <DirectoryCheck batchId={result.batchId} />}
      <Problems skipped={result.skipped} errors={result.errors} caption="Rows left out" />
    </div>
  );
}

/** Sends an upload; `onStored` runs after a success (the screens clear their form). */
function useSender(onStored: () => void) {
  const [progress, setProgress] = useState<number | null>(null);
  const [result, setResult] = useState<UploadResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (csv: string, options: UploadOptions) => {
    setError(null);
    setResult(null);
    setProgress(0);
    try {
      setResult(await send(csv, options, setProgress));
      onStored();
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
  const [resetExisting, setResetExisting] = useState(false);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const sender = useSender(() => {
    // Stored: the form starts empty, so the same file is not sent twice by a second click.
    setFile(null);
    setBatchId('');
    setResetExisting(false);
    if (input.current) input.current.value = '';
  });
  const parsed = useMemo(() => (file ? (file.rejected ?? parseRoster(file.text)) : null), [file]);
  const { preview, error: previewError } = usePreview(parsed?.ok && parsed.entries.length > 0 ? (file?.text ?? null) : null, { batchId, resetExisting });

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
  const busy = sender.progress !== null;

  return (
    <section aria-labelledby="upload-title">
      <h1 id="upload-title">Upload users</h1>
      <p className="muted">
        A CSV with a UPN, UserPrincipalName or Email column. DisplayName, Department, JobTitle and ManagerUPN columns are kept for users the directory does not
        know. Checked here with the same rules as the server before anything is stored.
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
        <button type="button" onClick={() => input.current?.click()} disabled={busy}>
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
        <input value={batchId} onChange={(e) => setBatchId(e.target.value)} maxLength={100} placeholder="e.g. finance-wave-1" disabled={busy} />
      </label>
      <ResetChoice value={resetExisting} onChange={setResetExisting} />
      {parsed?.ok && parsed.entries.length > 0 && <WhatHappensNext />}
      <div className="actions">
        <button
          type="button"
          className="primary"
          disabled={!file || !parsed?.ok || parsed.entries.length === 0 || busy}
          onClick={() => file && void sender.run(file.text, { batchId, resetExisting })}
        >
          Upload
        </button>
        {busy && <progress max={100} value={sender.progress ?? 0} aria-label="Upload progress" />}
      </div>
      {sender.error && (
        <p role="alert" className="error">
          {sender.error}
        </p>
      )}
      {previewError && (
        <p role="alert" className="error">
          {previewError}
        </p>
      )}
      {parsed && <Preview parsed={parsed} encoding={file?.encoding} preview={preview} />}
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

/** Manual entries of a day share one batch, so the batch filters are not cluttered with one per click. */
function manualBatchId(): string {
  return `manual-${new Date().toISOString().slice(0, 10)}`;
}

export function ManualEntry() {
  const [text, setText] = useState('');
  const [batchId, setBatchId] = useState('');
  const [resetExisting, setResetExisting] = useState(false);
  const sender = useSender(() => {
    setText('');
    setBatchId('');
    setResetExisting(false);
  });
  const addresses = splitAddresses(text);
  const invalid = addresses.filter((a) => !isValidAddress(a));
  const csv = addresses.length > 0 && invalid.length === 0 ? ['UPN', ...addresses].join('\n') : null;
  const options = { batchId: batchId || manualBatchId(), resetExisting };
  const { preview } = usePreview(csv, options);
  const busy = sender.progress !== null;

  return (
    <section aria-labelledby="manual-title">
      <h1 id="manual-title">Manual entry</h1>
      <label>
        User principal names, separated by new lines, commas or semicolons
        <textarea rows={10} value={text} onChange={(e) => setText(e.target.value)} aria-describedby="manual-check" disabled={busy} />
      </label>
      <p id="manual-check" aria-live="polite">
        {plural(addresses.length, 'address', 'addresses')}
        {invalid.length > 0 && (
          <span className="error">
            , {invalid.length} not valid: {invalid.slice(0, 5).join(', ')}
            {invalid.length > 5 ? '…' : ''}
          </span>
        )}
        {preview && invalid.length === 0 && (
          <>
            : {preview.added.length} new, {preview.unchanged.length} already in the campaign (unchanged)
            {preview.reset.length > 0 ? `, ${preview.reset.length} will get a new invitation` : ''}
          </>
        )}
      </p>
      <label>
        Batch id (optional)
        <input value={batchId} onChange={(e) => setBatchId(e.target.value)} maxLength={100} placeholder={manualBatchId()} disabled={busy} />
      </label>
      <ResetChoice value={resetExisting} onChange={setResetExisting} />
      {csv && <WhatHappensNext />}
      <button type="button" className="primary" disabled={csv === null || busy} onClick={() => csv && void sender.run(csv, options)}>
        Add users
      </button>
      {sender.error && (
        <p role="alert" className="error">
          {sender.error}
        </p>
      )}
      {sender.result && <Result result={sender.result} />}
      <GroupEntry />
    </section>
  );
}

const GROUP_ID = /^[0-9A-Za-z-]{1,64}$/;

function fromGroup(groupId: string, resetExisting: boolean, dryRun: boolean): Promise<UploadResult> {
  return api<UploadResult>('/api/admin/users/from-group', { method: 'POST', body: { groupId, resetExisting, dryRun } });
}

/**
 * Targeting by Entra group: its members, nested groups' included, resolved through Graph. The preview
 * (a dry run) says how many are new; adding again later adds only those who joined since.
 */
export function GroupEntry() {
  const [groupId, setGroupId] = useState('');
  const [resetExisting, setResetExisting] = useState(false);
  const [preview, setPreview] = useState<UploadResult | null>(null);
  const [result, setResult] = useState<UploadResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = groupId.trim();
  useEffect(() => {
    setPreview(null);
    setError(null);
    if (!GROUP_ID.test(id)) return;
    let current = true;
    const timer = setTimeout(() => {
      fromGroup(id, resetExisting, true).then(
        (answer) => current && setPreview(answer),
        (err: unknown) => current && setError(err instanceof ApiError ? err.message : 'The group could not be read'),
      );
    }, 400);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [id, resetExisting]);
  const add = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await fromGroup(id, resetExisting, false));
      setGroupId('');
      setResetExisting(false);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Adding failed');
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="group-title">
      <h2 id="group-title">Add the members of an Entra group</h2>
      <p className="muted small">
        Members of nested groups are included. Adding the same group again later adds only the people who joined it since; the others stay as they are.
      </p>
      <label>
        Group object id
        <input
          value={groupId}
          onChange={(e) => setGroupId(e.target.value)}
          placeholder="e.g. 0f3c…-…"
          maxLength={64}
          disabled={busy}
          aria-describedby="group-check"
        />
      </label>
      <ResetChoice value={resetExisting} onChange={setResetExisting} />
      <p id="group-check" aria-live="polite">
        {preview &&
          `${plural(preview.total, 'member')}: ${preview.added.length.toLocaleString()} new, ${preview.unchanged.length.toLocaleString()} already in the campaign${
            preview.reset.length > 0 ? `, ${preview.reset.length.toLocaleString()} will get a new invitation` : ''
          }.`}
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <button type="button" className="primary" disabled={!preview || busy} onClick={() => void add()}>
        Add members
      </button>
      {result && <Result result={result} />}
    </section>
  );
}
