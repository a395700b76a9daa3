/**
 * `GET /healthz` for orchestrator probes: Temporal workers open no port of their own. Answers 200
 * only while every worker of this process is RUNNING, and 503 as soon as shutdown begins, so a
 * draining pod is taken out of rotation before it stops.
 */
import { createServer, type Server } from 'node:http';

export interface HealthSource {
  /** Worker states by task queue, e.g. { 'ai-worker-llm': 'RUNNING' }. */
  states(): Record<string, string>;
}

export async function startHealthServer(port: number, source: HealthSource, host = '0.0.0.0'): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/healthz' && req.url !== '/readyz')) {
      res.writeHead(404).end();
      return;
    }
    const states = source.states();
    const healthy = Object.values(states).length > 0 && Object.values(states).every((s) => s === 'RUNNING');
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: healthy ? 'ok' : 'unavailable', workers: states }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
