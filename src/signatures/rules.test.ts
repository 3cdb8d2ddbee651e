import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateRules, type RuleDefinition, type SubjectFacts } from './rules.js';
import { localTime, windowProblem } from '../directory/criteria.js';

let nextId = 1;
function rule(fields: Partial<RuleDefinition> & Pick<RuleDefinition, 'name'>): RuleDefinition {
  const id = nextId++;
  return {
    id,
    priority: id,
    enabled: true,
    kind: 'signature',
    templateId: id * 10,
    templateName: `T-${fields.name}`,
    defaults: 'both',
    conditions: {},
    exclusions: {},
    window: null,
    ...fields,
  };
}

const anna: SubjectFacts = {
  userPrincipalName: 'anna@contoso.test',
  mailbox: 'anna@contoso.test',
  attributes: { department: 'Sales', officeLocation: 'Berlin', country: 'Germany', companyName: 'Contoso GmbH', jobTitle: 'Sales Manager', mobilePhone: null },
  groupIds: new Set(['g-sales-emea', 'g-sales']),
};

const at = new Date('2026-12-10T12:00:00Z');

describe('rule evaluation', () => {
  const cases: Array<{ name: string; rule: Omit<Parameters<typeof rule>[0], 'name'>; facts?: SubjectFacts; now?: Date; matched: boolean; reason: RegExp }> = [
    { name: 'no conditions', rule: {}, matched: true, reason: /applies to everyone/ },
    {
      name: 'department, case-insensitive',
      rule: { conditions: { departments: ['Marketing', 'sales'] } },
      matched: true,
      reason: /^matched: department is Sales$/,
    },
    {
      name: 'department differs',
      rule: { conditions: { departments: ['Finance'] } },
      matched: false,
      reason: /^not matched: department is Sales, rule wants 'Finance'$/,
    },
    { name: 'office', rule: { conditions: { offices: ['berlin'] } }, matched: true, reason: /office is Berlin/ },
    { name: 'country', rule: { conditions: { countries: ['France'] } }, matched: false, reason: /country is Germany, rule wants 'France'/ },
    { name: 'company', rule: { conditions: { companies: ['Contoso GmbH'] } }, matched: true, reason: /company is Contoso GmbH/ },
    {
      name: 'transitive group (the facts carry every group the user is in, nested ones included)',
      rule: { conditions: { groups: [{ id: 'g-sales', displayName: 'Sales' }] } },
      matched: true,
      reason: /^matched: member of group Sales$/,
    },
    {
      name: 'not a member',
      rule: { conditions: { groups: [{ id: 'g-fin', displayName: 'Finance' }] } },
      matched: false,
      reason: /^not matched: not a member of group Finance$/,
    },
    {
      name: 'a group whose members were never read says so',
      rule: { conditions: { groups: [{ id: 'g-new', displayName: 'New hires' }] } },
      facts: { ...anna, knownGroups: new Set(['g-sales', 'g-sales-emea']) },
      matched: false,
      reason: /^not matched: not a member of group New hires \(the members of New hires have not been read from Microsoft Graph yet\)$/,
    },
    {
      name: 'every criterion must hold',
      rule: { conditions: { departments: ['Sales'], countries: ['France'] } },
      matched: false,
      reason: /not matched: country is Germany/,
    },
    {
      name: 'attribute contains',
      rule: { conditions: { attributes: [{ attribute: 'jobTitle', operator: 'contains', value: 'manager' }] } },
      matched: true,
      reason: /jobTitle is 'Sales Manager'/,
    },
    {
      name: 'attribute empty (missing counts as empty)',
      rule: { conditions: { attributes: [{ attribute: 'mobilePhone', operator: 'empty' }] } },
      matched: true,
      reason: /mobilePhone is empty/,
    },
    {
      name: 'attribute startsWith fails',
      rule: { conditions: { attributes: [{ attribute: 'JOBTITLE', operator: 'startsWith', value: 'Chief' }] } },
      matched: false,
      reason: /rule wants it to start with 'Chief'/,
    },
    { name: 'explicit user', rule: { conditions: { users: ['ANNA@contoso.test'] } }, matched: true, reason: /user anna@contoso.test listed/ },
    {
      name: 'explicit mailbox',
      rule: { conditions: { mailboxes: ['info@contoso.test'] } },
      matched: false,
      reason: /mailbox anna@contoso.test not listed/,
    },
    {
      name: 'excluded by user',
      rule: { conditions: { departments: ['Sales'] }, exclusions: { users: ['anna@contoso.test'] } },
      matched: false,
      reason: /^excluded: user anna@contoso.test listed$/,
    },
    {
      name: 'excluded by a nested group',
      rule: { exclusions: { groups: [{ id: 'g-sales-emea', displayName: 'Sales EMEA' }] } },
      matched: false,
      reason: /^excluded: member of group Sales EMEA$/,
    },
    {
      name: 'exclusion that does not hold',
      rule: { exclusions: { departments: ['Finance'] } },
      matched: true,
      reason: /applies to everyone/,
    },
    { name: 'disabled', rule: { enabled: false }, matched: false, reason: /disabled/ },
    {
      name: 'inside a window',
      rule: { window: { from: '2026-12-01T00:00', to: '2026-12-24T00:00', timeZone: 'Europe/Berlin' } },
      matched: true,
      reason: /^inside window 2026-12-01 00:00 → 2026-12-24 00:00 Europe\/Berlin \(it is 2026-12-10 13:00 there\)$/,
    },
    {
      name: 'outside a window',
      rule: { window: { from: '2026-12-01T00:00', to: '2026-12-24T00:00', timeZone: 'Europe/Berlin' } },
      now: new Date('2026-12-24T00:30:00Z'),
      matched: false,
      reason: /^outside window .* \(it is 2026-12-24 01:30 there\)$/,
    },
    {
      // 23:30 UTC on 23 Dec is already the 24th in Berlin, still the 23rd in New York.
      name: 'the same instant, another time zone',
      rule: { window: { from: '2026-12-01T00:00', to: '2026-12-24T00:00', timeZone: 'America/New_York' } },
      now: new Date('2026-12-23T23:30:00Z'),
      matched: true,
      reason: /it is 2026-12-23 18:30 there/,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = rule({ name: c.name, ...c.rule });
      const { verdicts } = evaluateRules([r], c.facts ?? anna, c.now ?? at);
      assert.equal(verdicts.length, 1);
      assert.equal(verdicts[0]!.matched, c.matched, verdicts[0]!.reasons.join(' | '));
      assert.ok(
        verdicts[0]!.reasons.some((reason) => c.reason.test(reason)),
        `${c.reason} in ${JSON.stringify(verdicts[0]!.reasons)}`,
      );
    });
  }

  test('windows follow daylight saving time: the same local hour is a different UTC hour in summer and winter', () => {
    // Berlin is UTC+2 in summer, UTC+1 in winter; 29 March 2026 at 02:00 local the clocks go forward.
    assert.equal(localTime(new Date('2026-03-29T00:59:00Z'), 'Europe/Berlin'), '2026-03-29T01:59');
    assert.equal(localTime(new Date('2026-03-29T01:00:00Z'), 'Europe/Berlin'), '2026-03-29T03:00');
    const morning = rule({ name: 'summer campaign', window: { from: '2026-03-29T03:00', to: '2026-10-25T02:00', timeZone: 'Europe/Berlin' } });
    assert.equal(evaluateRules([morning], anna, new Date('2026-03-29T00:59:00Z')).verdicts[0]!.matched, false);
    assert.equal(evaluateRules([morning], anna, new Date('2026-03-29T01:00:00Z')).verdicts[0]!.matched, true);
    // 25 October at 03:00 CEST the clocks go back to 02:00 CET, so 02:00-03:00 local happens twice; a window
    // ends the first time the clock reads its `to`: 00:00 UTC (02:00 CEST).
    assert.equal(evaluateRules([morning], anna, new Date('2026-10-24T23:59:00Z')).verdicts[0]!.matched, true);
    assert.equal(evaluateRules([morning], anna, new Date('2026-10-25T00:00:00Z')).verdicts[0]!.matched, false);
    assert.equal(localTime(new Date('2026-10-25T01:30:00Z'), 'Europe/Berlin'), '2026-10-25T02:30');
    assert.equal(evaluateRules([morning], anna, new Date('2026-10-25T01:30:00Z')).verdicts[0]!.matched, false);
  });

  test('highest priority takes each default; later matches are offered; banners are collected', () => {
    const sales = rule({ name: 'Sales', priority: 1, defaults: 'new', conditions: { departments: ['Sales'] } });
    const everyone = rule({ name: 'Everyone', priority: 2, defaults: 'both' });
    const legal = rule({ name: 'Legal footer', priority: 3, defaults: 'none' });
    const finance = rule({ name: 'Finance', priority: 0, defaults: 'both', conditions: { departments: ['Finance'] } });
    const christmas = rule({
      name: 'Christmas',
      kind: 'banner',
      defaults: 'new',
      priority: 4,
      window: { from: '2026-12-01T00:00', to: '2026-12-27T00:00', timeZone: 'Europe/Berlin' },
    });
    const outcome = evaluateRules([christmas, legal, everyone, sales, finance], anna, at);
    assert.deepEqual(
      outcome.verdicts.map((v) => [v.ruleName, v.matched]),
      [
        ['Finance', false],
        ['Sales', true],
        ['Everyone', true],
        ['Legal footer', true],
        ['Christmas', true],
      ],
    );
    assert.equal(outcome.newMail?.ruleName, 'Sales');
    assert.equal(outcome.reply?.ruleName, 'Everyone');
    assert.deepEqual(
      outcome.offered.map((o) => o.ruleName),
      ['Legal footer'],
    );
    assert.deepEqual(
      outcome.banners.map((b) => [b.ruleName, b.uses]),
      [['Christmas', ['new']]],
    );
    const everyoneReasons = outcome.verdicts[2]!.reasons;
    assert.ok(everyoneReasons.includes('the default for new mail was already chosen by rule Sales (higher priority)'), everyoneReasons.join(' | '));
    assert.ok(everyoneReasons.includes('T-Everyone is the default for replies and forwards'));
    // After the campaign, the banner is gone.
    assert.deepEqual(evaluateRules([christmas], anna, new Date('2027-01-02T00:00:00Z')).banners, []);
  });

  test('a window must name a real time zone and end after it starts', () => {
    assert.equal(windowProblem(null), null);
    assert.equal(windowProblem({ from: '2026-12-01T00:00', to: '2026-12-24T00:00', timeZone: 'Europe/Berlin' }), null);
    assert.match(windowProblem({ from: '2026-12-01T00:00', to: '2026-12-24T00:00', timeZone: 'Mars/Olympus' }) ?? '', /unknown time zone Mars\/Olympus/);
    assert.match(windowProblem({ from: '2026-12-24T00:00', to: '2026-12-01T00:00', timeZone: 'UTC' }) ?? '', /ends .* before it starts/);
  });
});
