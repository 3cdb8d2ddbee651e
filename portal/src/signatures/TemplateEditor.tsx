import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';
import { PATHS, type Preview, type TemplateDetail, type TemplateDiff, type TemplateProblem, type TemplateVersionList } from './api.ts';
import { SignaturePreview } from './SignaturePreview.tsx';
import { Alert, Status, problemsOf, usePreviewUser, utc } from './shared.tsx';
import { SourceEditor, type SourceEditorHandle } from './SourceEditor.tsx';

const STARTER = `<table cellpadding="0" cellspacing="0">
  <tr>
    <td style="font-family: Arial, sans-serif; font-size: 10pt;">
      <strong>{{ user.displayName }}</strong><br>
      {{ user.jobTitle }}
    </td>
  </tr>
</table>
`;
const PREVIEW_DELAY_MS = 400;
/** Whom the preview shows before a directory user is chosen. */
const MADE_UP_PERSON = {
  user: {
    displayName: 'Alex Example',
    givenName: 'Alex',
    surname: 'Example',
    jobTitle: 'Sales Manager',
    department: 'Sales',
    mail: 'alex.example@contoso.com',
    businessPhone: '+1 425 555 0100',
    mobilePhone: '+1 425 555 0199',
    companyName: 'Contoso',
  },
};
const FORMATS = [
  { key: 'web', label: 'Web' },
  { key: 'htm', label: 'HTM' },
  { key: 'rtf', label: 'RTF' },
  { key: 'txt', label: 'Text' },
  { key: 'files', label: 'Files' },
] as const;
type Format = (typeof FORMATS)[number]['key'];

