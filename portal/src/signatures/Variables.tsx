import { useState } from 'react';
import { api } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';
import { type GroupReference, PATHS, type Variable, type VariableInput, type VariableList } from './api.ts';
import { GroupSearch } from './GroupPicker.tsx';
import { Alert, Status, utc } from './shared.tsx';

const NAME_PATTERN = '[A-Za-z][A-Za-z0-9_]{0,63}';

function VariableForm({ variable, onSaved, onCancel }: { variable: Variable | null; onSaved: (message: string) => void; onCancel: () => void }) {
  const [name, setName] = useState(variable?.name ?? '');
  const [description, setDescription] = useState(variable?.description ?? '');
  const [defaultValue, setDefaultValue] = useState(variable?.defaultValue ?? '');
  const [userValues, setUserValues] = useState(variable?.userValues ?? []);
  const [groupValues, setGroupValues] = useState<Array<{ group: GroupReference; value: string }>>(variable?.groupValues ?? []);
  const [error, setError] = useState<string | null>(null);

  const save = async () => {
    const body: VariableInput = {
      description,
      defaultValue,
      userValues: userValues.map((u) => ({ upn: u.upn.trim(), value: u.value })).filter((u) => u.upn),
      groupValues,
    };
    try {
      await api(PATHS.variable(name), { method: 'PUT', body });
      onSaved(`Variable “${name}” saved.`);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <form
      className="card variable-form"
      aria-labelledby="variable-form-title"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h2 id="variable-form-title">{variable ? `Edit variable “${variable.name}”` : 'New variable'}</h2>
      <Alert text={error} />
      <div className="filters">
        <label>
          Variable name
          <input
            type="text"
            required
            pattern={NAME_PATTERN}
            title="A letter, then letters, digits or _"
            readOnly={variable !== null}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label>
          Description
          <input type="text" maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <label>
          Default value
          <input type="text" maxLength={2000} value={defaultValue} onChange={(e) => setDefaultValue(e.target.value)} />
        </label>
      </div>
      <p className="muted small">
        Templates read it as <code>{`{{ var.${name || 'name'} }}`}</code>. A user's own value wins over a group's (the first listed group they are in), which
        wins over the default.
      </p>
      <fieldset className="conditions">
        <legend>Per-group values (first match wins)</legend>
        <ol className="value-rows" aria-label="Per-group values">
          {groupValues.map((g, i) => (
            <li key={g.group.id}>
              <label>
                Value for {g.group.displayName}
                <input
                  type="text"
                  maxLength={2000}
                  value={g.value}
                  onChange={(e) => setGroupValues(groupValues.map((v, j) => (j === i ? { ...v, value: e.target.value } : v)))}
                />
              </label>
              <button
                type="button"
                aria-label={`Remove the value for ${g.group.displayName}`}
                onClick={() => setGroupValues(groupValues.filter((_, j) => j !== i))}
              >
                Remove
              </button>
            </li>
          ))}
        </ol>
        <div className="group-picker">
          <GroupSearch
            label="Add a group"
            exclude={groupValues.map((g) => g.group)}
            onPick={(group) => setGroupValues([...groupValues, { group, value: defaultValue }])}
          />
        </div>
      </fieldset>
      <fieldset className="conditions">
        <legend>Per-user values</legend>
        <ol className="value-rows" aria-label="Per-user values">
          {userValues.map((u, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place; a UPN being typed is no stable key
            <li key={i}>
              <label>
                User principal name
                <input
                  type="text"
                  required
                  value={u.upn}
                  onChange={(e) => setUserValues(userValues.map((v, j) => (j === i ? { ...v, upn: e.target.value } : v)))}
                />
              </label>
              <label>
                Value
                <input
                  type="text"
                  maxLength={2000}
                  value={u.value}
                  onChange={(e) => setUserValues(userValues.map((v, j) => (j === i ? { ...v, value: e.target.value } : v)))}
                />
              </label>
              <button
                type="button"
                aria-label={`Remove the value for user ${u.upn || i + 1}`}
                onClick={() => setUserValues(userValues.filter((_, j) => j !== i))}
              >
                Remove
              </button>
            </li>
          ))}
        </ol>
        <button type="button" onClick={() => setUserValues([...userValues, { upn: '', value: defaultValue }])}>
          Add a user
        </button>
      </fieldset>
      <div className="actions">
        <button type="submit" className="primary">
          {variable ? 'Save variable' : 'Create variable'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Custom variables (var.<name> in templates): a default, per-group and per-user values. */
export function Variables({ isAdmin }: { isAdmin: boolean }) {
  const { data, error, reload } = useApi<VariableList>(PATHS.variables);
  const [editing, setEditing] = useState<Variable | 'new' | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const remove = async (variable: Variable) => {
    if (!window.confirm(`Delete the variable “${variable.name}”? Templates that use it show it empty.`)) return;
    try {
      await api(PATHS.variable(variable.name), { method: 'DELETE' });
      setMessage(`Variable “${variable.name}” deleted.`);
      await reload();
    } catch (err) {
      setActionError((err as Error).message);
    }
  };

  return (
    <section aria-labelledby="variables-title">
      <h1 id="variables-title">Signature variables</h1>
      <p className="muted">Values that templates show as var.&lt;name&gt;: the same text for everyone, or different for some groups and users.</p>
      {isAdmin && editing === null && (
        <p>
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            New variable
          </button>
        </p>
      )}
      <Alert text={error ?? actionError} />
      <Status text={message} />
      {editing !== null && (
        <VariableForm
          key={editing === 'new' ? 'new' : editing.name}
          variable={editing === 'new' ? null : editing}
          onCancel={() => setEditing(null)}
          onSaved={(text) => {
            setEditing(null);
            setActionError(null);
            setMessage(text);
            void reload();
          }}
        />
      )}
      <ul className="variable-list" aria-label="Variables">
        {data?.variables.map((v) => (
          <li key={v.name} className="card">
            <strong className="variable-name">var.{v.name}</strong> {v.description && <span className="muted">{v.description}</span>}
            <p className="small">
              Default “{v.defaultValue}”{v.groupValues.length > 0 && `; groups: ${v.groupValues.map((g) => `${g.group.displayName} “${g.value}”`).join(', ')}`}
              {v.userValues.length > 0 && `; ${v.userValues.length} user${v.userValues.length > 1 ? 's' : ''} with their own value`}
            </p>
            <p className="muted small">
              Changed {utc(v.updatedAt)} by {v.updatedBy}
            </p>
            {isAdmin && (
              <div className="row-actions">
                <button type="button" aria-label={`Edit var.${v.name}`} onClick={() => setEditing(v)}>
                  Edit
                </button>
                <button type="button" className="danger" aria-label={`Delete var.${v.name}`} onClick={() => void remove(v)}>
                  Delete
                </button>
              </div>
            )}
          </li>
        ))}
        {data && data.variables.length === 0 && <li className="muted">No variables yet.</li>}
      </ul>
    </section>
  );
}
