import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Header and field paths that carry credentials; pino replaces them before a line is written. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'req.headers["x-arr-clientcert"]',
  'req.headers["x-forwarded-client-cert"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.clientSecret',
  '*.token',
];

const REDACTED = '[redacted]';
/**
 * A path segment that may be a credential: a link token (`<id>.<43 base64url>`), an API token, a
 * one-time code. Route segments are short words; anything of 16+ URL-safe characters with a digit in
 * it, or 32+ of any, is treated as secret. Percent-escapes count, so an encoded token is caught too.
 */
const SECRET_SEGMENT = /^(?=[^/]*\d)[\w.~%+=-]{16,}$|^[\w.~%+=-]{32,}$/;

/**
 * A URL as it may be logged: every query value and every token-shaped path segment replaced, whether
 * or not a route matched (a link sent with another method, a trailing slash or another letter case
 * reaches the 404 handler with its token). Parameter names stay, for diagnosis.
 */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const redactedPath = path
    .split('/')
    .map((segment) => (SECRET_SEGMENT.test(segment) ? REDACTED : segment))
    .join('/');
  if (queryAt === -1) return redactedPath;
  const query = url
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return `${SECRET_SEGMENT.test(name) ? REDACTED : name}=${REDACTED}`;
    })
    .join('&');
  return `${redactedPath}?${query}`;
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/**
 * Fastify's request serializer with the URL redacted. Fastify's own one (same fields) is replaced by
 * this because pino serializers of the logger instance take precedence over Fastify's defaults.
 */
function serializeRequest(req: LoggedRequest) {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : undefined,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

export function createLogger(level: LoggerOptions['level'] = 'info', destination?: DestinationStream): Logger {
  const options: LoggerOptions = { level, redact: { paths: REDACT, censor: REDACTED }, serializers: { req: serializeRequest, err: stdSerializers.err } };
  return destination ? pino(options, destination) : pino(options);
}
