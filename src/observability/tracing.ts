/**
 * OpenTelemetry traces, off unless `telemetry.otlpEndpoint` is set. Off, nothing of OpenTelemetry is
 * loaded and `inSpan` calls its function directly, so the jobs and the Graph transport pay one branch.
 * On, the SDK's provider is registered process-wide with its AsyncLocalStorage context manager: a span
 * started inside another one's function (a Graph call inside a job run or a request) is its child.
 */
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

type OtelApi = typeof import('@opentelemetry/api');

interface ActiveTracing {
  api: OtelApi;
  tracer: Tracer;
}

/** Set while tracing runs; the SDK's provider is global, so one per process. */
let active: ActiveTracing | undefined;

/** What a function run in a span may tell it once it knows (a status code). */
export interface SpanNotes {
  setAttribute(key: string, value: string | number | boolean): void;
}

export interface TracingOptions {
  endpoint: string;
  serviceName: string;
  instanceId: string;
}

/** Starts exporting spans; returns the stop, which flushes what is buffered. */
export async function startTracing(options: TracingOptions): Promise<() => Promise<void>> {
  if (active) throw new Error('tracing is already running in this process');
  const api = await import('@opentelemetry/api');
  const { NodeTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-node');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, 'service.instance.id': options.instanceId }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: options.endpoint }), { scheduledDelayMillis: 1000 })],
  });
  provider.register();
  const tracing: ActiveTracing = { api, tracer: provider.getTracer('onramp') };
  active = tracing;
  return async () => {
    if (active === tracing) active = undefined;
    await provider.shutdown();
    api.trace.disable();
    api.context.disable();
    api.propagation.disable();
  };
}

export function tracingActive(): boolean {
  return active !== undefined;
}

/** Runs `fn` in a span named `name` (child of the active one); an error marks the span and goes on. */
export function inSpan<T>(name: string, attributes: Attributes, fn: (notes: SpanNotes | undefined) => Promise<T>): Promise<T> {
  const tracing = active;
  if (!tracing) return fn(undefined);
  return tracing.tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: tracing.api.SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * A span per request (parent from the caller's `traceparent`), active while the route's handler runs:
 * handlers are wrapped at registration, since a context entered in an early hook does not survive
 * body parsing (stream events run in the socket's context). Call before the routes are registered.
 */
export function installHttpTracing(app: FastifyInstance, listener: string): void {
  const tracing = active;
  if (!tracing) return;
  const { api, tracer } = tracing;
  const spans = new WeakMap<FastifyRequest, { span: Span; context: Context }>();
  app.addHook('onRequest', (req, _reply, done) => {
    const parent = api.propagation.extract(api.ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      `${req.method} ${req.routeOptions.url ?? '(unmatched)'}`,
      { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'onramp.listener': listener } },
      parent,
    );
    spans.set(req, { span, context: api.trace.setSpan(parent, span) });
    done();
  });
  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function traced(this: unknown, req, reply) {
      const entry = spans.get(req);
      return entry ? api.context.with(entry.context, () => handler.call(this as never, req, reply)) : handler.call(this as never, req, reply);
    };
  });
  app.addHook('onResponse', (req, reply, done) => {
    const entry = spans.get(req);
    if (entry) {
      if (req.routeOptions.url) entry.span.setAttribute('http.route', req.routeOptions.url);
      entry.span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) entry.span.setStatus({ code: api.SpanStatusCode.ERROR });
      entry.span.end();
    }
    done();
  });
}
