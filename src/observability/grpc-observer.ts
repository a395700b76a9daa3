/**
 * One Connect interceptor on every platform-service call: the correlation id as metadata, a client span (W3C
 * `traceparent` sent along) when tracing is on, latency and error metrics by method, and a row in
 * `api_requests_history` like the provider calls write — so an operator can follow a world from our logs and
 * traces into the Go services' logs.
 *
 * The correlation id is the world id (`x-correlation-id`), the one id every service of the platform knows for a
 * generation; `x-workflow-id` names the Temporal workflow that made the call. Outside an activity (start-up probes)
 * neither is sent.
 */
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { ApiRequestEntry } from '../repositories/api-request-repository';
import { currentActivityScope } from './activity-scope';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

export const CORRELATION_HEADER = 'x-correlation-id';
export const WORKFLOW_HEADER = 'x-workflow-id';

export interface GrpcObserverDeps {
  metrics?: Metrics | undefined;
  /** Writes the audit row; failures are logged at debug and never fail the call. */
  audit?: { record(entry: ApiRequestEntry): Promise<unknown> } | undefined;
  tracer?: Tracer | undefined;
  log?: Logger | undefined;
}

export function grpcObserver(deps: GrpcObserverDeps): Interceptor {
  const tracer = deps.tracer ?? trace.getTracer('generia-ai-worker');
  return (next) => async (req) => {
    const scope = currentActivityScope();
    if (scope?.world_id) req.header.set(CORRELATION_HEADER, scope.world_id);
    if (scope?.workflow_id) req.header.set(WORKFLOW_HEADER, scope.workflow_id);
    const method = req.method.name;
    const service = req.service.typeName;
    const span = tracer.startSpan(`${service}/${method}`, {
      kind: SpanKind.CLIENT,
      attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method, ...(scope?.world_id ? { 'generia.world_id': scope.world_id } : {}) },
    });
    const spanContext = trace.setSpan(context.active(), span);
    if (span.isRecording()) propagation.inject(spanContext, req.header, { set: (h, k, v) => h.set(k, v) });
    const started = performance.now();
    let code = 'OK';
    let error: unknown;
    try {
      return await context.with(spanContext, () => next(req));
    } catch (err) {
      error = err;
      code = Code[ConnectError.from(err).code] ?? 'Unknown';
      throw err;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      span.setAttribute('rpc.grpc.status_code', code);
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: code });
      span.end();
      deps.metrics?.grpcLatency.observe({ method, code }, seconds);
      if (error) deps.metrics?.grpcErrors.inc({ method, code });
      if (deps.audit && scope?.world_id) {
        const entry: ApiRequestEntry = {
          api_type: 'grpc',
          task_id: scope.task_id ?? scope.workflow_id ?? '',
          world_id: scope.world_id,
          request_type: `grpc_${method}`,
          request_data: { service, method, workflow_id: scope.workflow_id ?? null, activity_type: scope.activity_type },
          response_data: { code },
          error: error ? `${code}: ${ConnectError.from(error).rawMessage}`.slice(0, 1000) : null,
          duration_ms: Math.round(seconds * 1000),
          attempt: scope.attempt,
        };
        // Off the call's path: the audit row is a diagnostic, the call's outcome must not wait for it.
        void deps.audit.record(entry).catch((err: unknown) => deps.log?.debug('grpc audit row not written', { method, error: err instanceof Error ? err.message : String(err) }));
      }
    }
  };
}
