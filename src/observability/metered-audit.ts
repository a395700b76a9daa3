/**
 * Provider and gRPC call metrics recorded from the audit rows: every paid request attempt (LLM, image) and every
 * gRPC call writes exactly one `api_requests_history` row with its model, step, tokens, cost, latency and error, so
 * metering the repository's `record` counts exactly what the audit trail shows — without a metrics call beside each
 * of the activities' audit hooks. Metrics are recorded before the row is written, so a failed audit write does not
 * lose them.
 */
import type { ApiRequestEntry, ApiRequestRepository } from '../repositories/api-request-repository';
import type { Metrics } from './metrics';

const PROVIDER: Record<string, string> = { llm: 'llm', image_generation: 'image' };

/** `ProviderHttpError: 429 …` → `ProviderHttpError`: the error class is the kind. */
function errorKind(error: string): string {
  const m = /^([A-Za-z][\w]*)(?::|$)/.exec(error);
  return m?.[1] ?? 'Error';
}

export function meterAuditEntry(metrics: Metrics, entry: ApiRequestEntry): void {
  const provider = PROVIDER[entry.api_type];
  if (!provider) return; // grpc rows are metered by the gRPC interceptor, which knows the status code
  const data = entry.request_data as Record<string, unknown>;
  const model = typeof data.model === 'string' ? data.model : 'unknown';
  const step = entry.request_type.replace(/^(llm|image)_/, '');
  const failed = typeof entry.error === 'string' && entry.error.length > 0;
  metrics.providerCalls.inc({ provider, model, step, outcome: failed ? 'error' : 'ok' });
  metrics.providerLatency.observe({ provider, model, step }, entry.duration_ms / 1000);
  if (failed) metrics.providerErrors.inc({ provider, kind: errorKind(entry.error!) });
  if (entry.prompt_tokens) metrics.providerTokens.inc({ model, step, kind: 'prompt' }, entry.prompt_tokens);
  if (entry.completion_tokens) metrics.providerTokens.inc({ model, step, kind: 'completion' }, entry.completion_tokens);
  if (entry.cost) metrics.providerCost.inc({ provider, model, step }, entry.cost);
}

export function meterAudit(audit: ApiRequestRepository, metrics: Metrics): ApiRequestRepository {
  return {
    ...audit,
    record(entry) {
      try {
        meterAuditEntry(metrics, entry);
      } catch {
        // Metrics must never fail an audit write.
      }
      return audit.record(entry);
    },
  };
}
