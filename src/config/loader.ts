/**
 * Reads, checks and documents a settings schema made with the schema kit: file, then environment,
 * then overrides; one problem line per bad setting. Knows nothing of onramp's features: the schema
 * they make up together is assembled in src/onramp-config.ts.
 */
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kind, OptionalKind, type Static, type TSchema, type TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { StartupError } from '../errors.js';
export interface ConfigProblem {
  key: string;
  source: string;
  message: string;
}

/** A start-up failure with a line per problem (the one kind that may name several settings at once). */
export class ConfigError extends StartupError {
  readonly code = 'ONRAMP_START_CONFIG_INVALID';
  constructor(readonly problems: ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p.key} (${p.source}): ${p.message}`).join('\n')}`);
  }
}

interface LeafSetting {
  path: string[];
  schema: TSchema & { env?: string; secret?: boolean; description?: string };
  optional: boolean;
}

/** Every leaf setting of the schema, in declaration order. */
export function listSettings(schema: TObject, prefix: string[] = []): LeafSetting[] {
  const out: LeafSetting[] = [];
  for (const [key, child] of Object.entries(schema.properties)) {
    const path = [...prefix, key];
    if (child[Kind] === 'Object' && !('env' in child)) out.push(...listSettings(child as TObject, path));
    else out.push({ path, schema: child as LeafSetting['schema'], optional: child[OptionalKind] === 'Optional' });
  }
  return out;
}

export interface LoadOptions {
  /** Path of onramp.config.json; default ./onramp.config.json if it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Applied over file and environment (CLI flags, --demo presets). */
  overrides?: Record<string, unknown>;
}

export function loadSettings<S extends TObject>(schema: S, options: LoadOptions = {}): Static<S> {
  const env = options.env ?? process.env;
  const problems: ConfigProblem[] = [];
  const filePath = options.file ?? env.ONRAMP_CONFIG_FILE ?? resolve('onramp.config.json');
  let raw: Record<string, unknown> = {};
  if (existsSync(filePath)) {
    try {
      raw = JSON.parse(readFileSync(filePath, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError([{ key: '(file)', source: filePath, message: `not valid JSON: ${(err as Error).message}` }]);
    }
  } else if (options.file) {
    throw new ConfigError([{ key: '(file)', source: options.file, message: 'file not found' }]);
  }
  const sources = new Map<string, string>();
  for (const s of listSettings(schema)) {
    const name = s.schema.env;
    const key = s.path.join('.');
    if (getPath(raw, s.path) !== undefined) sources.set(key, filePath);
    if (!name || env[name] === undefined || env[name] === '') continue;
    const parsed = parseEnvValue(s.schema, env[name]);
    if (parsed.ok) {
      setPath(raw, s.path, parsed.value);
      sources.set(key, `env ${name}`);
    } else problems.push({ key, source: `env ${name}`, message: parsed.message });
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    setPath(raw, key.split('.'), value);
    sources.set(key, 'command line');
  }
  const withDefaults = Value.Default(schema, structuredClone(raw));
  for (const error of Value.Errors(schema, withDefaults)) {
    const key = error.path.replace(/^\//, '').replaceAll('/', '.') || '(root)';
    if (problems.some((p) => p.key === key)) continue;
    const allowed = (error.schema.anyOf as Array<{ const?: unknown }> | undefined)?.map((s) => s.const);
    const message =
      error.message === 'Unexpected property'
        ? 'unknown setting'
        : allowed?.every((v) => v !== undefined)
          ? `must be one of ${allowed.join(', ')}, got ${JSON.stringify(error.value)}`
          : error.message;
    problems.push({ key, source: sources.get(key) ?? filePath, message });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(withDefaults) as Static<S>;
}

function parseEnvValue(schema: TSchema, text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  switch (schema.type) {
    case 'integer':
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) return { ok: false, message: `expected a number, got "${text}"` };
      return { ok: true, value: n };
    }
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(text)) return { ok: true, value: true };
      if (/^(false|0|no|off)$/i.test(text)) return { ok: true, value: false };
      return { ok: false, message: `expected true or false, got "${text}"` };
    case 'array':
      return {
        ok: true,
        value: text
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      };
    default:
      return { ok: true, value: text };
  }
}

const REDACTED = '[redacted]';

/** A copy fit for logs and `onramp config check`: every secret replaced, and passwords inside URLs. */
export function redactSettings<S extends TObject>(schema: S, config: Static<S>): Record<string, unknown> {
  const copy = structuredClone(config) as Record<string, unknown>;
  for (const s of listSettings(schema)) {
    const value = getPath(copy, s.path);
    if (value === undefined || !s.schema.secret) continue;
    setPath(copy, s.path, typeof value === 'string' && /^[a-z]+:\/\//i.test(value) ? redactUrl(value) : REDACTED);
  }
  return copy;
}

function redactUrl(url: string): string {
  // Keep the parts that help an admin see where onramp connects; drop only the password.
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, `$1:${REDACTED}@`);
}

/** Markdown reference of every setting, generated from the schema (docs/CONFIGURATION.md). */
export function settingsReference(schema: TObject): string {
  const rows = listSettings(schema).map((s) => {
    const def = s.schema.default === undefined ? '' : `\`${JSON.stringify(s.schema.default)}\``;
    const secret = s.schema.secret ? ' **Secret**: redacted in logs and `config check`.' : '';
    return `| \`${s.path.join('.')}\` | \`${s.schema.env ?? ''}\` | ${def} | ${s.schema.description ?? ''}${secret} |`;
  });
  return [
    '# Configuration reference',
    '',
    'Generated from the config schema by `onramp config reference`; do not edit by hand.',
    '',
    'Settings come from `onramp.config.json` in the working directory (or the file named by `ONRAMP_CONFIG_FILE`),',
    'as nested JSON (`{"server": {"publicPort": 8080}}`), overridden by the environment variables below.',
    'Lists are comma-separated in the environment. An invalid setting stops the start with a message naming it.',
    '',
    '| key | environment | default | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

function getPath(obj: Record<string, unknown>, path: string[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const p of path.slice(0, -1)) {
    if (cur[p] === null || typeof cur[p] !== 'object') cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}
