/**
 * Tracing for Temporal clients (the `world` CLI, tests, any starter): the start of a workflow becomes the root span
 * of the world's trace, carried to the worker in the workflow's headers. Off (no interceptors, nothing registered)
 * without an endpoint.
 *
 *   const t = createClientTracing({ otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT });
 *   const client = new Client({ connection, interceptors: t.interceptors });
 *   …; await t.shutdown();
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { ClientInterceptors } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { tracesUrl } from './tracing';

export interface ClientTracing {
  interceptors: ClientInterceptors;
  shutdown(): Promise<void>;
}

export function createClientTracing(opts: { otlpEndpoint?: string | undefined; serviceName?: string; exporter?: SpanExporter }): ClientTracing {
  if (!opts.otlpEndpoint && !opts.exporter) return { interceptors: {}, shutdown: async () => {} };
  const provider = new NodeTracerProvider({
    resource: new Resource({ 'service.name': opts.serviceName ?? 'generia-world-client' }),
    spanProcessors: [new BatchSpanProcessor(opts.exporter ?? new OTLPTraceExporter({ url: tracesUrl(opts.otlpEndpoint!) }), { scheduledDelayMillis: 500 })],
  });
  // The client interceptor reads the active context to inject it: a context manager must be registered.
  provider.register();
  const tracer = provider.getTracer('generia-world-client');
  return {
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] },
    shutdown: () => provider.shutdown(),
  };
}
