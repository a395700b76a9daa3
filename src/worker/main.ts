/**
 * Worker process entry (runs under Node: `node dist/worker.js`). Parses config once, starts the
 * configured roles, and handles signals: the first SIGTERM/SIGINT stops polling and lets in-flight
 * activities finish within SHUTDOWN_GRACE_MS; a second one exits at once. A role's fatal error stops every role
 * cleanly and exits 1 (78 for bad configuration), so the orchestrator restarts the process.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, unknownVariableWarnings } from '../config/config';
import { ConnectionFailure } from '../config/connection-failure';
import { setupObservability } from '../observability';
import { workflowBundleFor } from '../observability/workflow-modules';
import { runWorker, type RunningWorker } from './run-worker';

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 78; // EX_CONFIG
  }
  // Logger, SDK runtime (log forwarding, Prometheus exporter; it owns no signals) and tracing, before anything logs.
  const obs = await setupObservability({
    logLevel: config.logLevel,
    otlpEndpoint: config.observability.otlpEndpoint,
    serviceName: config.observability.serviceName,
    sdkMetricsPort: config.observability.sdkMetricsPort,
    redactPaths: config.observability.redactPaths,
  });
  const log = obs.log;

  // Misspelt variables with our prefixes would otherwise be ignored in silence.
  for (const warning of unknownVariableWarnings()) log.warn(warning);

  const plainBundle = config.worker.workflowBundlePath ?? fileURLToPath(new URL('./workflow-bundle.js', import.meta.url));
  // With tracing on, the bundle with the OpenTelemetry workflow interceptors (src/observability/workflow-modules.ts).
  const prebuilt = existsSync(plainBundle) ? workflowBundleFor(plainBundle, obs.tracing.enabled, existsSync, log.warn) : plainBundle;
  const source = existsSync(prebuilt)
    ? { bundlePath: prebuilt }
    : { workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)) };

  // Handlers go in before start-up, so a SIGTERM that arrives while we connect is a clean stop, not Node's default
  // kill: the stop is applied as soon as the workers exist.
  const started: { worker?: RunningWorker } = {};
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      log.info('shutting down: draining in-flight activities', { signal, grace_ms: config.worker.shutdownGraceMs });
      started.worker?.shutdown();
    } else {
      // Activities are not waited for; this line is (stdout is asynchronous; at most 1 s for a stuck collector), and
      // it stays the last one: what the SDK logs about the drain meanwhile is dropped.
      void log.last('warn', 'second signal: exiting now', { signal }, 1000).finally(() => process.exit(130));
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const worker = (started.worker = await runWorker(config, log, source, obs));
  if (signals > 0) worker.shutdown();
  try {
    await worker.done;
  } catch (err) {
    // A role failed: the others were drained and every client closed; exit non-zero so the orchestrator restarts us.
    log.error('worker exiting after a fatal error', { error: err instanceof Error ? err.message : String(err) });
    return 1;
  } finally {
    await obs.shutdown();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // An unreachable dependency is one line naming the variable, the redacted target and the cause.
    const text = ConnectionFailure.is(err) ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`worker failed: ${text}\n`);
    process.exit(1);
  },
);
