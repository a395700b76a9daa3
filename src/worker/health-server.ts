/**
 * Probes for orchestrators (Temporal workers open no port of their own):
 *
 * - `GET /healthz` — liveness: 200 while every worker of this process is RUNNING, 503 as soon as shutdown begins
 *   (a draining pod is taken out of rotation before it stops) or a role has failed. A dependency outage does not
 *   make it fail: the worker reconnects by itself, and restarting it would only lose in-flight work.
 * - `GET /readyz` — readiness: additionally probes every dependency (MongoDB ping, Temporal through the workers'
 *   own connection) with a short timeout, and answers 503 naming each unreachable one.
 */
import { createServer, type Server } from 'node:http';
import type { DependencyState } from './readiness';

export interface HealthSource {
  /** Worker states by task queue, e.g. { 'ai-worker-llm': 'RUNNING' }. */
  states(): Record<string, string>;
  /** Dependency states by name, e.g. { mongodb: { ok: false, error: '…' } }. Default: none. */
  dependencies?(): Promise<Record<string, DependencyState>>;
}

export async function startHealthServer(port: number, source: HealthSource, host = '0.0.0.0'): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/healthz' && req.url !== '/readyz')) {
      res.writeHead(404).end();
      return;
    }
    const states = source.states();
    const live = Object.values(states).length > 0 && Object.values(states).every((s) => s === 'RUNNING');
    const reply = (ok: boolean, body: Record<string, unknown>) =>
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', ...body }));
    if (req.url === '/healthz') {
      reply(live, { workers: states });
      return;
    }
    (source.dependencies?.() ?? Promise.resolve<Record<string, DependencyState>>({})).then(
      (dependencies) => {
        const unavailable = Object.entries(dependencies)
          .filter(([, d]) => !d.ok)
          .map(([name]) => name);
        reply(live && unavailable.length === 0, { workers: states, dependencies, ...(unavailable.length > 0 ? { unavailable } : {}) });
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