/** The problems, each a button that puts the editor's cursor at it. */
function ProblemList({ problems, refused, onGoTo }: { problems: TemplateProblem[]; refused: boolean; onGoTo: (p: TemplateProblem) => void }) {
  if (problems.length === 0) return null;
  return (
    <div role="alert" className="problems">
      <p className="error">
        <strong>{problems.length === 1 ? 'One problem' : `${problems.length} problems`}</strong>
        {refused ? ' (nothing was saved)' : ''}:
      </p>
      <ul>
        {problems.map((p) => (
          <li key={`${p.line}:${p.column}:${p.message}`}>
            <button type="button" className="link" onClick={() => onGoTo(p)}>
              Line {p.line}, column {p.column}
            </button>
            : {p.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The live preview: the source as it stands, rendered for the chosen user, in each of Outlook's formats. */
function LivePreview({ source, onProblems }: { source: string; onProblems: (p: TemplateProblem[]) => void }) {
  const [user, setUser] = usePreviewUser();
  const [answer, setAnswer] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [format, setFormat] = useState<Format>('web');
  const asked = useRef(0);
  const problemsChanged = useRef(onProblems);
  problemsChanged.current = onProblems;

  useEffect(() => {
    const ask = ++asked.current;
    const timer = setTimeout(async () => {
      try {
        const body = user.trim() ? { source, user: user.trim() } : { source, person: MADE_UP_PERSON };
        const res = await api<Preview>(PATHS.preview, { method: 'POST', body });
        if (ask !== asked.current) return;
        setAnswer(res);
        setError(null);
        problemsChanged.current([]);
      } catch (err) {
        if (ask !== asked.current) return;
        const problems = problemsOf(err);
        problemsChanged.current(problems);
        setError(problems.length > 0 ? 'The preview shows the last version that rendered.' : (err as Error).message);
      }
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(timer);
  }, [source, user]);

  return (
    <section className="card preview-pane" aria-labelledby="preview-title">
      <h2 id="preview-title">Preview</h2>
      <label>
        Preview as (user principal name)
        <input type="text" value={user} placeholder="empty: a made-up Alex Example" onChange={(e) => setUser(e.target.value)} />
      </label>
      <fieldset className="segmented">
        <legend className="visually-hidden">Format</legend>
        {FORMATS.map((f) => (
          <button key={f.key} type="button" aria-pressed={format === f.key} onClick={() => setFormat(f.key)}>
            {f.label}
          </button>
        ))}
      </fieldset>
      {error && <p className="muted">{error}</p>}
      {answer && format === 'web' && <SignaturePreview html={answer.webHtml} label="Signature preview" />}
      {answer && (format === 'htm' || format === 'rtf' || format === 'txt') && <pre className="source-view">{answer[format]}</pre>}
      {answer && format === 'files' && (
        <ul>
          {answer.files.length === 0 && <li className="muted">No image files.</li>}
          {answer.files.map((f) => (
            <li key={f.path}>
              <code>{f.path}</code>{' '}
              <span className="muted">
                {f.contentType}, {f.size.toLocaleString()} bytes
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function DiffView({ patch }: { patch: string }) {
  const lines = patch.split('\n').filter((l) => !l.startsWith('Index:') && !l.startsWith('====='));
  return (
    <pre className="diff">
      {lines.map((line, i) => {
        const kind =
          line.startsWith('+++') || line.startsWith('---')
            ? 'head'
            : line.startsWith('+')
              ? 'add'
              : line.startsWith('-')
                ? 'del'
                : line.startsWith('@@')
                  ? 'hunk'
                  : '';
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: a diff's lines have no identity but their place
          <span key={i} className={kind ? `d-${kind}` : undefined}>
            {kind === 'add' && <span className="visually-hidden">added: </span>}
            {kind === 'del' && <span className="visually-hidden">removed: </span>}
            {line}
            {'\n'}
          </span>
        );
      })}
    </pre>
  );
}

function Versions({ template, isAdmin, onRolledBack }: { template: TemplateDetail; isAdmin: boolean; onRolledBack: (t: TemplateDetail) => void }) {
  const { data, error, reload } = useApi<TemplateVersionList>(PATHS.versions(template.id));
  const [compare, setCompare] = useState<{ from: number; to: number } | null>(null);
  const { data: diff, error: diffError } = useApi<TemplateDiff>(compare ? PATHS.diff(template.id, compare.from, compare.to) : null);
  const [actionError, setActionError] = useState<string | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a save or a rollback adds a version
  useEffect(() => void reload(), [template.currentVersion]);

  const rollBack = async (version: number) => {
    if (!window.confirm(`Roll back to version ${version}? This saves its source as version ${template.currentVersion + 1}.`)) return;
    try {
      const res = await api<TemplateDetail>(PATHS.rollback(template.id), { method: 'POST', body: { version, baseVersion: template.currentVersion } });
      setActionError(null);
      onRolledBack(res);
    } catch (err) {
      setActionError((err as Error).message);
    }
  };

  return (
    <section aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      <Alert text={error ?? actionError} />
      <div className="table-wrap">
        <table className="data">
          <caption className="visually-hidden">Versions, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Saved</th>
              <th scope="col">By</th>
              <th scope="col">Comment</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {data?.versions.map((v) => (
              <tr key={v.version}>
                <td className="num">
                  {v.version}
                  {v.version === template.currentVersion && <span className="status st-Active">current</span>}
                </td>
                <td>{utc(v.createdAt)}</td>
                <td>{v.createdBy}</td>
                <td>{v.comment}</td>
                <td className="row-actions">
                  {v.version > 1 && (
                    <button type="button" onClick={() => setCompare({ from: v.version - 1, to: v.version })}>
                      Changes in version {v.version}
                    </button>
                  )}
                  {isAdmin && v.version !== template.currentVersion && (
                    <button type="button" onClick={() => void rollBack(v.version)}>
                      Roll back to version {v.version}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {compare && (
        <div className="card">
          <h3>
            Changes from version {compare.from} to {compare.to}
          </h3>
          <Alert text={diffError} />
          {diff && <DiffView patch={diff.unified} />}
        </div>
      )}
    </section>
  );
}

/**
 * One template: source with highlighting beside its live preview, save as a new version, the
 * versions with their changes and rollback. `id` is "new" for a template not saved yet.
 */
export function TemplateEditor({ id, isAdmin }: { id: string; isAdmin: boolean }) {
  const isNew = id === 'new';
  const { data: loaded, error: loadError } = useApi<TemplateDetail>(isNew ? null : PATHS.template(id));
  const [template, setTemplate] = useState<TemplateDetail | null>(null);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [source, setSource] = useState(isNew ? STARTER : '');
  const [comment, setComment] = useState('');
  const [previewProblems, setPreviewProblems] = useState<TemplateProblem[]>([]);
  const [saveProblems, setSaveProblems] = useState<TemplateProblem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const editor = useRef<SourceEditorHandle>(null);

  const show = useCallback((t: TemplateDetail) => {
    setTemplate(t);
    setName(t.name);
    setDescription(t.description);
    setSource(t.source);
  }, []);
  useEffect(() => {
    if (loaded) show(loaded);
  }, [loaded, show]);

  const save = async () => {
    setMessage(null);
    setError(null);
    try {
      const body = { name, description, source, comment: comment || undefined };
      const saved = template
        ? await api<TemplateDetail>(PATHS.template(template.id), { method: 'PUT', body: { ...body, baseVersion: template.currentVersion } })
        : await api<TemplateDetail>(PATHS.templates, { method: 'POST', body });
      setSaveProblems(null);
      setComment('');
      show(saved);
      setMessage(`Saved as version ${saved.currentVersion}.`);
      // The address becomes the saved template's without a hashchange: the screen, its preview and message stay.
      if (!template) window.history.replaceState(null, '', `#/signatures/templates/${saved.id}`);
    } catch (err) {
      const problems = problemsOf(err);
      if (problems.length > 0) setSaveProblems(problems);
      else if (err instanceof ApiError && err.status === 409) setError(`${err.message} Reload the page to see the other change; your text is still here.`);
      else setError((err as Error).message);
    }
  };

  const remove = async () => {
    if (!template || !window.confirm(`Delete the template “${template.name}” with all its versions?`)) return;
    try {
      await api(PATHS.template(template.id), { method: 'DELETE' });
      window.location.hash = '#/signatures/templates';
    } catch (err) {
      // Refused while a rule chooses it (409, naming the rules).
      setError((err as Error).message);
    }
  };

  const problems = saveProblems ?? previewProblems;
  return (
    <section aria-labelledby="editor-title">
      <p>
        <a href="#/signatures/templates">← Templates</a>
      </p>
      <h1 id="editor-title">{template?.name ?? (isNew ? 'New template' : 'Template')}</h1>
      <Alert text={loadError ?? error} />
      <Status text={message} />
      {template && (
        <p className="muted small">
          Version {template.currentVersion}, saved {utc(template.updatedAt)} by {template.updatedBy}.{' '}
          {template.usedBy.length > 0 ? (
            <>
              Chosen by {template.usedBy.length === 1 ? 'the rule' : 'the rules'} {template.usedBy.map((r) => `“${r.name}”`).join(', ')}.
            </>
          ) : (
            'No rule chooses it yet.'
          )}
        </p>
      )}
      {(isNew || template) && (
        <>
          <form
            className="template-form"
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <div className="filters">
              <label>
                Name
                <input type="text" required maxLength={100} value={name} disabled={!isAdmin} onChange={(e) => setName(e.target.value)} />
              </label>
              <label className="grow">
                Description
                <input type="text" maxLength={500} value={description} disabled={!isAdmin} onChange={(e) => setDescription(e.target.value)} />
              </label>
            </div>
            <div className="editor-grid">
              <div className="editor-pane">
                <h2 id="source-title">Source</h2>
                <SourceEditor
                  ref={editor}
                  value={source}
                  label="Template source"
                  readOnly={!isAdmin}
                  problems={problems}
                  onChange={(s) => {
                    setSource(s);
                    setSaveProblems(null);
                  }}
                />
                <ProblemList problems={problems} refused={saveProblems !== null} onGoTo={(p) => editor.current?.goTo(p.line, p.column)} />
                {isAdmin && (
                  <div className="actions">
                    <label className="grow">
                      Comment for this version (optional)
                      <input type="text" maxLength={500} value={comment} onChange={(e) => setComment(e.target.value)} />
                    </label>
                    <button type="submit" className="primary">
                      {template ? 'Save new version' : 'Save template'}
                    </button>
                  </div>
                )}
              </div>
              <LivePreview source={source} onProblems={setPreviewProblems} />
            </div>
          </form>
          {template && (
            <Versions
              template={template}
              isAdmin={isAdmin}
              onRolledBack={(t) => {
                show(t);
                setMessage(`Rolled back: saved as version ${t.currentVersion}.`);
              }}
            />
          )}
          {template && isAdmin && (
            <div className="actions">
              <button type="button" className="danger" onClick={() => void remove()}>
                Delete template
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}
