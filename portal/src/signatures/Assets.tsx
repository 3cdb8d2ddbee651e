import { type DragEvent, useState } from 'react';
import { api } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';
import type { SettingsAnswer } from '../../../src/portal/portal.schemas.ts';
import { type Asset, type AssetList, PATHS } from './api.ts';
import { Alert, Status, utc } from './shared.tsx';

/** The image types Outlook shows in signatures, known by their first bytes (as the server checks them). */
const SIGNATURES: Array<{ type: string; bytes: number[] }> = [
  { type: 'PNG', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'JPEG', bytes: [0xff, 0xd8, 0xff] },
  { type: 'GIF', bytes: [0x47, 0x49, 0x46, 0x38] },
];

/** The upload limit from the settings in effect, so a file over it is refused before it is sent. */
function maxAssetBytesOf(settings: SettingsAnswer | undefined): number | null {
  const section = settings?.config.signatures as { maxAssetBytes?: unknown } | undefined;
  return typeof section?.maxAssetBytes === 'number' ? section.maxAssetBytes : null;
}

async function imageTypeOf(file: File): Promise<string | null> {
  const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
  return SIGNATURES.find((s) => s.bytes.every((b, i) => head[i] === b))?.type ?? null;
}

/** A reference a template can use, ready to copy. */
function Reference({ label, reference }: { label: string; reference: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(reference);
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return (
    <div className="reference">
      <input type="text" readOnly value={reference} aria-label={label} onFocus={(e) => e.target.select()} />
      <button type="button" onClick={() => void copy()}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

function AssetRow({ asset, onDelete }: { asset: Asset; onDelete: (() => void) | null }) {
  return (
    <li className="card asset">
      <img className="thumb" src={asset.url} alt={`Thumbnail of ${asset.originalName}`} loading="lazy" />
      <div className="asset-facts">
        <strong className="asset-name">{asset.originalName}</strong>
        <span className="muted small">
          {asset.contentType}
          {`, ${asset.width}×${asset.height} px`}, {asset.size.toLocaleString()} bytes, {utc(asset.uploadedAt)}
        </span>
        <span className="muted small">By name (the newest upload of this name):</span>
        <Reference label={`Reference to ${asset.originalName} by name`} reference={asset.nameReference} />
        <span className="muted small">Exactly this image:</span>
        <Reference label={`Reference to exactly this ${asset.originalName}`} reference={asset.reference} />
        {onDelete && (
          <p>
            <button type="button" className="link" aria-label={`Delete ${asset.originalName}`} onClick={onDelete}>
              Delete
            </button>
          </p>
        )}
      </div>
    </li>
  );
}

/** Logos and banners for templates: uploaded once, referred to by content hash (`<img src="asset:…">`). */
export function Assets({ isAdmin }: { isAdmin: boolean }) {
  const { data, error, reload } = useApi<AssetList>(PATHS.assets);
  const { data: settings } = useApi<SettingsAnswer>('/api/admin/settings');
  const maxBytes = maxAssetBytesOf(settings);
  const [problem, setProblem] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);

  const upload = async (file: File) => {
    setMessage(null);
    setProblem(null);
    const type = await imageTypeOf(file);
    if (!type) return setProblem(`${file.name} is not a PNG, JPEG or GIF image (judged by its content, not its name); nothing was uploaded.`);
    if (maxBytes && file.size > maxBytes)
      return setProblem(
        `${file.name} is ${file.size.toLocaleString()} bytes; the limit is ${maxBytes.toLocaleString()} bytes (signatures.maxAssetBytes). Nothing was uploaded.`,
      );
    const form = new FormData();
    form.append('file', file, file.name);
    setBusy(true);
    try {
      const asset = await api<Asset>(PATHS.assets, { method: 'POST', body: form });
      setMessage(`Uploaded ${file.name}: refer to it as ${asset.nameReference} (the newest of that name) or ${asset.reference} (exactly this image)`);
      await reload();
    } catch (err) {
      setProblem((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (asset: Asset) => {
    if (!window.confirm(`Delete ${asset.originalName}? Templates that show it render without it.`)) return;
    try {
      await api(PATHS.asset(asset.hash), { method: 'DELETE' });
      setMessage(`Deleted ${asset.originalName}.`);
      await reload();
    } catch (err) {
      setProblem((err as Error).message);
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const file = e.dataTransfer.files[0];
    if (file) void upload(file);
  };

  return (
    <section aria-labelledby="assets-title">
      <h1 id="assets-title">Signature images</h1>
      <p className="muted">
        Logos and banners for templates. Write <code>{'<img src="asset:…">'}</code> with an image's reference; onramp embeds it for each Outlook client. By
        name, a template shows the newest upload of that file name: upload a new logo.png and every signature showing asset:logo changes.
      </p>
      {isAdmin && (
        // biome-ignore lint/a11y/noStaticElementInteractions: dropping is the pointer's shortcut; the file input inside does the same from the keyboard
        <div
          className={`dropzone${over ? ' over' : ''}`}
          data-testid="asset-dropzone"
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={onDrop}
        >
          <p>Drop a PNG, JPEG or GIF here{maxBytes ? ` (up to ${Math.round(maxBytes / 1024).toLocaleString()} KB)` : ''}, or</p>
          <label>
            Image file
            <input
              type="file"
              accept="image/png,image/jpeg,image/gif"
              disabled={busy}
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) void upload(file);
                e.target.value = '';
              }}
            />
          </label>
        </div>
      )}
      <Alert text={error ?? problem} />
      <Status text={message} />
      <ul className="assets" aria-label="Uploaded images">
        {data?.assets.map((a) => (
          <AssetRow key={a.hash} asset={a} onDelete={isAdmin ? () => void remove(a) : null} />
        ))}
        {data && data.assets.length === 0 && <li className="muted">No images yet.</li>}
      </ul>
    </section>
  );
}
