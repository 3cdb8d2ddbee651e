import { useId, useState } from 'react';
import { api } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';
import { ConditionsFields, conditionsOf, draftOf, listOf, listText } from '../signatures/Conditions.tsx';
import { Alert, Status } from '../signatures/shared.tsx';
import {
  type Assignment,
  type AssignmentCriteria,
  type AssignmentInput,
  type AssignmentList,
  type BrandingAssetList,
  type BrandingElement,
  type BrandingExplanation,
  ELEMENT_LABELS,
  PATHS,
} from './api.ts';

const ELEMENTS = Object.keys(ELEMENT_LABELS) as BrandingElement[];

function AssignmentForm({ assignment, onSaved, onCancel }: { assignment: Assignment | null; onSaved: (message: string) => void; onCancel: () => void }) {
  const { data: files } = useApi<BrandingAssetList>(PATHS.assets);
  const ids = useId();
  const [name, setName] = useState(assignment?.name ?? '');
  const [enabled, setEnabled] = useState(assignment?.enabled ?? true);
  const [element, setElement] = useState<BrandingElement>(assignment?.element ?? 'wallpaper');
  const [assets, setAssets] = useState<string[]>(assignment?.assets ?? []);
  const [timeoutSeconds, setTimeoutSeconds] = useState(assignment?.screensaver?.timeoutSeconds ?? 600);
  const [secure, setSecure] = useState(assignment?.screensaver?.secure ?? true);
  const [hostnames, setHostnames] = useState(listText(assignment?.conditions.hostnames));
  const [conditions, setConditions] = useState(draftOf(assignment?.conditions ?? {}));
  const [exclusions, setExclusions] = useState(draftOf(assignment?.exclusions ?? {}));
  const [problem, setProblem] = useState<string | null>(null);
  const single = element !== 'teamsBackgrounds';
  const usable = (files?.assets ?? []).filter((f) => element === 'screensaver' || f.media === 'image');

  const toggle = (sha256: string, on: boolean) => setAssets(single ? (on ? [sha256] : []) : on ? [...assets, sha256] : assets.filter((a) => a !== sha256));

  const save = async () => {
    const hosts = listOf(hostnames);
    const criteria: AssignmentCriteria = { ...conditionsOf(conditions), ...(hosts ? { hostnames: hosts } : {}) };
    const body: AssignmentInput = {
      name,
      enabled,
      element,
      assets,
      ...(element === 'screensaver' ? { screensaver: { timeoutSeconds, secure } } : {}),
      conditions: criteria,
      exclusions: conditionsOf(exclusions),
      window: assignment?.window ?? null,
    };
    try {
      if (assignment) await api(PATHS.assignment(assignment.id), { method: 'PUT', body });
      else await api(PATHS.assignments, { method: 'POST', body });
      onSaved(`Assignment “${name}” saved.`);
    } catch (err) {
      setProblem((err as Error).message);
    }
  };

  return (
    <form
      className="card"
      aria-label={assignment ? `Edit ${assignment.name}` : 'New assignment'}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <Alert text={problem} />
      <div className="field-grid">
        <label>
          Name
          <input type="text" required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <div className="field">
          <label htmlFor={`${ids}-element`}>Sets</label>
          <select
            id={`${ids}-element`}
            value={element}
            onChange={(e) => {
              setElement(e.target.value as BrandingElement);
              setAssets([]);
            }}
          >
            {ELEMENTS.map((el) => (
              <option key={el} value={el}>
                {ELEMENT_LABELS[el]}
              </option>
            ))}
          </select>
        </div>
        <label className="inline">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled
        </label>
      </div>
      <fieldset className="conditions">
        <legend>{single ? 'File' : 'Files (in order)'}</legend>
        {usable.map((f) => (
          <label key={f.sha256} className="inline">
            <input
              type={single ? 'radio' : 'checkbox'}
              name={`${ids}-files`}
              checked={assets.includes(f.sha256)}
              onChange={(e) => toggle(f.sha256, e.target.checked)}
            />{' '}
            {f.name}
          </label>
        ))}
        {usable.length === 0 && <p className="muted">Upload a file first.</p>}
      </fieldset>
      {element === 'screensaver' && (
        <div className="filters">
          <label>
            Starts after (seconds idle)
            <input type="number" min={60} max={86400} value={timeoutSeconds} onChange={(e) => setTimeoutSeconds(Number(e.target.value))} />
          </label>
          <label className="inline">
            <input type="checkbox" checked={secure} onChange={(e) => setSecure(e.target.checked)} /> Ask for the password on resume
          </label>
        </div>
      )}
      <label>
        Device host names (comma-separated; * and ? as wildcards)
        <input type="text" value={hostnames} placeholder="KIOSK-*, LAB-0?" onChange={(e) => setHostnames(e.target.value)} />
      </label>
      <ConditionsFields legend="Applies to" draft={conditions} onChange={setConditions} />
      <details>
        <summary>Exclusions</summary>
        <ConditionsFields legend="Except" draft={exclusions} onChange={setExclusions} />
      </details>
      <div className="actions">
        <button type="submit" className="primary">
          {assignment ? 'Save assignment' : 'Create assignment'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** "Which assignment and why" for one user's device. */
function TestAgainstDevice() {
  const [user, setUser] = useState('');
  const [hostname, setHostname] = useState('');
  const [asked, setAsked] = useState<string | null>(null);
  const { data, error, reload } = useApi<BrandingExplanation>(asked);
  return (
    <section className="card" aria-labelledby="branding-explain-title">
      <h2 id="branding-explain-title">Test against a device</h2>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          const path = PATHS.explain(user.trim(), hostname.trim());
          if (path === asked) void reload();
          else setAsked(path);
        }}
      >
        <label>
          User principal name
          <input type="text" required value={user} onChange={(e) => setUser(e.target.value)} />
        </label>
        <label>
          Host name
          <input type="text" required pattern="[A-Za-z0-9][A-Za-z0-9._\-]*" value={hostname} onChange={(e) => setHostname(e.target.value)} />
        </label>
        <button type="submit">Test</button>
      </form>
      <Alert text={error} />
      {data && (
        <dl className="facts">
          {ELEMENTS.map((el) => (
            <div key={el}>
              <dt>{ELEMENT_LABELS[el]}</dt>
              <dd>{data.chosen[el]?.name ?? 'not managed'}</dd>
            </div>
          ))}
          <dt>Manifest version</dt>
          <dd>
            <code className="hash">{data.manifestVersion}</code>
          </dd>
        </dl>
      )}
      {data && (
        <ol className="verdicts" aria-label={`Verdicts for ${data.upn} on ${data.hostname}`}>
          {data.verdicts.map((v) => (
            <li key={v.assignmentId} className={v.matched ? 'matched' : 'unmatched'}>
              <span className={`status ${v.matched ? 'st-Active' : ''}`}>{v.matched ? 'matched' : 'not matched'}</span> <strong>{v.name}</strong>
              <ul>
                {v.reasons.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** Assignments in priority order: per element, the first that matches a device sets it. */
export function BrandingAssignments({ isAdmin }: { isAdmin: boolean }) {
  const { data, error, reload } = useApi<AssignmentList>(PATHS.assignments);
  const [editing, setEditing] = useState<Assignment | 'new' | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const order = data?.assignments ?? [];

  const move = async (from: number, to: number) => {
    if (to < 0 || to >= order.length) return;
    const next = [...order];
    const [moved] = next.splice(from, 1);
    next.splice(to, 0, moved!);
    try {
      await api('/api/branding/assignments/order', { method: 'PUT', body: { ids: next.map((a) => a.id) } });
      setMessage(`“${moved!.name}” is now number ${to + 1} of ${next.length}.`);
    } catch (err) {
      setActionError((err as Error).message);
    }
    await reload();
  };

  const remove = async (a: Assignment) => {
    if (!window.confirm(`Delete the assignment “${a.name}”?`)) return;
    try {
      await api(PATHS.assignment(a.id), { method: 'DELETE' });
      setMessage(`Assignment “${a.name}” deleted.`);
      await reload();
    } catch (err) {
      setActionError((err as Error).message);
    }
  };

  return (
    <section aria-labelledby="branding-assignments-title">
      <h1 id="branding-assignments-title">Branding assignments</h1>
      <p className="muted">Tried from the top; per element, the first assignment that matches a device sets it.</p>
      {isAdmin && editing === null && (
        <p>
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            New assignment
          </button>
        </p>
      )}
      <Alert text={error ?? actionError} />
      <Status text={message} />
      {editing !== null && (
        <AssignmentForm
          key={editing === 'new' ? 'new' : editing.id}
          assignment={editing === 'new' ? null : editing}
          onCancel={() => setEditing(null)}
          onSaved={(text) => {
            setEditing(null);
            setMessage(text);
            void reload();
          }}
        />
      )}
      <ol className="rule-list" aria-label="Assignments in priority order">
        {order.map((a, i) => (
          <li key={a.id} className={`card rule${a.enabled ? '' : ' disabled'}`}>
            <div className="rule-head">
              <span className="rule-number" aria-hidden="true">
                {i + 1}
              </span>
              <strong className="rule-name">{a.name}</strong>
              {!a.enabled && <span className="status">disabled</span>}
              <span className="muted">
                → {ELEMENT_LABELS[a.element]}, {a.assets.length} file{a.assets.length === 1 ? '' : 's'}
              </span>
            </div>
            {isAdmin && (
              <div className="actions">
                <button type="button" aria-label={`Move ${a.name} up`} disabled={i === 0} onClick={() => void move(i, i - 1)}>
                  Up
                </button>
                <button type="button" aria-label={`Move ${a.name} down`} disabled={i === order.length - 1} onClick={() => void move(i, i + 1)}>
                  Down
                </button>
                <button type="button" onClick={() => setEditing(a)}>
                  Edit
                </button>
                <button type="button" className="link" onClick={() => void remove(a)}>
                  Delete
                </button>
              </div>
            )}
          </li>
        ))}
        {data && order.length === 0 && <li className="muted">No assignments yet.</li>}
      </ol>
      <TestAgainstDevice />
    </section>
  );
}
