/**
 * The conditions (or exclusions) part of a rule's form, shared by signature rules and branding
 * assignments: the directory criteria as text fields, the group picker and one attribute test.
 */
import type { AttributeOperator, GroupReference, RuleCriteria } from './api.ts';
import { GroupPicker } from './GroupPicker.tsx';

const OPERATORS: Array<{ value: AttributeOperator; label: string }> = [
  { value: 'equals', label: 'equals' },
  { value: 'notEquals', label: 'does not equal' },
  { value: 'contains', label: 'contains' },
  { value: 'startsWith', label: 'starts with' },
  { value: 'endsWith', label: 'ends with' },
  { value: 'notEmpty', label: 'is not empty' },
  { value: 'empty', label: 'is empty' },
];
/** The list conditions, as comma-separated text fields. */
export const LISTS = [
  { key: 'departments', label: 'Departments' },
  { key: 'offices', label: 'Offices' },
  { key: 'countries', label: 'Countries' },
  { key: 'companies', label: 'Companies' },
  { key: 'users', label: 'Users (UPNs)' },
  { key: 'mailboxes', label: 'Shared mailboxes' },
] as const;
type ListKey = (typeof LISTS)[number]['key'];

export function listText(values: string[] | undefined): string {
  return (values ?? []).join(', ');
}
export function listOf(text: string): string[] | undefined {
  const values = text
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  return values.length > 0 ? values : undefined;
}

/** Text fields for one set of conditions; empty fields are no condition. */
export interface ConditionsDraft {
  lists: Record<ListKey, string>;
  groups: GroupReference[];
  attribute: string;
  operator: AttributeOperator;
  value: string;
}
export function draftOf(c: RuleCriteria): ConditionsDraft {
  const a = c.attributes?.[0];
  return {
    lists: Object.fromEntries(LISTS.map((l) => [l.key, listText(c[l.key])])) as Record<ListKey, string>,
    groups: c.groups ?? [],
    attribute: a?.attribute ?? '',
    operator: a?.operator ?? 'equals',
    value: a?.value ?? '',
  };
}
export function conditionsOf(d: ConditionsDraft): RuleCriteria {
  const out: RuleCriteria = {};
  for (const l of LISTS) {
    const values = listOf(d.lists[l.key]);
    if (values) out[l.key] = values;
  }
  if (d.groups.length > 0) out.groups = d.groups;
  if (d.attribute.trim()) {
    const valued = d.operator !== 'empty' && d.operator !== 'notEmpty';
    out.attributes = [{ attribute: d.attribute.trim(), operator: d.operator, ...(valued ? { value: d.value } : {}) }];
  }
  return out;
}

export function ConditionsFields({ legend, draft, onChange }: { legend: string; draft: ConditionsDraft; onChange: (d: ConditionsDraft) => void }) {
  return (
    <fieldset className="conditions">
      <legend>{legend}</legend>
      <p className="muted small">Lists are comma-separated and compared without regard to case. A person must meet every filled-in condition.</p>
      <div className="field-grid">
        {LISTS.map((l) => (
          <label key={l.key}>
            {l.label}
            <input type="text" value={draft.lists[l.key]} onChange={(e) => onChange({ ...draft, lists: { ...draft.lists, [l.key]: e.target.value } })} />
          </label>
        ))}
      </div>
      <GroupPicker label="Groups (members at any depth)" value={draft.groups} onChange={(groups) => onChange({ ...draft, groups })} />
      <div className="filters">
        <label>
          Attribute
          <input
            type="text"
            placeholder="e.g. extensionAttribute1"
            value={draft.attribute}
            onChange={(e) => onChange({ ...draft, attribute: e.target.value })}
          />
        </label>
        <label>
          Test
          <select value={draft.operator} onChange={(e) => onChange({ ...draft, operator: e.target.value as AttributeOperator })}>
            {OPERATORS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        {draft.operator !== 'empty' && draft.operator !== 'notEmpty' && (
          <label>
            Value
            <input type="text" value={draft.value} onChange={(e) => onChange({ ...draft, value: e.target.value })} />
          </label>
        )}
      </div>
    </fieldset>
  );
}
