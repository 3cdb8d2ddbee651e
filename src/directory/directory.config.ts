import { section, setting } from '../config/schema-kit.js';
import { PROFILE_ATTRIBUTES } from '../graph/graph-port.js';

export const directoryConfig = section(
  {
    syncIntervalMs: setting.integer({
      default: 300_000,
      minimum: 0,
      maximum: 604_800_000,
      env: 'ONRAMP_DIRECTORY_SYNC_INTERVAL_MS',
      description:
        'How often the local directory cache pulls changes from Graph (users/delta); one instance of a cluster does it. 0: only at start (no schedule). At most 7 days.',
    }),
    groupRefreshIntervalMs: setting.integer({
      default: 900_000,
      minimum: 0,
      maximum: 604_800_000,
      env: 'ONRAMP_DIRECTORY_GROUP_REFRESH_INTERVAL_MS',
      description:
        'How often the transitive members of the groups signature rules and variables name are read again from Graph (also right after a rule or variable changes); one instance of a cluster does it. 0: only at start and on change. At most 7 days.',
    }),
    memoryTtlMs: setting.integer({
      default: 30_000,
      minimum: 0,
      env: 'ONRAMP_DIRECTORY_MEMORY_TTL_MS',
      description: 'How long an instance keeps a looked-up user in memory before reading the shared cache table again (0: always read).',
    }),
    allowedAttributes: setting.stringList({
      default: [...PROFILE_ATTRIBUTES],
      env: 'ONRAMP_DIRECTORY_ALLOWED_ATTRIBUTES',
      description: `Attributes devices may ask for in requiredAttribs (a subset of: ${PROFILE_ATTRIBUTES.join(', ')}).`,
    }),
  },
  'Directory cache: the local copy of Entra ID users the device API answers getUserAttributes from.',
);
