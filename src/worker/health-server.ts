/**
 * Probes and metrics for orchestrators and Prometheus (Temporal workers open no port of their own):
 *
 * - `GET /healthz` — liveness: 200 while the process is alive and no role has failed — including while it drains
 *   after SIGTERM (restarting a draining pod would only cut its in-flight activities short). A dependency outage
 *   does not make it fail either: the worker reconnects by itself.
 * - `GET /readyz` — readiness: 200 only while every role is RUNNING and every dependency (MongoDB ping, Temporal
 *   through the workers' own connection) answers within a short timeout; 503 naming what is missing, and 503 as
 *   soon as shutdown begins, so a draining pod is taken out of rotation before it stops.
 * - `GET /metrics` — Prometheus text: the SDK's runtime metrics and ours (see src/observability/metrics.ts).
 */
import { createServer, type Server } from 'node:http';
import type { DependencyState } from './readiness';

export interface HealthSource {
  /** Worker states by task queue, e.g. { 'ai-worker-llm': 'RUNNING' }. */
  states(): Record<string, string>;
  /** Dependency states by name, e.g. { mongodb: { ok: false, error: '…' } }. Default: none. */
  dependencies?(): Promise<Record<string, DependencyState>>;
  /** The Prometheus exposition text for `/metrics`. Default: no `/metrics` (404). */
  metrics?(): Promise<string>;
}

/** States in which a worker still belongs to a live process (the SDK's `State` without FAILED). */
const ALIVE = new Set(['INITIALIZED', 'RUNNING', 'STOPPING', 'DRAINING', 'DRAINED', 'STOPPED']);

export async function startHealthServer(port: number, source: HealthSource, host = '0.0.0.0'): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (req.method !== 'GET' || (path !== '/healthz' && path !== '/readyz' && path !== '/metrics')) {
      res.writeHead(404).end();
      return;
    }
    if (path === '/metrics') {
      if (!source.metrics) {
        res.writeHead(404).end();
        return;
      }
      source.metrics().then(
        (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${err instanceof Error ? err.message : String(err)}\n`),
      );
      return;
    }
    const states = source.states();
    const values = Object.values(states);
    const alive = values.length > 0 && values.every((s) => ALIVE.has(s));
    const running = values.length > 0 && values.every((s) => s === 'RUNNING');
    const reply = (ok: boolean, body: Record<string, unknown>) =>
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', ...body }));
    if (path === '/healthz') {
      reply(alive, { workers: states });
      return;
    }
    if (!running) {
      // Draining (or failed): not ready, whatever the dependencies say; no probe needed.
      reply(false, { workers: states, ...(alive ? { draining: true } : {}) });
      return;
    }
    (source.dependencies?.() ?? Promise.resolve<Record<string, DependencyState>>({})).then(
      (dependencies) => {
        const unavailable = Object.entries(dependencies)
          .filter(([, d]) => !d.ok)
          .map(([name]) => name);
        reply(unavailable.length === 0, { workers: states, dependencies, ...(unavailable.length > 0 ? { unavailable } : {}) });
      },
      (err: unknown) => reply(false, { workers: states, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Probes use keep-alive; do not let an idle probe connection hold the shutdown.
        server.closeIdleConnections();
      }),
  };
}
