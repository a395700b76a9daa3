/**
 * Our own Prometheus metrics (prom-client: the standard Node client, with the exposition format and histogram
 * maths done right). The SDK's runtime metrics (`temporal_*`: task latencies, slots, failed workflow tasks) come
 * from the SDK's own exporter and are served beside these on `/metrics` (see health-server.ts).
 *
 * Recorded from the audit rows (one per provider or gRPC call attempt, see metered-audit.ts) and the world
 * milestones (world-events.ts), so the numbers agree with `api_requests_history` and the status document.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160];
const GRPC_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const WORLD_SECONDS = [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const r = [registry];
  return {
    registry,
    providerCalls: new Counter({
      name: 'generia_provider_calls_total',
      help: 'Paid provider requests sent (LLM chat completions, image renders), by provider, model, step and outcome',
      labelNames: ['provider', 'model', 'step', 'outcome'] as const,
      registers: r,
    }),
    providerTokens: new Counter({
      name: 'generia_provider_tokens_total',
      help: 'LLM tokens billed, by model, step and kind (prompt|completion)',
      labelNames: ['model', 'step', 'kind'] as const,
      registers: r,
    }),
    providerCost: new Counter({
      name: 'generia_provider_cost_usd_total',
      help: 'Provider cost reported for answered requests (USD), by provider, model and step',
      labelNames: ['provider', 'model', 'step'] as const,
      registers: r,
    }),
    providerLatency: new Histogram({
      name: 'generia_provider_request_duration_seconds',
      help: 'Provider request latency, by provider, model and step',
      labelNames: ['provider', 'model', 'step'] as const,
      buckets: SECONDS,
      registers: r,
    }),
    providerErrors: new Counter({
      name: 'generia_provider_errors_total',
      help: 'Failed provider requests, by provider and kind (the error class: ProviderHttpError, ProviderTimeoutError, …)',
      labelNames: ['provider', 'kind'] as const,
      registers: r,
    }),
    grpcLatency: new Histogram({
      name: 'generia_grpc_client_duration_seconds',
      help: 'gRPC calls to the platform services, by method and status code',
      labelNames: ['method', 'code'] as const,
      buckets: GRPC_SECONDS,
      registers: r,
    }),
    grpcErrors: new Counter({
      name: 'generia_grpc_client_errors_total',
      help: 'Failed gRPC calls to the platform services, by method and status code',
      labelNames: ['method', 'code'] as const,
      registers: r,
    }),
    worldsStarted: new Counter({ name: 'generia_worlds_started_total', help: 'Worlds whose generation started', registers: r }),
    worldsFinished: new Counter({
      name: 'generia_worlds_finished_total',
      help: 'Worlds that finished, by status (completed|failed|cancelled)',
      labelNames: ['status'] as const,
      registers: r,
    }),
    worldDuration: new Histogram({
      name: 'generia_world_duration_seconds',
      help: 'Wall time from a world’s start to its end, by status',
      labelNames: ['status'] as const,
      buckets: WORLD_SECONDS,
      registers: r,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
