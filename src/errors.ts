/**
 * Every error a client can see is declared here once, with a stable code and an HTTP status.
 * test/errors.test.ts checks that each code is documented in docs/ERRORS.md.
 * Messages are written for the person reading the response: they say what was wrong, never how the
 * server is built (no stack traces, no SQL, no upstream bodies).
 */
export const ERROR_CATALOGUE = {
  ONRAMP_ERR_NOT_FOUND: { status: 404, message: 'Route %s not found' },
  ONRAMP_ERR_VALIDATION: { status: 400, message: 'Invalid request: %s' },
  ONRAMP_ERR_BAD_JSON: { status: 400, message: 'Body is not valid JSON: %s' },
  ONRAMP_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type: %s' },
  ONRAMP_ERR_BODY_TOO_LARGE: { status: 413, message: 'Request body is larger than the limit of %s bytes' },
  ONRAMP_ERR_BAD_REQUEST: { status: 400, message: 'Bad request: %s' },
  ONRAMP_ERR_INTERNAL: { status: 500, message: 'Internal error; quote the request id when reporting it' },
  ONRAMP_ERR_NOT_READY: { status: 503, message: 'Not ready: %s' },
  ONRAMP_ERR_CSV_UNREADABLE: { status: 400, message: 'The CSV cannot be read (nothing was stored): line %s: %s' },
  ONRAMP_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests; try again later' },
  ONRAMP_ERR_TRACKED_USER_NOT_FOUND: { status: 404, message: 'No tracked user %s in this campaign' },
  ONRAMP_ERR_DEVICE_NOT_FOUND: { status: 404, message: 'No device %s has sent a beacon for user %s' },
  ONRAMP_ERR_UNAUTHENTICATED: { status: 401, message: 'Sign in, or send a valid API token as Authorization: Bearer' },
  ONRAMP_ERR_FORBIDDEN: { status: 403, message: 'This needs the %s role' },
  ONRAMP_ERR_CSRF: { status: 403, message: 'Missing or wrong x-csrf-token header; reload the portal and try again' },
  ONRAMP_ERR_LOGIN_FAILED: { status: 401, message: 'Wrong user name or password' },
  ONRAMP_ERR_LOCAL_ADMIN_DISABLED: { status: 403, message: 'Local admin sign-in is switched off (auth.localAdmin); use single sign-on' },
  ONRAMP_ERR_SETUP_DONE: { status: 409, message: 'First-run setup is already done; sign in instead' },
  ONRAMP_ERR_SETUP_CODE: { status: 403, message: 'Wrong setup code; it is in the log of the onramp instance you reached' },
  ONRAMP_ERR_OIDC_FAILED: { status: 400, message: 'Single sign-on failed: %s' },
  ONRAMP_ERR_BULK_COUNT_CHANGED: {
    status: 409,
    message: 'The filter selects %s users now, not the %s that were confirmed: look at the list again and confirm the new count',
  },
  ONRAMP_ERR_GROUP_NOT_FOUND: { status: 404, message: 'No group with id %s in the directory' },
  ONRAMP_ERR_NO_ROLE: { status: 403, message: 'You signed in, but your account has neither the admin nor the viewer role for onramp' },
  ONRAMP_ERR_CLIENT_CERT_REQUIRED: { status: 401, message: 'A client certificate is required' },
  ONRAMP_ERR_CLIENT_CERT_REJECTED: { status: 401, message: 'Client certificate rejected: %s' },
  ONRAMP_ERR_CERT_NO_USER: { status: 403, message: 'The client certificate names no user (no UPN or email subject alternative name)' },
  ONRAMP_ERR_IDENTITY_MISMATCH: { status: 403, message: 'Identity mismatch: the body upn is not the certificate identity' },
  ONRAMP_ERR_IP_DENIED: { status: 403, message: 'Calls from this address are not allowed' },
  ONRAMP_ERR_THROTTLED: { status: 429, message: 'Too many requests; retry after %s seconds' },
  ONRAMP_ERR_UNKNOWN_USER: { status: 404, message: 'No such user in the directory' },
  ONRAMP_ERR_ATTRIBUTE_NOT_ALLOWED: { status: 400, message: 'Attribute %s is not available; see directory.allowedAttributes' },
  ONRAMP_ERR_DIRECTORY_NOT_READY: { status: 503, message: 'The directory cache has not completed its first sync yet' },
  ONRAMP_ERR_UPSTREAM_FAILED: { status: 502, message: 'Exchange Online refused the update; correlation id %s' },
  ONRAMP_ERR_MAIL_UNAVAILABLE: {
    status: 503,
    message: 'The mail relay did not take the email, so nothing was sent; check the mail settings and try again (request id in the log)',
  },
  ONRAMP_ERR_SIGNATURE_TOO_COMPLEX: { status: 400, message: 'Signature HTML refused: %s (see signatures.maxNestingDepth and signatures.maxElements)' },
  ONRAMP_ERR_SIGNATURE_BUSY: { status: 503, message: 'Too many signatures are being checked at the moment; retry in a few seconds' },
  ONRAMP_ERR_UPSTREAM_UNAVAILABLE: { status: 503, message: 'Exchange Online is unavailable or throttling; retry later (correlation id %s)' },
  ONRAMP_ERR_DEPLOYMENT_NOT_FOUND: { status: 404, message: 'No signature deployment %s' },
  ONRAMP_ERR_NOTHING_TO_RETRY: { status: 409, message: 'Signature deployment %s has no failed mailboxes to retry' },
  ONRAMP_ERR_NO_SIGNATURES: { status: 404, message: 'No signatures are assigned to %s' },
  ONRAMP_ERR_TEMPLATE_INVALID: { status: 400, message: 'The template has %s problem(s), nothing was stored: %s' },
  ONRAMP_ERR_SIGNATURE_ITEM_NOT_FOUND: { status: 404, message: 'No %s %s' },
  ONRAMP_ERR_VERSION_CONFLICT: {
    status: 409,
    message: 'Template %s was saved by someone else meanwhile: your edit started from version %s, the current one is %s; reload it and apply your change again',
  },
  ONRAMP_ERR_TEMPLATE_NAME_TAKEN: { status: 409, message: 'There is already a template named %s' },
  ONRAMP_ERR_TEMPLATE_IN_USE: { status: 409, message: 'Template %s is used by rules %s; change or delete those rules first' },
  ONRAMP_ERR_RULE_INVALID: { status: 400, message: 'Rule refused: %s' },
  ONRAMP_ERR_GRAPH_UNAVAILABLE: { status: 503, message: 'Microsoft Graph could not answer: %s' },
  ONRAMP_ERR_ASSET_REJECTED: { status: 400, message: 'Image refused: %s' },
  ONRAMP_ERR_ADDIN_TOKEN_INVALID: { status: 401, message: 'Add-in token refused: %s' },
  ONRAMP_ERR_ADDIN_KEYS_UNAVAILABLE: { status: 503, message: "The tenant's token keys could not be read: %s" },
  ONRAMP_ERR_ADDIN_MAILBOX_NOT_ALLOWED: { status: 403, message: 'Mailbox %s is not one the signed-in user may take signatures for' },
  ONRAMP_ERR_BRANDING_FILE_REJECTED: { status: 400, message: 'Branding file refused, nothing was stored: %s' },
  ONRAMP_ERR_BRANDING_NOT_FOUND: { status: 404, message: 'No branding %s %s' },
  ONRAMP_ERR_BRANDING_ASSET_IN_USE: { status: 409, message: 'Branding file %s is used by assignments %s; change or delete those first' },
  ONRAMP_ERR_ASSIGNMENT_INVALID: { status: 400, message: 'Assignment refused: %s' },
  ONRAMP_ERR_RANGE_NOT_SATISFIABLE: { status: 416, message: 'Range %s is not satisfiable: the file has %s bytes' },
} as const satisfies Record<string, { status: number; message: string }>;

