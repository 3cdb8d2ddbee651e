import { section, setting } from '../config/schema-kit.js';

export const telemetryConfig = section(
  {
    metricsPort: setting.optionalInteger({
      minimum: 0,
      maximum: 65535,
      env: 'ONRAMP_METRICS_PORT',
      description: 'Port of the metrics listener (GET /metrics, Prometheus text, no authentication). Unset: no metrics listener. 0 picks a free port.',
    }),
    metricsHost: setting.string({
      default: '127.0.0.1',
      env: 'ONRAMP_METRICS_HOST',
      description: 'Address the metrics listener binds to. Loopback by default: it has no authentication.',
    }),
    metricsToken: setting.optionalString({
      env: 'ONRAMP_METRICS_TOKEN',
      secret: true,
      minLength: 32,
      description:
        'When set, the public listener also serves GET /metrics to callers sending Authorization: Bearer <this token> (401 otherwise). At least 32 characters.',
    }),
    otlpEndpoint: setting.optionalString({
      env: 'ONRAMP_OTLP_ENDPOINT',
      pattern: '^https?://',
      description:
        'OpenTelemetry traces: OTLP/HTTP endpoint the spans are exported to (e.g. http://collector:4318/v1/traces). Unset: tracing is off and its SDK is not loaded.',
    }),
    serviceName: setting.string({
      default: 'onramp',
      env: 'ONRAMP_OTEL_SERVICE_NAME',
      description: 'service.name of the exported spans.',
    }),
  },
  'Metrics and traces',
);
