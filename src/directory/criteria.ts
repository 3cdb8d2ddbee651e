/**
 * Who a rule is for, judged against one person's directory facts: the criteria of signature rules and
 * of branding assignments (criteria.schemas.ts), with a sentence per check saying why it held or not,
 * and the time windows both use. Pure domain code: no HTTP, no SQL.
 */
import type { AttributeCondition, RuleCriteria, TimeWindow } from './criteria.schemas.js';
import { isTimeZone, wallClock } from '../lib/time-zones.js';

/** A person's attributes by directory name (`department`, `officeLocation`, `extensionAttribute1`…); missing and empty alike. */
export type Attributes = Readonly<Record<string, string | null | undefined>>;

/** What criteria look at. */
export interface CriteriaFacts {
  userPrincipalName: string;
  /** The mailbox's address (the user's own mail, or a shared mailbox's). */
  mailbox: string;
  attributes: Attributes;
  /** Every group the user is a member of, transitively (of the groups rules name). */
  groupIds: ReadonlySet<string>;
  /** Groups whose members the directory copy has read; absent: all. A reason says when a group's were not. */
  knownGroups?: ReadonlySet<string>;
}

export interface Check {
  holds: boolean;
  /** Said of the subject: "department is Sales", "not a member of group Finance". */
  text: string;
}

const lower = (value: string) => value.trim().toLowerCase();
const quoted = (values: readonly string[]) => values.map((v) => `'${v}'`).join(' or ');

export function attributeValue(attributes: Attributes, name: string): string {
  const direct = attributes[name];
  if (direct !== undefined) return direct ?? '';
  // Attribute names are matched case-insensitively, as the device API does.
  const key = Object.keys(attributes).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? '' : (attributes[key] ?? '');
}

function listCheck(label: string, actual: string, wanted: readonly string[]): Check {
  const holds = actual !== '' && wanted.some((w) => lower(w) === lower(actual));
  if (holds) return { holds, text: `${label} is ${actual}` };
  return { holds, text: actual === '' ? `no ${label}, rule wants ${quoted(wanted)}` : `${label} is ${actual}, rule wants ${quoted(wanted)}` };
}

const OPERATOR_WORDS: Record<AttributeCondition['operator'], string> = {
  equals: 'to be',
  notEquals: 'not to be',
  contains: 'to contain',
  startsWith: 'to start with',
  endsWith: 'to end with',
  empty: 'to be empty',
  notEmpty: 'to be set',
};

function attributeCheck(attributes: Attributes, condition: AttributeCondition): Check {
  const actual = attributeValue(attributes, condition.attribute);
  const a = lower(actual);
  const v = lower(condition.value ?? '');
  const holds = (() => {
    switch (condition.operator) {
      case 'equals':
        return a === v;
      case 'notEquals':
        return a !== v;
      case 'contains':
        return a.includes(v);
      case 'startsWith':
        return a.startsWith(v);
      case 'endsWith':
        return a.endsWith(v);
      case 'empty':
        return a === '';
      case 'notEmpty':
        return a !== '';
    }
  })();
  const shown = actual === '' ? `${condition.attribute} is empty` : `${condition.attribute} is '${actual}'`;
  const wanted = condition.operator === 'empty' || condition.operator === 'notEmpty' ? '' : ` '${condition.value ?? ''}'`;
  return {
    holds,
    text: holds
      ? `${shown} (${OPERATOR_WORDS[condition.operator].replace(/^to /, '')}${wanted})`
      : `${shown}, rule wants it ${OPERATOR_WORDS[condition.operator]}${wanted}`,
  };
}

/** One check per criterion the rule sets, in a fixed order. */
export function criteriaChecks(criteria: RuleCriteria, facts: CriteriaFacts): Check[] {
  const out: Check[] = [];
  const { attributes } = facts;
  if (criteria.groups?.length) {
    const member = criteria.groups.filter((g) => facts.groupIds.has(g.id));
    const names = (gs: typeof member) => gs.map((g) => g.displayName || g.id).join(', ');
    const unread = facts.knownGroups ? criteria.groups.filter((g) => !facts.knownGroups!.has(g.id)) : [];
    const caveat = unread.length > 0 ? ` (the members of ${names(unread)} have not been read from Microsoft Graph yet)` : '';
    out.push(
      member.length > 0
        ? { holds: true, text: `member of group ${names(member)}` }
        : { holds: false, text: `not a member of ${criteria.groups.length > 1 ? 'any of groups' : 'group'} ${names(criteria.groups)}${caveat}` },
    );
  }
  if (criteria.departments?.length) out.push(listCheck('department', attributeValue(attributes, 'department'), criteria.departments));
  if (criteria.offices?.length) out.push(listCheck('office', attributeValue(attributes, 'officeLocation'), criteria.offices));
  if (criteria.countries?.length) out.push(listCheck('country', attributeValue(attributes, 'country'), criteria.countries));
  if (criteria.companies?.length) out.push(listCheck('company', attributeValue(attributes, 'companyName'), criteria.companies));
  for (const condition of criteria.attributes ?? []) out.push(attributeCheck(attributes, condition));
  if (criteria.users?.length) {
    const holds = criteria.users.some((u) => lower(u) === lower(facts.userPrincipalName));
    out.push({ holds, text: holds ? `user ${facts.userPrincipalName} listed` : `user ${facts.userPrincipalName} not listed` });
  }
  if (criteria.mailboxes?.length) {
    const holds = criteria.mailboxes.some((m) => lower(m) === lower(facts.mailbox));
    out.push({ holds, text: holds ? `mailbox ${facts.mailbox} listed` : `mailbox ${facts.mailbox} not listed` });
  }
  return out;
}

/** `at` as wall-clock time in `timeZone`, `YYYY-MM-DDTHH:mm`: windows compare as text, so DST changes need no arithmetic. */
export function localTime(at: Date, timeZone: string): string {
  const t = wallClock(at, timeZone);
  return `${t.year}-${t.month}-${t.day}T${t.hour}:${t.minute}`;
}

/** Why a rule cannot be stored (beyond its schema), or null. */
export function windowProblem(window: TimeWindow | null): string | null {
  if (!window) return null;
  if (!isTimeZone(window.timeZone)) return `unknown time zone ${window.timeZone} (use an IANA name such as Europe/Berlin)`;
  if (window.to <= window.from) return `the window ends (${window.to}) before it starts (${window.from})`;
  return null;
}

function windowText(window: TimeWindow): string {
  return `window ${window.from.replace('T', ' ')} → ${window.to.replace('T', ' ')} ${window.timeZone}`;
}

/** Whether `now` is inside the window, with the sentence explain shows. */
export function windowCheck(window: TimeWindow, now: Date): Check {
  const local = localTime(now, window.timeZone);
  const holds = window.from <= local && local < window.to;
  return { holds, text: `${holds ? 'inside' : 'outside'} ${windowText(window)} (it is ${local.replace('T', ' ')} there)` };
}
