/** Traces, metrics and log redaction (docs/observability.md). LOG_LEVEL is in the general section. */
import * as v from 'valibot';
import { defineSection, envVar } from '../define';
import { httpUrl, integer, text } from '../schemas';

export default defineSection({
  key: 'observability',
  title: 'Observability',
  vars: {
    otlpEndpoint: envVar({
      name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
      schema: httpUrl(),
      doc: 'OTLP/HTTP collector base URL; traces go to `<url>/v1/traces` (JSON). Unset = tracing off: no spans are made or sent outside the workflow sandbox.',
      expected: 'an http(s) URL, or unset',
      example: 'http://otel-collector:4318',
    }),
    serviceName: envVar({
      name: 'OTEL_SERVICE_NAME',
      schema: text(),
      default: 'generia-ai-worker',
      doc: '`service.name` of the exported spans.',
      expected: 'a name',
    }),
    sdkMetricsPort: envVar({
      name: 'METRICS_SDK_PORT',
      schema: integer(0, 65_535),
      default: '0',
      doc:
        "Loopback port of the Temporal SDK's own Prometheus exporter, which `/metrics` on HEALTH_PORT reads and serves beside ours; 0 = a free port. Scrape HEALTH_PORT's `/metrics`, not this port (it binds 127.0.0.1 only).",
      expected: 'an integer 0..65535',
    }),
    redactPaths: envVar({
      name: 'LOG_REDACT_PATHS',
      schema: v.pipe(
        v.string(),
        v.transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p !== '')),
      ),
      doc: 'Extra log field paths to censor (pino redact syntax, e.g. `request.body.secret,*.token`), on top of the built-in credential paths.',
      expected: 'comma-separated field paths, or unset',
    }),
  },
  // The OpenTelemetry SDK reads many OTEL_* variables itself (headers, timeouts, resource attributes).
  passThroughPrefixes: ['OTEL_'],
});
