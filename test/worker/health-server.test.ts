import { expect, test } from 'bun:test';
import { startHealthServer } from '../../src/worker/health-server';
import { createReadiness } from '../../src/worker/readiness';

// Before: /healthz went 503 as soon as a worker was DRAINING, so a liveness probe could restart a pod mid-drain.
test('healthz stays 200 while draining and fails only when a role failed; readyz is 503 from the start of the drain', async () => {
  let states: Record<string, string> = { 'ai-worker-main': 'RUNNING', 'ai-worker-llm': 'RUNNING' };
  const server = await startHealthServer(0, { states: () => states, dependencies: async () => ({}) }, '127.0.0.1');
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const ok = await fetch(`${base}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ok', workers: states });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    states = { 'ai-worker-main': 'RUNNING', 'ai-worker-llm': 'DRAINING' };
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const draining = await fetch(`${base}/readyz`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toMatchObject({ status: 'unavailable', draining: true });
    states = { 'ai-worker-main': 'STOPPED', 'ai-worker-llm': 'FAILED' };
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
    states = {};
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`)).status).toBe(404); // no metrics source given
  } finally {
    await server.close();
  }
});

test('/metrics serves the source\'s Prometheus text', async () => {
  const server = await startHealthServer(0, { states: () => ({ q: 'RUNNING' }), metrics: async () => 'generia_up 1\n' }, '127.0.0.1');
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toBe('generia_up 1\n');
  } finally {
    await server.close();
  }
});

// Before: /readyz answered exactly like /healthz, so a worker whose MongoDB was gone stayed "ready".
test('readyz is 503 naming each unreachable dependency while healthz (liveness) stays 200', async () => {
  const states = { 'ai-worker-main': 'RUNNING' };
  let mongoUp = false;
  const readiness = createReadiness(
    {
      mongodb: async () => {
        if (!mongoUp) throw new Error('connect ECONNREFUSED 127.0.0.1:27017');
      },
      // Never answers: the probe timeout must turn that into "unavailable", not a hung probe.
      temporal: () => new Promise<void>(() => {}),
    },
    200,
  );
  const server = await startHealthServer(0, { states: () => states, dependencies: () => readiness.check() }, '127.0.0.1');
  try {
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const down = await fetch(`${base}/readyz`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as { unavailable: string[]; dependencies: Record<string, { ok: boolean; error?: string }> };
    expect(body.unavailable).toEqual(['mongodb', 'temporal']);
    expect(body.dependencies.mongodb).toMatchObject({ ok: false, error: 'connect ECONNREFUSED 127.0.0.1:27017' });
    expect(body.dependencies.temporal).toMatchObject({ ok: false, error: 'no answer within 200 ms' });

    mongoUp = true;
    const half = (await (await fetch(`${base}/readyz`)).json()) as { unavailable: string[] };
    expect(half.unavailable).toEqual(['temporal']);
  } finally {
    await server.close();
  }
});
