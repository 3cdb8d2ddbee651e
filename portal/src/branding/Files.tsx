import { useState } from 'react';
import { api } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';
import { Alert, Status, utc } from '../signatures/shared.tsx';
import { type BrandingAsset, type BrandingAssetList, PATHS } from './api.ts';

/** Wallpapers, lock screens, Teams backgrounds and screensavers: uploaded once, checked by content on the server, kept by hash. */
export function BrandingFiles({ isAdmin }: { isAdmin: boolean }) {
  const { data, error, reload } = useApi<BrandingAssetList>(PATHS.assets);
  const [problem, setProblem] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const upload = async (file: File) => {
    setMessage(null);
    setProblem(null);
    const form = new FormData();
    form.append('file', file, file.name);
    setBusy(true);
    try {
      const asset = await api<BrandingAsset>(PATHS.assets, { method: 'POST', body: form });
      setMessage(`Uploaded ${file.name} (${asset.contentType}${asset.media === 'image' ? `, ${asset.width}×${asset.height} px` : ''}).`);
      await reload();
    } catch (err) {
      setProblem((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (asset: BrandingAsset) => {
    if (!window.confirm(`Delete ${asset.name}?`)) return;
    try {
      await api(PATHS.asset(asset.sha256), { method: 'DELETE' });
      setMessage(`Deleted ${asset.name}.`);
      await reload();
    } catch (err) {
      setProblem((err as Error).message);
    }
  };

  return (
    <section aria-labelledby="branding-files-title">
      <h1 id="branding-files-title">Branding files</h1>
      <p className="muted">
        PNG and JPEG images for wallpapers, lock screens and Teams backgrounds; MP4 or WebM videos for screensavers. The type is judged by the content.
      </p>
      {isAdmin && (
        <p>
          <label>
            Branding file
            <input
              type="file"
              accept="image/png,image/jpeg,video/mp4,video/webm"
              disabled={busy}
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) void upload(file);
                e.target.value = '';
              }}
            />
          </label>
        </p>
      )}
      <Alert text={error ?? problem} />
      <Status text={message} />
      <ul className="assets" aria-label="Branding files">
        {data?.assets.map((a) => (
          <li key={a.sha256} className="card asset">
            {a.thumbnailSha256 ? (
              <img className="thumb" src={PATHS.file(a.thumbnailSha256)} alt={`Preview of ${a.name}`} loading="lazy" />
            ) : (
              <span className="thumb muted">video</span>
            )}
            <div className="asset-facts">
              <strong className="asset-name">{a.name}</strong>
              <span className="muted small">
                {a.contentType}
                {a.media === 'image' ? `, ${a.width}×${a.height} px` : ''}, {a.size.toLocaleString()} bytes, {utc(a.uploadedAt)}
              </span>
              <span className="muted small">{a.usedBy.length > 0 ? `Used by ${a.usedBy.map((u) => u.name).join(', ')}` : 'Not assigned'}</span>
              {isAdmin && (
                <p>
                  <button type="button" className="link" aria-label={`Delete ${a.name}`} onClick={() => void remove(a)}>
                    Delete
                  </button>
                </p>
              )}
            </div>
          </li>
        ))}
        {data && data.assets.length === 0 && <li className="muted">No files yet.</li>}
      </ul>
    </section>
  );
}
