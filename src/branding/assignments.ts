/**
 * Which assignment sets each branding element for one user's device at one moment. Pure domain code:
 * the manifest planner hands in the assignments and the facts.
 *
 * Semantics (docs/BRANDING.md), as signature rules: assignments are read highest priority first; one
 * matches when it is enabled, `now` is inside its window (if any), every criterion of its conditions
 * holds (the shared directory criteria, plus host name patterns) and no criterion of its exclusions
 * holds. Per element the first match wins; later matches for that element are reported, not applied.
 */
import { criteriaChecks, windowCheck, type Check, type CriteriaFacts } from '../directory/criteria.js';
import type { Assignment, AssignmentCriteria, AssignmentVerdict, BrandingElement } from './branding.schemas.js';

export interface DeviceFacts extends CriteriaFacts {
  hostname: string;
}

export interface AssignmentsOutcome {
  chosen: Partial<Record<BrandingElement, Assignment>>;
  verdicts: AssignmentVerdict[];
}

const ELEMENT_WORDS: Record<BrandingElement, string> = {
  wallpaper: 'the wallpaper',
  lockScreen: 'the lock screen',
  teamsBackgrounds: 'the Teams backgrounds',
  screensaver: 'the screensaver',
};

/** `KIOSK-*`, `LAB-0?`: `*` any run of characters, `?` one; the whole name, case-insensitively. */
export function hostnamePattern(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]-]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function hostnameCheck(patterns: readonly string[], hostname: string): Check {
  const hit = patterns.find((p) => hostnamePattern(p).test(hostname));
  if (hit) return { holds: true, text: `host name ${hostname} matches ${hit}` };
  return { holds: false, text: `host name ${hostname} matches none of ${patterns.map((p) => `'${p}'`).join(', ')}` };
}

function checks(criteria: AssignmentCriteria, facts: DeviceFacts): Check[] {
  const out = criteriaChecks(criteria, facts);
  if (criteria.hostnames?.length) out.push(hostnameCheck(criteria.hostnames, facts.hostname));
  return out;
}

export function evaluateAssignments(assignments: readonly Assignment[], facts: DeviceFacts, now: Date): AssignmentsOutcome {
  const outcome: AssignmentsOutcome = { chosen: {}, verdicts: [] };
  const ordered = [...assignments].sort((a, b) => a.priority - b.priority || a.id - b.id);
  for (const assignment of ordered) {
    const reasons: string[] = [];
    let matched = assignment.enabled;
    if (!assignment.enabled) reasons.push('not matched: the assignment is disabled');
    if (assignment.window) {
      const inside = windowCheck(assignment.window, now);
      reasons.push(inside.text);
      matched &&= inside.holds;
    }
    const conditions = checks(assignment.conditions, facts);
    if (conditions.length === 0) reasons.push('matched: the assignment has no conditions, so it applies to every device');
    for (const c of conditions) reasons.push(`${c.holds ? 'matched' : 'not matched'}: ${c.text}`);
    matched &&= conditions.every((c) => c.holds);
    for (const e of checks(assignment.exclusions, facts).filter((c) => c.holds)) {
      reasons.push(`excluded: ${e.text}`);
      matched = false;
    }
    if (matched) {
      const holder = outcome.chosen[assignment.element];
      if (holder) reasons.push(`${ELEMENT_WORDS[assignment.element]} was already chosen by ${holder.name} (higher priority)`);
      else {
        outcome.chosen[assignment.element] = assignment;
        reasons.push(`sets ${ELEMENT_WORDS[assignment.element]}`);
      }
    }
    outcome.verdicts.push({ assignmentId: assignment.id, name: assignment.name, element: assignment.element, matched, reasons });
  }
  return outcome;
}
