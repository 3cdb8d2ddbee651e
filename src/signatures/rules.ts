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
import type { ChosenTemplate, RuleCriteria, RuleDefaults, RuleKind, TimeWindow } from './admin.schemas.js';
import type { RuleVerdict, SignatureUse } from './model.js';
import { criteriaChecks, windowCheck, type CriteriaFacts } from '../directory/criteria.js';

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

/** What rules look at for one mailbox (the shared criteria's facts). */
export type SubjectFacts = CriteriaFacts;

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
      const inside = windowCheck(rule.window, now);
      reasons.push(inside.text);
      matched &&= inside.holds;
    }
    const conditions = criteriaChecks(rule.conditions, facts);
    if (conditions.length === 0) reasons.push('matched: the rule has no conditions, so it applies to everyone');
    for (const c of conditions) reasons.push(`${c.holds ? 'matched' : 'not matched'}: ${c.text}`);
    matched &&= conditions.every((c) => c.holds);
    for (const e of criteriaChecks(rule.exclusions, facts).filter((c) => c.holds)) {
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
