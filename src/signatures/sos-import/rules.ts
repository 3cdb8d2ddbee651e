/**
 * SOS INI sections → onramp rules. SOS applies templates in the order common → group → mailbox →
 * variable, and within each class in its SortOrder; a later template's default wins. onramp's first
 * rule wins, so the rules come out in the reverse: variable, mailbox, group, common, each class in
 * reverse sort order. A section whose allow tags span several classes (a group and a mailbox) holds
 * when either does, so it becomes one rule per class; several time ranges become one rule each.
 */
import type { GroupReference, RuleCriteria, RuleDefaults, TimeWindow } from '../admin.schemas.js';
import type { SosIni, SosSection, SosTag } from './ini.js';
import { classifyPlaceholder } from './placeholders.js';

export type SosTemplateClass = 'common' | 'group' | 'mailbox' | 'variable';

/** Finds an Entra group by its display name (`EntraID Sales`, or an AD group synced under its name). */
export type GroupLookup = (displayName: string) => Promise<GroupReference | undefined>;

export interface PlannedRule {
  name: string;
  /** The section's template file, as written in the INI. */
  file: string;
  sectionLine: number;
  templateClass: SosTemplateClass;
  enabled: boolean;
  defaults: RuleDefaults;
  conditions: RuleCriteria;
  exclusions: RuleCriteria;
  window: TimeWindow | null;
  /** How each tag was mapped, for the report. */
  mappings: string[];
}

export interface RuleProblem {
  file: string;
  line: number;
  message: string;
}

export interface MappingOptions {
  findGroup: GroupLookup;
  /** Where SOS's local time ranges (no `Z`) are read: SOS uses each client's clock. */
  timeZone: string;
  iniFile: string;
}

const CLASS_ORDER: readonly SosTemplateClass[] = ['variable', 'mailbox', 'group', 'common'];

/** `yyyyMMddHHmm` → `YYYY-MM-DDTHH:mm`, optionally a minute later (SOS's end minute is inclusive, ours exclusive). */
function localTime(stamp: string, addMinute = false): string {
  const date = new Date(
    Date.UTC(+stamp.slice(0, 4), +stamp.slice(4, 6) - 1, +stamp.slice(6, 8), +stamp.slice(8, 10), +stamp.slice(10, 12) + (addMinute ? 1 : 0)),
  );
  return date.toISOString().slice(0, 16);
}

function sortedSections(ini: SosIni): SosSection[] {
  const order = (ini.sortOrder ?? 'Ascending').toLowerCase();
  if (order === 'asinthisfile') return [...ini.sections];
  const collator = new Intl.Collator(ini.sortCulture || undefined, { sensitivity: 'base' });
  const sorted = [...ini.sections].sort((a, b) => collator.compare(a.file, b.file));
  return order === 'descending' ? sorted.reverse() : sorted;
}

