/**
 * Who a rule is for, in directory facts: groups, departments, offices, countries, companies, any
 * attribute, users, mailboxes, and a wall-clock time window. Signature rules and branding assignments
 * both declare their criteria with these schemas and judge them with criteria.ts. TypeBox only: the
 * portal compiles this file for the browser.
 */
import { Type, type Static } from '@sinclair/typebox';

export const ATTRIBUTE_OPERATORS = ['equals', 'notEquals', 'contains', 'startsWith', 'endsWith', 'empty', 'notEmpty'] as const;
export type AttributeOperator = (typeof ATTRIBUTE_OPERATORS)[number];

const Text = Type.String({ minLength: 1, maxLength: 256 });
const TextList = Type.Array(Text, { maxItems: 500 });

export const GroupReference = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64, description: 'Entra object id' }),
    displayName: Type.String({ maxLength: 256, description: 'Kept for humans; matching is by id' }),
  },
  { additionalProperties: false },
);
export type GroupReference = Static<typeof GroupReference>;

export const AttributeCondition = Type.Object(
  {
    attribute: Type.String({ minLength: 1, maxLength: 64, description: 'A directory attribute, e.g. jobTitle or extensionAttribute1' }),
    operator: Type.Union(ATTRIBUTE_OPERATORS.map((o) => Type.Literal(o))),
    value: Type.Optional(Type.String({ maxLength: 256, description: 'Compared case-insensitively; not used by empty/notEmpty' })),
  },
  { additionalProperties: false },
);
export type AttributeCondition = Static<typeof AttributeCondition>;

/**
 * Who a rule is for (conditions) or not for (exclusions). In `conditions` every criterion given must hold
 * (a list holds when any of its values does); in `exclusions` any criterion that holds excludes.
 * Text comparisons are case-insensitive.
 */
export const RuleCriteria = Type.Object(
  {
    groups: Type.Optional(Type.Array(GroupReference, { maxItems: 100, description: 'Member of any (transitively)' })),
    departments: Type.Optional(TextList),
    offices: Type.Optional(TextList),
    countries: Type.Optional(TextList),
    companies: Type.Optional(TextList),
    attributes: Type.Optional(Type.Array(AttributeCondition, { maxItems: 20, description: 'Every one must hold' })),
    users: Type.Optional(Type.Array(Text, { maxItems: 5000, description: 'User principal names' })),
    mailboxes: Type.Optional(Type.Array(Text, { maxItems: 5000, description: 'Mail addresses, shared mailboxes included (they come into scope)' })),
  },
  { additionalProperties: false },
);
export type RuleCriteria = Static<typeof RuleCriteria>;

/** Wall-clock local times in `timeZone`, `from` inclusive, `to` exclusive. */
export const TimeWindow = Type.Object(
  {
    from: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}$', description: 'Local time, YYYY-MM-DDTHH:mm' }),
    to: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}$', description: 'Local time, YYYY-MM-DDTHH:mm (exclusive)' }),
    timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Europe/Berlin' }),
  },
  { additionalProperties: false },
);
export type TimeWindow = Static<typeof TimeWindow>;
