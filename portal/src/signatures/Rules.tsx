import { type DragEvent, useEffect, useId, useState } from 'react';
import { api } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';
import {
  type ChosenTemplate,
  type Explanation,
  PATHS,
  type Rule,
  type RuleCriteria,
  type RuleDefaults,
  type RuleInput,
  type RuleKind,
  type RuleList,
  type TemplateList,
  type TimeWindow,
} from './api.ts';
import { ConditionsFields, conditionsOf, draftOf, LISTS } from './Conditions.tsx';
import { Alert, Status, usePreviewUser } from './shared.tsx';

const DEFAULTS: Array<{ value: RuleDefaults; label: string }> = [
  { value: 'both', label: 'New mail and replies' },
  { value: 'new', label: 'New mail only' },
  { value: 'reply', label: 'Replies and forwards only' },
  { value: 'none', label: 'Neither (offered only)' },
];
function RuleForm({ rule, onSaved, onCancel }: { rule: Rule | null; onSaved: (message: string) => void; onCancel: () => void }) {
  const { data: templates } = useApi<TemplateList>(PATHS.templates);
  const ids = useId();
  const [name, setName] = useState(rule?.name ?? '');
  const [enabled, setEnabled] = useState(rule?.enabled ?? true);
  const [templateId, setTemplateId] = useState<number | ''>(rule?.templateId ?? '');
  const [kind, setKind] = useState<RuleKind>(rule?.kind ?? 'signature');
  const [defaults, setDefaults] = useState<RuleDefaults>(rule?.defaults ?? 'both');
  const [window, setWindow] = useState<TimeWindow>(rule?.window ?? { from: '', to: '', timeZone: BROWSER_TIME_ZONE });
  const [conditions, setConditions] = useState(() => draftOf(rule?.conditions ?? {}));
  const [exclusions, setExclusions] = useState(() => draftOf(rule?.exclusions ?? {}));
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (templateId === '' && templates?.templates[0]) setTemplateId(templates.templates[0].id);
  }, [templates, templateId]);

  const save = async () => {
    if (templateId === '') return setError('Choose a template (create one on the Templates screen first).');
    const windowed = window.from !== '' || window.to !== '';
    if (windowed && (window.from === '' || window.to === '' || !window.timeZone)) return setError('A time window needs a start, an end and a time zone.');
    const body: RuleInput = {
      name,
      enabled,
      kind,
      templateId,
      defaults,
      window: windowed ? window : null,
      conditions: conditionsOf(conditions),
      exclusions: conditionsOf(exclusions),
    };
    try {
      if (rule) await api(PATHS.rule(rule.id), { method: 'PUT', body });
      else await api(PATHS.rules, { method: 'POST', body });
      onSaved(rule ? `Rule “${name}” saved.` : `Rule “${name}” created.`);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <form
      className="card rule-form"
      aria-labelledby="rule-form-title"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h2 id="rule-form-title">{rule ? `Edit rule “${rule.name}”` : 'New rule'}</h2>
      <Alert text={error} />
      <div className="filters">
        <label>
          Rule name
          <input type="text" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        {/* Label beside the select, not around it: a wrapping label's text would include the options'. */}
        <div className="field">
          <label htmlFor={`${ids}-template`}>Template</label>
          <select id={`${ids}-template`} value={templateId} required onChange={(e) => setTemplateId(Number(e.target.value))}>
            {templates?.templates.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-defaults`}>Default for</label>
          <select id={`${ids}-defaults`} value={defaults} onChange={(e) => setDefaults(e.target.value as RuleDefaults)}>
            {DEFAULTS.map((d) => (
              <option key={d.value} value={d.value}>
                {d.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-kind`}>Kind</label>
          <select id={`${ids}-kind`} value={kind} onChange={(e) => setKind(e.target.value as RuleKind)}>
            <option value="signature">Signature: chooses the template</option>
            <option value="banner">Banner: adds the template inside the signatures</option>
          </select>
        </div>
        <label className="inline">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled
        </label>
      </div>
      <fieldset className="conditions">
        <legend>Time window (optional; campaigns)</legend>
        <div className="filters">
          <label>
            From (local time)
            <input type="datetime-local" value={window.from} onChange={(e) => setWindow({ ...window, from: e.target.value.slice(0, 16) })} />
          </label>
          <label>
            Until (local time, not included)
            <input type="datetime-local" value={window.to} onChange={(e) => setWindow({ ...window, to: e.target.value.slice(0, 16) })} />
          </label>
          <label>
            Time zone
            <input type="text" value={window.timeZone} placeholder="Europe/Berlin" onChange={(e) => setWindow({ ...window, timeZone: e.target.value })} />
          </label>
        </div>
      </fieldset>
      <ConditionsFields legend="Applies to" draft={conditions} onChange={setConditions} />
      <details>
        <summary>Exclusions</summary>
        <ConditionsFields legend="Except" draft={exclusions} onChange={setExclusions} />
      </details>
      <div className="actions">
        <button type="submit" className="primary">
          {rule ? 'Save rule' : 'Create rule'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

const BROWSER_TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

function chosen(t: ChosenTemplate | null): string {
  return t ? `${t.templateName} (rule “${t.ruleName}”)` : 'none';
}

/** "Why this signature?": every rule's verdict for one user, with its reasons. */
function TestAgainstUser() {
  const [user, setUser] = usePreviewUser();
  const [at, setAt] = useState('');
  const [asked, setAsked] = useState<string | null>(null);
  const { data, error, reload } = useApi<Explanation>(asked);
  return (
    <section className="card" aria-labelledby="explain-title">
      <h2 id="explain-title">Test against a user</h2>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          if (!user.trim()) return;
          const path = PATHS.explain(user.trim(), at ? new Date(at).toISOString() : undefined);
          // Asking again (after a rule changed) reads the verdicts again.
          if (path === asked) void reload();
          else setAsked(path);
        }}
      >
        <label>
          User principal name
          <input type="text" required value={user} placeholder="someone@contoso.com" onChange={(e) => setUser(e.target.value)} />
        </label>
        <label>
          As of (optional)
          <input type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} />
        </label>
        <button type="submit">Test</button>
      </form>
      <Alert text={error} />
      {data && (
        <dl className="facts">
          <dt>New mail</dt>
          <dd>{chosen(data.newMail)}</dd>
          <dt>Replies and forwards</dt>
          <dd>{chosen(data.reply)}</dd>
          {data.offered.length > 0 && (
            <>
              <dt>Also offered</dt>
              <dd>{data.offered.map((t) => t.templateName).join(', ')}</dd>
            </>
          )}
          {data.banners.length > 0 && (
            <>
              <dt>Banners</dt>
              <dd>{data.banners.map((t) => t.templateName).join(', ')}</dd>
            </>
          )}
        </dl>
      )}
      {data && (
        <ol className="verdicts" aria-label={`Verdicts for ${data.user}`}>
          {data.verdicts.map((v) => (
            <li key={v.ruleId} className={v.matched ? 'matched' : 'unmatched'}>
              <span className={`status ${v.matched ? 'st-Active' : ''}`}>{v.matched ? 'matched' : 'not matched'}</span> <strong>{v.ruleName}</strong>
              <ul>
                {v.reasons.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            </li>
          ))}
          {data.verdicts.length === 0 && <li className="muted">No rules yet.</li>}
        </ol>
      )}
    </section>
  );
}

function summary(c: RuleCriteria): string {
  const parts: string[] = [];
  for (const l of LISTS) if (c[l.key]?.length) parts.push(`${l.label.toLowerCase()}: ${c[l.key]!.join(', ')}`);
  if (c.groups?.length) parts.push(`groups: ${c.groups.map((g) => g.displayName).join(', ')}`);
  for (const a of c.attributes ?? []) parts.push(`${a.attribute} ${a.operator}${a.value !== undefined ? ` “${a.value}”` : ''}`);
  return parts.join('; ');
}

/**
 * Assignment rules in priority order (the first matching rule wins per default): reordered by
 * dragging a row or with its Up/Down buttons, which is what keyboard and screen-reader users have.
 */
export function Rules({ isAdmin }: { isAdmin: boolean }) {
  const { data, error, reload } = useApi<RuleList>(PATHS.rules);
  const [order, setOrder] = useState<Rule[]>([]);
  const [editing, setEditing] = useState<Rule | 'new' | null>(null);
  const [dragged, setDragged] = useState<number | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  useEffect(() => {
    if (data) setOrder([...data.rules].sort((a, b) => a.priority - b.priority));
  }, [data]);

  const move = async (from: number, to: number) => {
    if (from === to || to < 0 || to >= order.length) return;
    const next = [...order];
    const [rule] = next.splice(from, 1);
    next.splice(to, 0, rule!);
    setOrder(next);
    try {
      await api(PATHS.ruleOrder, { method: 'PUT', body: { ids: next.map((r) => r.id) } });
      setActionError(null);
      setMessage(`“${rule!.name}” is now number ${to + 1} of ${next.length}.`);
      await reload();
    } catch (err) {
      setActionError((err as Error).message);
      await reload();
    }
  };

  const remove = async (rule: Rule) => {
    if (!window.confirm(`Delete the rule “${rule.name}”?`)) return;
    try {
      await api(PATHS.rule(rule.id), { method: 'DELETE' });
      setMessage(`Rule “${rule.name}” deleted.`);
      await reload();
    } catch (err) {
      setActionError((err as Error).message);
    }
  };

  const onDrop = (e: DragEvent, to: number) => {
    e.preventDefault();
    if (dragged !== null) void move(dragged, to);
    setDragged(null);
  };

  return (
    <section aria-labelledby="rules-title">
      <h1 id="rules-title">Signature rules</h1>
      <p className="muted">Rules choose each mailbox's templates. They are tried from the top; the first one that matches sets each default.</p>
      {isAdmin && editing === null && (
        <p>
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            New rule
          </button>
        </p>
      )}
      <Alert text={error ?? actionError} />
      <Status text={message} />
      {editing !== null && (
        <RuleForm
          key={editing === 'new' ? 'new' : editing.id}
          rule={editing === 'new' ? null : editing}
          onCancel={() => setEditing(null)}
          onSaved={(text) => {
            setEditing(null);
            setMessage(text);
            void reload();
          }}
        />
      )}
      <ol className="rule-list" aria-label="Rules in priority order">
        {order.map((rule, i) => (
          <li
            key={rule.id}
            className={`card rule${dragged === i ? ' dragging' : ''}${rule.enabled ? '' : ' disabled'}`}
            draggable={isAdmin}
            onDragStart={(e) => {
              // Firefox starts a drag only with data on it.
              e.dataTransfer.setData('text/plain', String(rule.id));
              e.dataTransfer.effectAllowed = 'move';
              setDragged(i);
            }}
            onDragEnd={() => setDragged(null)}
            onDragOver={(e) => e.preventDefault()}
            onDrop={(e) => onDrop(e, i)}
          >
            <div className="rule-head">
              <span className="rule-number" aria-hidden="true">
                {i + 1}
              </span>
              <strong className="rule-name">{rule.name}</strong>
              {!rule.enabled && <span className="status">disabled</span>}
              <span className="muted">
                → {rule.kind === 'banner' ? 'banner ' : ''}
                {rule.templateName} ({DEFAULTS.find((d) => d.value === rule.defaults)?.label.toLowerCase()})
                {rule.window && ` ${rule.window.from.replace('T', ' ')} → ${rule.window.to.replace('T', ' ')} ${rule.window.timeZone}`}
              </span>
            </div>
            <p className="small">
              {summary(rule.conditions) || 'Everyone'}
              {summary(rule.exclusions) && <span className="muted"> — except {summary(rule.exclusions)}</span>}
            </p>
            {isAdmin && (
              <div className="row-actions">
                <button type="button" disabled={i === 0} aria-label={`Move “${rule.name}” up`} onClick={() => void move(i, i - 1)}>
                  ↑ Up
                </button>
                <button type="button" disabled={i === order.length - 1} aria-label={`Move “${rule.name}” down`} onClick={() => void move(i, i + 1)}>
                  ↓ Down
                </button>
                <button type="button" aria-label={`Edit “${rule.name}”`} onClick={() => setEditing(rule)}>
                  Edit
                </button>
                <button type="button" className="danger" aria-label={`Delete “${rule.name}”`} onClick={() => void remove(rule)}>
                  Delete
                </button>
              </div>
            )}
          </li>
        ))}
        {data && order.length === 0 && <li className="muted">No rules yet: nobody gets a signature.</li>}
      </ol>
      <TestAgainstUser />
    </section>
  );
}