export type OnrampErrorCode = keyof typeof ERROR_CATALOGUE;

export class OnrampError extends Error {
  readonly code: OnrampErrorCode;
  readonly statusCode: number;
  /** Extra fields of the error body a client acts on (e.g. a template's `problems` with line and column). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: OnrampErrorCode, args: ReadonlyArray<string | number> = [], options?: { cause?: unknown; details?: Record<string, unknown> }) {
    const entry = ERROR_CATALOGUE[code];
    let i = 0;
    super(
      entry.message.replace(/%s/g, () => String(args[i++] ?? '')),
      options,
    );
    this.name = 'OnrampError';
    this.code = code;
    this.statusCode = entry.status;
    this.details = options?.details;
  }
}

export function isOnrampError(err: unknown): err is OnrampError {
  return err instanceof OnrampError;
}

/**
 * Why `onramp serve` (or another command) could not start. Each failure is its own subclass with a
 * stable code, as jose's errors are; the CLI prints the message as one line and exits 1, without a
 * stack. Messages name the setting, the file or address, and the reason. Start-up checks run before
 * any listener opens, so a failed start never served a request. Listed in docs/ERRORS.md.
 */
export const STARTUP_ERROR_CODES = [
  'ONRAMP_START_CONFIG_INVALID',
  'ONRAMP_START_FILE_UNREADABLE',
  'ONRAMP_START_TRUST_ANCHORS_INVALID',
  'ONRAMP_START_TLS_INVALID',
  'ONRAMP_START_GATEWAY_INCOMPLETE',
  'ONRAMP_START_PORT_IN_USE',
  'ONRAMP_START_STORAGE_UNREACHABLE',
  'ONRAMP_START_STORAGE_READ_ONLY',
  'ONRAMP_START_MIGRATION_FAILED',
  'ONRAMP_START_BACKUP_FAILED',
  'ONRAMP_START_RESTORE_REFUSED',
] as const;

export type StartupErrorCode = (typeof STARTUP_ERROR_CODES)[number];

export abstract class StartupError extends Error {
  abstract readonly code: StartupErrorCode;
  /** The setting to change, as its configuration key (e.g. deviceGateway.crlFiles), when one applies. */
  readonly setting?: string;
  readonly file?: string;

