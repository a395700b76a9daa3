/**
 * OpenTelemetry traces, exported over OTLP/HTTP when an endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT`):
 *
 *   client start (OpenTelemetryWorkflowClientInterceptor, in whoever starts the world)
 *     → workflow runs, activity and child starts (workflow interceptors, bundled; spans leave through a sink)
 *       → activity executions (activity interceptors)
 *         → outgoing HTTP: LLM and Runware calls, image downloads, uploads (Node's fetch, undici instrumentation)
 *         → gRPC to the platform services (grpc-observer.ts)
 *
 * all in one trace, linked through Temporal headers and W3C `traceparent`.
 *
 * When no endpoint is set nothing is registered: no tracer provider (the API's no-op tracer is used), no activity
 * interceptor, no HTTP instrumentation, and the worker loads the plain workflow bundle, without the workflow
 * interceptors (see workflow-modules.ts: they cost about 30 % more workflow-task CPU even with spans dropped).
 */
import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { OpenTelemetryWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';

export interface TracingOptions {
  /** OTLP/HTTP base URL (`http://collector:4318`); traces go to `<endpoint>/v1/traces`. Unset: tracing off. */
  otlpEndpoint?: string | undefined;
  serviceName?: string;
  /** Replaces the OTLP exporter (tests). */
  exporter?: SpanExporter;
}

export interface Tracing {
  enabled: boolean;
  tracer: Tracer;
  /** Activity interceptors (span per execution, trace ids on the SDK's activity log lines); empty when off. */
  activityInterceptors: ActivityInterceptorsFactory[];
  /** The `exporter` sink the traced bundle's workflow interceptors call: exports spans (drops them when off, for replays). */
  sinks: InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }>;
  /** Flushes and stops the exporter. */
  shutdown(): Promise<void>;
}

export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}

export function setupTracing(opts: TracingOptions): Tracing {
  if (!opts.otlpEndpoint && !opts.exporter) {
    return {
      enabled: false,
      tracer: trace.getTracer('generia-ai-worker'),
      activityInterceptors: [],
      sinks: { exporter: { export: { fn: () => {}, callDuringReplay: false } } },
      shutdown: async () => {},
    };
  }
  const resource = new Resource({ 'service.name': opts.serviceName ?? 'generia-ai-worker' });
  const exporter = opts.exporter ?? new OTLPTraceExporter({ url: tracesUrl(opts.otlpEndpoint!) });
  const processor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // Global: the ALS context manager (so activity spans parent the HTTP and gRPC spans) and the W3C propagator.
  provider.register();
  const unregister = registerInstrumentations({ instrumentations: [new UndiciInstrumentation()], tracerProvider: provider });
  const tracer = provider.getTracer('generia-ai-worker');
  return {
    enabled: true,
    tracer,
    activityInterceptors: [
      (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
    ],
    sinks: { exporter: makeWorkflowExporter(processor, resource) },
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
}