export async function mapSosRules(ini: SosIni, options: MappingOptions): Promise<{ rules: PlannedRule[]; problems: RuleProblem[] }> {
  const problems: RuleProblem[] = [];
  const problem = (line: number, message: string) => problems.push({ file: options.iniFile, line, message });
  if (ini.sortOrder && !['asinthisfile', 'ascending', 'descending'].includes(ini.sortOrder.toLowerCase())) {
    problem(0, `SortOrder "${ini.sortOrder}" is not AsInThisFile, Ascending or Descending: read as Ascending`);
  }
  const byClass = new Map<SosTemplateClass, PlannedRule[]>(CLASS_ORDER.map((c) => [c, []]));
  const groupCache = new Map<string, GroupReference | undefined>();
  const findGroup = async (name: string) => {
    const key = name.toLowerCase();
    if (!groupCache.has(key)) groupCache.set(key, await options.findGroup(name));
    return groupCache.get(key);
  };

  for (const section of sortedSections(ini)) {
    let defaults: RuleDefaults = 'none';
    let enabled = true;
    const base: string[] = [];
    const excluded = { groups: [] as GroupReference[], mailboxes: [] as string[], attributes: [] as NonNullable<RuleCriteria['attributes']> };
    const allow = { group: [] as GroupReference[], mailbox: [] as string[], variable: [] as { attribute: string; tag: SosTag }[] };
    const windows: TimeWindow[] = [];
    const hasAllow = { group: false, mailbox: false, variable: false };

    for (const tag of section.tags) {
      const written = `${tag.negated ? '-:' : ''}${describeTag(tag)}`;
      switch (tag.kind) {
        case 'defaultNew':
        case 'defaultReplyFwd': {
          if (tag.negated) {
            problem(tag.line, `${written}: a denied default has no onramp equivalent (the rule simply makes no default)`);
            break;
          }
          const use = tag.kind === 'defaultNew' ? 'new' : 'reply';
          defaults = defaults === 'none' || defaults === use ? use : 'both';
          break;
        }
        case 'writeProtect':
          problem(tag.line, `${written}: classic Outlook's read-only file has no onramp equivalent (onramp re-deploys changed signatures)`);
          break;
        case 'oof':
          problem(tag.line, `${written}: out-of-office templates are not imported (onramp does not set automatic replies)`);
          break;
        case 'unknown':
          problem(tag.line, `"${written}" is not an SOS tag onramp knows: left out`);
          break;
        case 'group': {
          const group = await findGroup(tag.group);
          const via = tag.directory.toLowerCase() === 'entraid' ? 'Entra ID' : `AD domain ${tag.directory}, matched by display name`;
          if (!group) {
            enabled = false;
            problem(tag.line, `${written}: no Entra group is named "${tag.group}": the rule is imported disabled`);
            if (!tag.negated) hasAllow.group = true;
            break;
          }
          if (tag.negated) {
            excluded.groups.push(group);
            base.push(`${written} → not for members of ${group.displayName} (${via})`);
          } else {
            hasAllow.group = true;
            allow.group.push(group);
            base.push(`${written} → members of ${group.displayName} (${via})`);
          }
          break;
        }
        case 'mailbox':
          if (tag.negated) {
            excluded.mailboxes.push(tag.address);
            base.push(`${written} → not for the mailbox ${tag.address}`);
          } else {
            hasAllow.mailbox = true;
            allow.mailbox.push(tag.address);
          }
          break;
        case 'time': {
          if (tag.negated) {
            problem(tag.line, `${written}: "except during" time ranges have no onramp equivalent: left out`);
            break;
          }
          const timeZone = tag.utc ? 'UTC' : options.timeZone;
          windows.push({ from: localTime(tag.from), to: localTime(tag.to, true), timeZone });
          base.push(`${written} → from ${localTime(tag.from)} until before ${localTime(tag.to, true)} (${timeZone})`);
          break;
        }
        case 'variable': {
          const placeholder = classifyPlaceholder(tag.name);
          const userSide = placeholder.kind === 'attribute' && (placeholder.namespace === 'user' || placeholder.namespace === 'mailbox');
          if (!userSide || placeholder.kind !== 'attribute') {
            problem(tag.line, `${written}: only the user's or mailbox's directory attributes map onto rule conditions: left out`);
            if (!tag.negated) {
              enabled = false;
              hasAllow.variable = true;
              problem(tag.line, `${written}: the rule is imported disabled, as its condition could not be mapped`);
            }
            break;
          }
          if (tag.negated) {
            excluded.attributes.push({ attribute: placeholder.attribute, operator: 'notEmpty' });
            base.push(`${written} → not when ${placeholder.attribute} is set`);
          } else {
            hasAllow.variable = true;
            allow.variable.push({ attribute: placeholder.attribute, tag });
          }
          break;
        }
      }
    }

    const exclusions: RuleCriteria = {
      ...(excluded.groups.length ? { groups: excluded.groups } : {}),
      ...(excluded.mailboxes.length ? { mailboxes: excluded.mailboxes } : {}),
      ...(excluded.attributes.length ? { attributes: excluded.attributes } : {}),
    };
    const classes = (['group', 'mailbox', 'variable'] as const).filter((c) => hasAllow[c]);
    const shapes: { templateClass: SosTemplateClass; conditions: RuleCriteria; mapping: string[] }[] = [];
    if (classes.length === 0) shapes.push({ templateClass: 'common', conditions: {}, mapping: ['no group, mailbox or variable tag → everyone (common)'] });
    if (hasAllow.group) shapes.push({ templateClass: 'group', conditions: allow.group.length ? { groups: allow.group } : {}, mapping: [] });
    if (hasAllow.mailbox)
      shapes.push({ templateClass: 'mailbox', conditions: { mailboxes: allow.mailbox }, mapping: [`${allow.mailbox.join(', ')} → those mailboxes`] });
    if (hasAllow.variable) {
      if (allow.variable.length === 0) shapes.push({ templateClass: 'variable', conditions: {}, mapping: [] });
      for (const { attribute, tag } of allow.variable) {
        shapes.push({
          templateClass: 'variable',
          conditions: { attributes: [{ attribute, operator: 'notEmpty' }] },
          mapping: [`${describeTag(tag)} → when ${attribute} is set`],
        });
      }
    }
    const windowChoices: (TimeWindow | null)[] = windows.length ? windows : [null];
    const label = section.signatureName ?? section.file.replace(/\.[^.]+$/, '');
    for (const shape of shapes) {
      for (const window of windowChoices) {
        const suffix = [shapes.length > 1 ? shape.templateClass : '', windowChoices.length > 1 && window ? window.from : ''].filter(Boolean).join(', ');
        byClass.get(shape.templateClass)!.push({
          name: `SOS: ${label}${suffix ? ` (${suffix})` : ''}`.slice(0, 120),
          file: section.file,
          sectionLine: section.line,
          templateClass: shape.templateClass,
          enabled,
          defaults,
          conditions: shape.conditions,
          exclusions,
          window,
          mappings: [...shape.mapping, ...base, defaults === 'none' ? 'no default tag → offered, not a default' : `default for ${defaults}`],
        });
      }
    }
  }
  // A later SOS template's default wins; onramp's first rule wins.
  const rules = CLASS_ORDER.flatMap((c) => byClass.get(c)!.reverse());
  return { rules, problems };
}

export function describeTag(tag: SosTag): string {
  switch (tag.kind) {
    case 'group':
      return `${tag.directory} ${tag.group}`;
    case 'mailbox':
      return tag.address;
    case 'time':
      return `${tag.from}${tag.utc ? 'Z' : ''}-${tag.to}${tag.utc ? 'Z' : ''}`;
    case 'variable':
      return `$${tag.name}$`;
    case 'oof':
      return tag.audience;
    case 'unknown':
      return tag.text;
    default:
      return tag.kind;
  }
}

/** A GroupLookup over Graph's name search: only an exact (case-insensitive) and unique name counts. */
export function groupLookupFrom(findGroups: (prefix: string, limit: number) => Promise<Array<{ id: string; displayName: string }>>): GroupLookup {
  return async (displayName) => {
    const exact = (await findGroups(displayName, 25)).filter((g) => g.displayName.toLowerCase() === displayName.toLowerCase());
    return exact.length === 1 ? { id: exact[0]!.id, displayName: exact[0]!.displayName } : undefined;
  };
}
