/**
 * The worker's observability, set up once per process before anything else (main.ts):
 * - one JSON logger for our code and the Temporal SDK (Rust core's logs forwarded through it; no ANSI, no
 *   multi-line text on stdout),
 * - our Prometheus metrics plus the SDK's runtime metrics, served together on the health server's `/metrics`,
 * - OpenTelemetry traces when an OTLP endpoint is configured.
 * `instrumentRepositories` and `grpcObserver` plug the milestones and call metrics in at the composition root.
 */
import { createServer } from 'node:net';
import { makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import type { Repositories } from '../repositories';
import { createServiceLogger, type LogLevel, type Logger, type ServiceLogger } from './logger';
import { meterAudit } from './metered-audit';
import { createMetrics, type Metrics } from './metrics';
import { SdkLogger } from './sdk-logger';
import { setupTracing, type Tracing } from './tracing';
import { observeWorldEvents } from './world-events';

export { activityScopeInterceptor } from './activity-scope';
export { grpcObserver } from './grpc-observer';
export type { Metrics, Tracing };

export interface ObservabilityOptions {
  logLevel: LogLevel;
  /** OTLP/HTTP endpoint for traces; unset: tracing off. */
  otlpEndpoint?: string | undefined;
  /** `service.name` of exported spans. */
  serviceName?: string | undefined;
  /**
   * Loopback port for the SDK's own Prometheus exporter, which `/metrics` reads and serves beside ours. 0 (default):
   * a free port is picked. It binds 127.0.0.1 only: scrape the health server's `/metrics`, not this port.
   */
  sdkMetricsPort?: number | undefined;
  /** Extra pino redact paths. */
  redactPaths?: readonly string[] | undefined;
}

export interface Observability {
  log: ServiceLogger;
  metrics: Metrics;
  tracing: Tracing;
  /** The SDK's and our metrics, in Prometheus text format. */
  metricsText(): Promise<string>;
  /** Flushes held-back failure summaries, pending spans and buffered log lines. */
  shutdown(): Promise<void>;
}

const CORE_LEVEL = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' } as const;

export async function setupObservability(opts: ObservabilityOptions): Promise<Observability> {
  const tracing = setupTracing({ otlpEndpoint: opts.otlpEndpoint, ...(opts.serviceName ? { serviceName: opts.serviceName } : {}) });
  const log = createServiceLogger({ level: opts.logLevel, traceIds: tracing.enabled, ...(opts.redactPaths ? { redactPaths: opts.redactPaths } : {}) });
  const sdkLogger = new SdkLogger(log.pino.child({ component: 'temporal' }));
  const port = opts.sdkMetricsPort || (await freeLoopbackPort());
  Runtime.install({
    logger: sdkLogger,
    // We own the signals (main.ts): the SDK's default handler would also react to the second signal by waiting.
    shutdownSignals: [],
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: CORE_LEVEL[opts.logLevel], other: 'ERROR' }) },
      metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } },
    },
  });
  const metrics = createMetrics();
  const sdkUrl = `http://127.0.0.1:${port}/metrics`;
  return {
    log,
    metrics,
    tracing,
    async metricsText() {
      const [sdk, own] = await Promise.all([
        fetch(sdkUrl, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.text(),
          (err: unknown) => `# SDK metrics unavailable: ${err instanceof Error ? err.message : String(err)}\n`,
        ),
        metrics.registry.metrics(),
      ]);
      return `${sdk.endsWith('\n') || sdk === '' ? sdk : `${sdk}\n`}${own}`;
    },
    async shutdown() {
      sdkLogger.flush();
      await tracing.shutdown().catch((err: unknown) => log.warn('flushing traces failed', { error: err instanceof Error ? err.message : String(err) }));
      // Stdout is written asynchronously: every line out before the process exits (the logger's exit hook is the backstop).
      await log.flush();
    },
  };
}

/** The status and audit repositories, observed: world milestones logged and counted, provider calls metered. */
export function instrumentRepositories(repos: Repositories, log: Logger, metrics: Metrics | undefined): Repositories {
  return {
    ...repos,
    status: observeWorldEvents(repos.status, log, metrics),
    ...(metrics ? { audit: meterAudit(repos.audit, metrics) } : {}),
  };
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
