/**
 * Imports point one way (docs/ARCHITECTURE.md, "Layers"): the ground floor imports no feature, features
 * reach another feature only where the table below allows it, and only the assembly sees everything.
 * Tests are exempt: they may set up whatever they exercise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve('src');

/** Lower layers first; a unit may import its own layer and those below. */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['lib', 'config', 'pki', 'errors.ts'],
  ['db', 'http', 'graph', 'observability'],
  ['auth', 'mail', 'onboarding', 'directory', 'devices', 'gateway', 'signatures', 'addin', 'branding', 'portal', 'simulator', 'fleet'],
  ['app.ts', 'main.ts', 'cli.ts', 'demo.ts', 'demo-fleet.ts', 'onramp-config.ts', 'context.ts'],
];
const FEATURES = new Set(LAYERS[2]);

/** Feature → features whose modules it may import (their services and ports, never their SQL). */
const FEATURE_DEPENDENCIES: Record<string, readonly string[]> = {
  onboarding: ['mail', 'auth'],
  portal: ['auth', 'mail'],
  // Rules and templates read people, managers and group memberships from the directory copy; a mailbox's
  // deployment state shows the signature versions its user's devices reported.
  signatures: ['directory', 'devices'],
  // The add-in serves the planner's rendered signatures (model.ts, never the signatures' SQL).
  addin: ['signatures'],
  // The manifest carries the user's signature set (the planner) and is planned from directory facts;
  // assignments share the rules' criteria checks (directory/criteria.ts).
  branding: ['signatures', 'directory'],
  // The fleet view is a read side: it joins what each feature exports for reading (devices' list and a
  // user's devices, what branding served each device, the gateway's audit and certificates, the
  // signatures' deployment state, the add-in's reports, the onboarding funnel, the directory copy),
  // never their SQL.
  fleet: ['devices', 'signatures', 'addin', 'onboarding', 'gateway', 'directory', 'branding'],
};

/** The contract every feature is built from: types only, erased at build, so no runtime arrow runs up. */
const TYPE_ONLY_CONTRACT = new Set(['context.ts', 'onramp-config.ts']);

function unitOf(file: string): string {
  const [first] = relative(SRC, file).split('/');
  return first!;
}

function layerOf(unit: string): number {
  const layer = LAYERS.findIndex((units) => units.includes(unit));
  assert.notEqual(layer, -1, `src/${unit} is in no layer: add it to LAYERS in test/architecture.test.ts and to docs/ARCHITECTURE.md`);
  return layer;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

interface Import {
  target: string;
  typeOnly: boolean;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)'/gm)) out.push({ target: m[3]!, typeOnly: m[2] !== undefined });
  for (const m of text.matchAll(/import\('(\.[^']+)'\)/g)) out.push({ target: m[1]!, typeOnly: false });
  return out.map((i) => ({ ...i, target: resolve(dirname(file), i.target).replace(/\.js$/, '.ts') }));
}

/** Why `from` may not import `to`, or undefined when it may. */
function violation(from: string, to: string, typeOnly: boolean): string | undefined {
  const fromUnit = unitOf(from);
  const toUnit = unitOf(to);
  if (fromUnit === toUnit) return undefined;
  if (!to.startsWith(SRC)) return 'imports from outside src/';
  const [fromLayer, toLayer] = [layerOf(fromUnit), layerOf(toUnit)];
  if (fromLayer === LAYERS.length - 1) return undefined;
  if (TYPE_ONLY_CONTRACT.has(toUnit) && fromLayer === 2) return typeOnly ? undefined : `${toUnit} may be imported for its types only (import type)`;
  // The Database type is put together from each feature's table types.
  if (relative(SRC, from) === 'db/schema.ts' && to.endsWith('.tables.ts') && typeOnly) return undefined;
  if (toLayer > fromLayer) return `a lower layer (${fromUnit}) imports a higher one (${toUnit})`;
  if (FEATURES.has(fromUnit) && FEATURES.has(toUnit) && !(FEATURE_DEPENDENCIES[fromUnit] ?? []).includes(toUnit)) {
    return `feature ${fromUnit} imports feature ${toUnit}, which FEATURE_DEPENDENCIES does not allow`;
  }
  if (FEATURES.has(toUnit) && to.endsWith('.queries.ts') && fromUnit !== toUnit) return `${toUnit}'s SQL is its own`;
  return undefined;
}

test('imports point one way: ground floor → infrastructure → features (as declared) → assembly', () => {
  const problems: string[] = [];
  for (const file of sourceFiles(SRC)) {
    for (const { target, typeOnly } of importsOf(file)) {
      const why = violation(file, target, typeOnly);
      if (why) problems.push(`${relative(SRC, file)} → ${relative(SRC, target)}: ${why}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the check itself sees a wrong-way import', () => {
  const file = (path: string) => join(SRC, path);
  assert.match(violation(file('config/loader.ts'), file('onboarding/onboarding.config.ts'), false) ?? '', /lower layer/);
  assert.match(violation(file('mail/outbox.ts'), file('onboarding/invitations.service.ts'), false) ?? '', /does not allow/);
  assert.match(violation(file('onboarding/onboarding.service.ts'), file('context.ts'), false) ?? '', /types only/);
  assert.equal(violation(file('onboarding/onboarding.service.ts'), file('context.ts'), true), undefined);
  assert.equal(violation(file('onboarding/invitations.service.ts'), file('mail/outbox.ts'), false), undefined);
  assert.equal(violation(file('main.ts'), file('onboarding/onboarding.plugin.ts'), false), undefined);
});

/**
 * The device agent (agent/) is built into its own executable: from the server it may take the contract
 * modules only (TypeBox schemas and plain constants), or types (erased at build), so its bundle never
 * pulls in Fastify, the database or the server's configuration.
 */
const AGENT = resolve('agent/src');
const AGENT_MAY_IMPORT = [/^src\/.*\.schemas\.ts$/, /^src\/devices\/packages\.ts$/];

function agentViolation(to: string, typeOnly: boolean): string | undefined {
  if (to.startsWith(AGENT) || typeOnly) return undefined;
  const target = relative(resolve('.'), to);
  if (AGENT_MAY_IMPORT.some((allowed) => allowed.test(target))) return undefined;
  return `the agent may import ${target} for its types only (import type)`;
}

test('the agent imports only the contract from the server (schemas, constants, types)', () => {
  const problems: string[] = [];
  for (const file of sourceFiles(AGENT)) {
    for (const { target, typeOnly } of importsOf(file)) {
      const why = agentViolation(target, typeOnly);
      if (why) problems.push(`${relative(AGENT, file)} → ${why}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.match(agentViolation(resolve('src/devices/beacon.ts'), false) ?? '', /types only/);
  assert.equal(agentViolation(resolve('src/branding/manifest.schemas.ts'), false), undefined);
});
