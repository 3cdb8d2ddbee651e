import { type ReactNode, useEffect, useId, useState } from 'react';
import { api } from '../api/client.ts';
import { type GroupList, type GroupReference, PATHS } from './api.ts';

/** Waits this long after the last keystroke before asking Graph, so typing a name costs one search. */
const SEARCH_DELAY_MS = 250;

/**
 * A search field for Entra groups by the start of their name (GET /api/signatures/groups?search=):
 * matches are buttons that hand their group to `onPick`, plain controls that keyboards and screen
 * readers handle without a combobox. Groups in `exclude` are not offered again; `children` stand
 * between the label and the field (the chosen groups).
 */
export function GroupSearch({
  label,
  exclude,
  onPick,
  children,
}: {
  label: string;
  exclude: readonly GroupReference[];
  onPick: (group: GroupReference) => void;
  children?: ReactNode;
}) {
  const ids = useId();
  const [search, setSearch] = useState('');
  const [matches, setMatches] = useState<GroupReference[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const text = search.trim();
    if (!text) return setMatches(null);
    let current = true;
    const timer = setTimeout(() => {
      api<GroupList>(PATHS.groups(text))
        .then((answer) => {
          if (!current) return;
          setMatches(answer.groups);
          setError(null);
        })
        .catch((err: Error) => current && setError(err.message));
    }, SEARCH_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [search]);

  const excluded = new Set(exclude.map((g) => g.id));
  const offered = matches?.filter((g) => !excluded.has(g.id)) ?? [];
  return (
    <>
      <label htmlFor={`${ids}-search`}>{label}</label>
      {children}
      <input
        id={`${ids}-search`}
        type="search"
        placeholder="Type the start of a group name"
        autoComplete="off"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
      />
      {error && <p className="error small">{error}</p>}
      {matches && (
        <ul className="group-matches" aria-label="Matching groups">
          {offered.map((g) => (
            <li key={g.id}>
              <button
                type="button"
                aria-label={`Add group ${g.displayName}`}
                onClick={() => {
                  onPick({ id: g.id, displayName: g.displayName });
                  setSearch('');
                }}
              >
                {g.displayName}
              </button>
            </li>
          ))}
          {offered.length === 0 && (
            <li className="muted small">
              No {matches.length > 0 ? 'other ' : ''}group starts with “{search.trim()}”.
            </li>
          )}
        </ul>
      )}
    </>
  );
}

/** Several groups chosen by name (see GroupSearch): shows names, keeps ids, so admins never paste object ids. */
export function GroupPicker({ label, value, onChange }: { label: string; value: GroupReference[]; onChange: (groups: GroupReference[]) => void }) {
  return (
    <div className="group-picker">
      <GroupSearch label={label} exclude={value} onPick={(group) => onChange([...value, group])}>
        {value.length > 0 && (
          <ul className="chosen-groups" aria-label="Chosen groups">
            {value.map((g) => (
              <li key={g.id} title={g.id}>
                {g.displayName}{' '}
                <button type="button" aria-label={`Remove group ${g.displayName}`} onClick={() => onChange(value.filter((v) => v.id !== g.id))}>
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
      </GroupSearch>
    </div>
  );
}
