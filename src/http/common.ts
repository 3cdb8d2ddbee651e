import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OnrampError } from '../errors.js';

/** Request ids: a caller's `x-request-id` is kept if it looks sane, so traces join up across proxies. */
export function requestId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
}

/**
 * Log level of the routes every email open, link scan and device call goes through: Fastify's two
 * per-request info lines would cost more than the route itself. Their failures are still logged, and
 * device calls are audited (src/gateway/audit-writer.ts).
 */
export const HOT_ROUTE_LOG_LEVEL = 'warn';

export interface ErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
  requestId: string;
}

export function errorBody(reply: FastifyReply, err: OnrampError): ErrorBody {
  return {
    ...err.details,
    statusCode: err.statusCode,
    code: err.code,
    error: httpReason(err.statusCode),
    message: err.message,
    requestId: String(reply.request.id),
  };
}

/** One schema failure as people read it: which field (items counted from 1), and what is wrong with it. */
export function validationProblem(
  v: { instancePath: string; keyword: string; message?: string | undefined; params: Record<string, unknown> },
  context: string,
): string {
  const segments = v.instancePath.split('/').filter(Boolean);
  const field = segments.map((p) => (/^\d+$/.test(p) ? `item ${Number(p) + 1}` : `"${p}"`)).join(' ');
  const where = field === '' ? `the ${context === 'querystring' ? 'query string' : context}` : `${context === 'body' ? '' : `${context} `}${field}`;
  const what = ((): string => {
    switch (v.keyword) {
      case 'format':
        return v.params.format === 'email' ? 'is not a valid email address' : `is not a valid ${String(v.params.format)}`;
      case 'required':
        return `needs "${String(v.params.missingProperty)}"`;
      case 'additionalProperties':
        return `has an unknown field "${String(v.params.additionalProperty)}"`;
      case 'maxItems':
        return `has more than ${String(v.params.limit)} entries`;
      case 'maxLength':
        return `is longer than ${String(v.params.limit)} characters`;
      case 'minLength':
        return Number(v.params.limit) === 1 ? 'is empty' : `is shorter than ${String(v.params.limit)} characters`;
      default:
        return v.message ?? 'is invalid';
    }
  })();
  return `${where} ${what}`;
}

/** Maps Fastify's own errors to the catalogue; anything unknown becomes a 500 that says nothing inside. */
export function toOnrampError(err: FastifyError & { validationContext?: string }, bodyLimit: number): OnrampError {
  if (err instanceof OnrampError) return err;
  if (err.validation) {
    const detail = err.validation.map((v) => validationProblem(v, err.validationContext ?? 'body')).join('; ');
    return new OnrampError('ONRAMP_ERR_VALIDATION', [detail]);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new OnrampError('ONRAMP_ERR_BAD_JSON', [err.message]);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new OnrampError('ONRAMP_ERR_BODY_TOO_LARGE', [bodyLimit]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new OnrampError('ONRAMP_ERR_UNSUPPORTED_MEDIA_TYPE', [err.message.replace(/^Unsupported Media Type: ?/, '')]);
  }
  // JSON.parse errors raised by Fastify's parser for malformed bodies carry statusCode 400.
  if (err instanceof SyntaxError && err.statusCode === 400) return new OnrampError('ONRAMP_ERR_BAD_JSON', [err.message]);
  // The client's doing, not ours: a body cut off by a disconnect, a Content-Length that lies.
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return new OnrampError('ONRAMP_ERR_BAD_REQUEST', [err.message]);
  return new OnrampError('ONRAMP_ERR_INTERNAL', [], { cause: err });
}

/**
 * Installs the handlers every listener shares: JSON 404s, catalogue errors, and a 500 that logs the
 * cause server-side and shows the client only the request id.
 */
export function installErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const err = new OnrampError('ONRAMP_ERR_NOT_FOUND', [`${req.method} ${req.url.split('?')[0]}`]);
    return reply.code(404).send(errorBody(reply, err));
  });
  app.setErrorHandler((error: FastifyError, req, reply) => {
    // A 413 names the limit of the route that refused the body (the beacon's, say), not the server's.
    const err = toOnrampError(error, req.routeOptions.bodyLimit ?? bodyLimit);
    if (err.statusCode >= 500) req.log.error({ err: error }, 'request failed');
    else req.log.info({ code: err.code, reason: err.message }, 'request rejected');
    return reply.code(err.statusCode).send(errorBody(reply, err));
  });
  // A callback hook, not an async one: it runs on every response, and a promise per request shows up under load.
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id);
    done(null, payload);
  });
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function httpReason(status: number): string {
  return REASONS[status] ?? 'Error';
}
