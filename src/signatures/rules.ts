/**
 * Which templates a mailbox gets: the assignment rules evaluated against one subject's facts at one moment.
 * Pure domain code (no HTTP, no SQL): the planner and the explain route give it rules and facts.
 *
 * Semantics (docs/SIGNATURE-RULES.md): rules are read highest priority first. A rule matches when it is
 * enabled, `now` lies inside its window (if it has one), every criterion of its conditions holds (a list
 * holds when any of its values does; no criteria: everyone) and no criterion of its exclusions holds.
 * The first matching signature rule wanting the new-mail default takes it, likewise for replies; later
 * matches are offered only. Matching banner rules add their block to the chosen signatures.
 */
import type { AttributeCondition, ChosenTemplate, RuleCriteria, RuleDefaults, RuleKind, TimeWindow } from './admin.schemas.js';
import type { PersonAttributes, RuleVerdict, SignatureUse } from './model.js';
import { isTimeZone, wallClock } from '../lib/time-zones.js';

export interface RuleDefinition {
  id: number;
  name: string;
  priority: number;
  enabled: boolean;
  kind: RuleKind;
  templateId: number;
  templateName: string;
  defaults: RuleDefaults;
  conditions: RuleCriteria;
  exclusions: RuleCriteria;
  window: TimeWindow | null;
}

/** What rules look at for one mailbox. */
export interface SubjectFacts {
  userPrincipalName: string;
  /** The mailbox's address (the user's own mail, or a shared mailbox's). */
  mailbox: string;
  /** The user's directory attributes. */
  attributes: PersonAttributes;
  /** Every group the user is a member of, transitively (of the groups rules name). */
  groupIds: ReadonlySet<string>;
  /** Groups whose members the directory copy has read; absent: all. A reason says when a group's were not. */
  knownGroups?: ReadonlySet<string>;
}

export interface Banner extends ChosenTemplate {
  /** The defaults whose signatures get the banner; empty: every signature, offered ones too. */
  uses: SignatureUse[];
}

export interface RulesOutcome {
  newMail: ChosenTemplate | null;
  reply: ChosenTemplate | null;
  /** Matched templates that are no default, each once, in priority order. */
  offered: ChosenTemplate[];
  banners: Banner[];
  /** Every rule, in priority order. */
  verdicts: RuleVerdict[];
}

interface Check {
  holds: boolean;
  /** Said of the subject: "department is Sales", "not a member of group Finance". */
  text: string;
}

const lower = (value: string) => value.trim().toLowerCase();
const quoted = (values: readonly string[]) => values.map((v) => `'${v}'`).join(' or ');

function attributeValue(attributes: PersonAttributes, name: string): string {
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

function attributeCheck(attributes: PersonAttributes, condition: AttributeCondition): Check {
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
function checks(criteria: RuleCriteria, facts: SubjectFacts): Check[] {
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

function usesOf(defaults: RuleDefaults): SignatureUse[] {
  return defaults === 'both' ? ['new', 'reply'] : defaults === 'none' ? [] : [defaults];
}

export function evaluateRules(rules: readonly RuleDefinition[], facts: SubjectFacts, now: Date): RulesOutcome {
  const outcome: RulesOutcome = { newMail: null, reply: null, offered: [], banners: [], verdicts: [] };
  const ordered = [...rules].sort((a, b) => a.priority - b.priority || a.id - b.id);
  for (const rule of ordered) {
    const reasons: string[] = [];
    let matched = rule.enabled;
    if (!rule.enabled) reasons.push('not matched: the rule is disabled');
    if (rule.window) {
      const local = localTime(now, rule.window.timeZone);
      const inside = rule.window.from <= local && local < rule.window.to;
      reasons.push(`${inside ? 'inside' : 'outside'} ${windowText(rule.window)} (it is ${local.replace('T', ' ')} there)`);
      matched &&= inside;
    }
    const conditions = checks(rule.conditions, facts);
    if (conditions.length === 0) reasons.push('matched: the rule has no conditions, so it applies to everyone');
    for (const c of conditions) reasons.push(`${c.holds ? 'matched' : 'not matched'}: ${c.text}`);
    matched &&= conditions.every((c) => c.holds);
    for (const e of checks(rule.exclusions, facts).filter((c) => c.holds)) {
      reasons.push(`excluded: ${e.text}`);
      matched = false;
    }
    if (matched) {
      const chosen: ChosenTemplate = { ruleId: rule.id, ruleName: rule.name, templateId: rule.templateId, templateName: rule.templateName };
      if (rule.kind === 'banner') {
        outcome.banners.push({ ...chosen, uses: usesOf(rule.defaults) });
        reasons.push(`adds banner ${rule.templateName}`);
      } else reasons.push(...assign(outcome, chosen, usesOf(rule.defaults)));
    }
    outcome.verdicts.push({ ruleId: rule.id, ruleName: rule.name, matched, reasons });
  }
  return outcome;
}

/** Gives a matched signature rule the defaults it wants that are still free; otherwise it is offered. */
function assign(outcome: RulesOutcome, chosen: ChosenTemplate, uses: readonly SignatureUse[]): string[] {
  const reasons: string[] = [];
  let tookOne = false;
  for (const use of uses) {
    const slot = use === 'new' ? 'newMail' : 'reply';
    const label = use === 'new' ? 'new mail' : 'replies and forwards';
    const holder = outcome[slot];
    if (holder) reasons.push(`the default for ${label} was already chosen by rule ${holder.ruleName} (higher priority)`);
    else {
      outcome[slot] = chosen;
      tookOne = true;
      reasons.push(`${chosen.templateName} is the default for ${label}`);
    }
  }
  if (!tookOne) {
    const isDefault = outcome.newMail?.templateId === chosen.templateId || outcome.reply?.templateId === chosen.templateId;
    if (isDefault) reasons.push(`${chosen.templateName} is already a default`);
    else {
      if (!outcome.offered.some((o) => o.templateId === chosen.templateId)) outcome.offered.push(chosen);
      reasons.push(`${chosen.templateName} is offered${uses.length === 0 ? '' : ' only'}`);
    }
  }
  return reasons;
}
