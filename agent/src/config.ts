/**
 * The agent's configuration: one JSON file (`--config <file>`), checked against the schema below before
 * anything runs, so a typo stops the agent with the field's name instead of a failure at the first sync.
 * Relative file paths are read relative to the config file's folder.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const FilePath = Type.String({ minLength: 1, maxLength: 1024 });
const UPN_PATTERN = '[^@\\s]+@[^@\\s]+';
export const AUTO_UPN = 'auto';

/** PEM files (certificate with its chain, key) or one PFX/PKCS#12 file; the fallback to the Windows store. */
const Credentials = Type.Union([
  Type.Object(
    {
      /** The client certificate followed by its issuing CA(s): the gateway checks the chain up to its anchors. */
      certFile: FilePath,
      keyFile: FilePath,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      pfxFile: FilePath,
      /** A file holding the PFX password (not the password itself: the config file is readable by support staff). */
      passphraseFile: Type.Optional(FilePath),
    },
    { additionalProperties: false },
  ),
]);

export const AgentConfigSchema = Type.Object(
  {
    /** The device listener, e.g. `https://onramp.contoso.com:8443`. Only its origin is used. */
    serverUrl: Type.String({ pattern: '^https://[^/?#]+/?$' }),
    /**
     * The user's UPN, or `auto`: the platform finds the signed-in user's (whoami /upn on Windows), so one
     * config serves every user of a device. Either way the gateway checks it against the certificate.
     */
    upn: Type.String({ minLength: 3, maxLength: 256, pattern: `^(${AUTO_UPN}|${UPN_PATTERN})$` }),
    /** Defaults to the OS host name. */
    hostname: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })),
    credentials: Credentials,
    /** CA certificates (PEM) the server's certificate is checked against; the system's when absent. */
    caFile: Type.Optional(FilePath),
    /** Overrides the manifest's `sync.intervalMinutes` / `jitterMinutes` (`run` only). */
    intervalMinutes: Type.Optional(Type.Number({ minimum: 0.01, maximum: 10_080 })),
    jitterMinutes: Type.Optional(Type.Number({ minimum: 0, maximum: 1440 })),
    /** Per request: connect, headers and body together. */
    requestTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000 }),
    /** Extra attempts after a network error, a 5xx or a 429, with exponential backoff. */
    retries: Type.Integer({ minimum: 0, maximum: 10, default: 3 }),
    retryBaseDelayMs: Type.Integer({ minimum: 1, maximum: 60_000, default: 1000 }),
    /** Beacons kept while the server is unreachable; the oldest go first beyond it. */
    beaconQueueLimit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
    /**
     * The screensaver (.scr) that shows the downloaded file; onramp ships none (docs/AGENT.md). Without it
     * the agent sets the timeout and password-on-resume and leaves SCRNSAVE.EXE as it is.
     */
    screensaverPlayer: Type.Optional(FilePath),
    /** Linux tests and dry runs: every folder under `root`, the registry recorded in `root/registry.json`. */
    fakeRoot: Type.Optional(
      Type.Object(
        {
          root: FilePath,
          /** Whether the fake process counts as the SYSTEM task (may write HKLM). */
          elevated: Type.Boolean({ default: false }),
          /** The signed-in user `upn: "auto"` finds here; absent, the fake user is a local account (no UPN). */
          upn: Type.Optional(Type.String({ minLength: 3, maxLength: 256, pattern: `^${UPN_PATTERN}$` })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type AgentConfig = Static<typeof AgentConfigSchema>;

export class AgentConfigError extends Error {
  override readonly name = 'AgentConfigError';
}

/** Checks `raw` (already parsed JSON), fills the defaults and resolves file paths against `baseDir`. */
export function parseAgentConfig(raw: unknown, baseDir: string): AgentConfig {
  const withDefaults = Value.Default(AgentConfigSchema, structuredClone(raw));
  const problems = [...Value.Errors(AgentConfigSchema, withDefaults)].map((e) => `${e.path || '/'}: ${e.message}`);
  if (problems.length > 0) throw new AgentConfigError(`agent config is invalid: ${[...new Set(problems)].slice(0, 5).join('; ')}`);
  const config = withDefaults as AgentConfig;
  const at = (path: string) => resolve(baseDir, path);
  const credentials =
    'certFile' in config.credentials
      ? { certFile: at(config.credentials.certFile), keyFile: at(config.credentials.keyFile) }
      : {
          pfxFile: at(config.credentials.pfxFile),
          ...(config.credentials.passphraseFile ? { passphraseFile: at(config.credentials.passphraseFile) } : {}),
        };
  return {
    ...config,
    serverUrl: new URL(config.serverUrl).origin,
    credentials,
    ...(config.caFile ? { caFile: at(config.caFile) } : {}),
    ...(config.fakeRoot ? { fakeRoot: { ...config.fakeRoot, root: at(config.fakeRoot.root) } } : {}),
  };
}

export function loadAgentConfig(file: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AgentConfigError(`cannot read the agent config ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AgentConfigError(`the agent config ${file} is not JSON: ${(err as Error).message}`);
  }
  return parseAgentConfig(raw, dirname(resolve(file)));
}
