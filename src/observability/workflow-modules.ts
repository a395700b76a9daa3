/**
 * Two workflow bundles: the plain one, and one with the OpenTelemetry workflow interceptors (`*.otel.js`, beside
 * it), which a worker loads only when tracing is on. Measured on the golden histories (replay, a busy 2-core
 * machine): the interceptors cost about 30 % more workflow-task CPU even when their spans are dropped, so a worker
 * without an OTLP endpoint must not run them. Switching between the two is replay-safe in both directions: the
 * interceptors add headers and spans, never commands (the golden histories replay on the traced bundle, and the
 * observability e2e test replays traced histories on the plain one).
 */
import { fileURLToPath } from 'node:url';

export const WORKFLOW_INTERCEPTOR_MODULES: readonly string[] = [fileURLToPath(new URL('./workflow-interceptors.ts', import.meta.url))];

/** The traced bundle that sits beside a plain one: `…/workflow-bundle.js` → `…/workflow-bundle.otel.js`. */
export function tracedBundlePath(plainBundlePath: string): string {
  return plainBundlePath.replace(/(\.js)?$/, '.otel.js');
}

/** The bundle a worker loads: the traced one beside `plainBundlePath` when tracing is on and it exists. */
export function workflowBundleFor(
  plainBundlePath: string,
  tracing: boolean,
  exists: (path: string) => boolean,
  warn: (message: string, fields: Record<string, unknown>) => void,
): string {
  if (!tracing) return plainBundlePath;
  const traced = tracedBundlePath(plainBundlePath);
  if (exists(traced)) return traced;
  warn('tracing is on but there is no traced workflow bundle: workflow spans are missing from traces', { bundle: plainBundlePath, traced_bundle: traced });
  return plainBundlePath;
}