  constructor(message: string, options: { setting?: string; file?: string; cause?: unknown } = {}) {
    super(options.setting ? `${options.setting}: ${message}` : message, { cause: options.cause });
    this.name = new.target.name;
    this.setting = options.setting;
    this.file = options.file;
  }
}

export function isStartupError(err: unknown): err is StartupError {
  return err instanceof StartupError;
}

/** The reason a file operation failed, without Node's "ENOENT: ..., open '<path>'" repetition. */
export function fileErrorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file (ENOENT)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${e.code})`;
    case 'EISDIR':
      return 'is a directory, not a file (EISDIR)';
    case 'EROFS':
      return 'read-only file system (EROFS)';
    default:
      return e?.code ? `${e.code}` : String(e?.message ?? e);
  }
}

/** A file a setting names is missing or cannot be read. */
export class StartupFileUnreadableError extends StartupError {
  readonly code = 'ONRAMP_START_FILE_UNREADABLE';
  constructor(setting: string, file: string, cause: unknown) {
    super(`cannot read ${file}: ${fileErrorReason(cause)}`, { setting, file, cause });
  }
}

/** The trust anchors file holds no usable CA certificate. */
export class TrustAnchorsInvalidError extends StartupError {
  readonly code = 'ONRAMP_START_TRUST_ANCHORS_INVALID';
  constructor(setting: string, file: string, reason: string, cause?: unknown) {
    super(`${file} is not usable as trust anchors: ${reason}`, { setting, file, cause });
  }
}

/** The server certificate, its key or a CRL cannot be used (malformed, or the key does not match). */
export class TlsMaterialInvalidError extends StartupError {
  readonly code = 'ONRAMP_START_TLS_INVALID';
  constructor(setting: string, file: string, reason: string, cause?: unknown) {
    super(`${file} cannot be used: ${reason}`, { setting, file, cause });
  }
}

/** The device gateway is half configured (a certificate without its key, no trust anchors). */
export class GatewayConfigError extends StartupError {
  readonly code = 'ONRAMP_START_GATEWAY_INCOMPLETE';
  constructor(setting: string, message: string) {
    super(message, { setting });
  }
}

/** Another process already listens on a configured port. */
export class PortInUseError extends StartupError {
  readonly code = 'ONRAMP_START_PORT_IN_USE';
  constructor(setting: string, address: string, cause?: unknown) {
    super(`${address} is already in use by another process (EADDRINUSE)`, { setting, cause });
  }
}

/** PostgreSQL did not answer or refused the connection. */
export class StorageUnreachableError extends StartupError {
  readonly code = 'ONRAMP_START_STORAGE_UNREACHABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { setting: 'database.url', cause: options?.cause });
  }
}

/** The SQLite database file, or the data directory it lives in, cannot be written. */
export class StorageReadOnlyError extends StartupError {
  readonly code = 'ONRAMP_START_STORAGE_READ_ONLY';
  constructor(file: string, reason: string, cause?: unknown) {
    super(`cannot write the SQLite database ${file}: ${reason}`, { setting: 'dataDir', file, cause });
  }
}

/** A database migration failed; nothing after it ran. */
export class MigrationFailedError extends StartupError {
  readonly code = 'ONRAMP_START_MIGRATION_FAILED';
  readonly migration: string | undefined;
  constructor(migration: string | undefined, options?: { cause?: unknown }) {
    super(`migration ${migration ?? '(unknown)'} failed: ${(options?.cause as Error | undefined)?.message ?? 'unknown error'}`, options);
    this.migration = migration;
  }
}

/** `onramp backup` could not write a consistent copy (or the storage is PostgreSQL: use pg_dump). */
export class BackupFailedError extends StartupError {
  readonly code = 'ONRAMP_START_BACKUP_FAILED';
  constructor(message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, options);
  }
}

/** `onramp restore` refused the file or the moment; the live database is untouched. */
export class RestoreRefusedError extends StartupError {
  readonly code = 'ONRAMP_START_RESTORE_REFUSED';
  constructor(message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, options);
  }
}
