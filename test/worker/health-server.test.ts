import { expect, test } from 'bun:test';
import { startHealthServer } from '../../src/worker/health-server';
import { createReadiness } from '../../src/worker/readiness';

test('healthz is 200 only while every worker is running', async () => {
  let states: Record<string, string> = { 'ai-worker-main': 'RUNNING', 'ai-worker-llm': 'RUNNING' };
  const server = await startHealthServer(0, { states: () => states }, '127.0.0.1');
  try {
    const url = `http://127.0.0.1:${server.port}/healthz`;
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ok', workers: states });
    states = { 'ai-worker-main': 'RUNNING', 'ai-worker-llm': 'DRAINING' };
    expect((await fetch(url)).status).toBe(503);
    states = {};
    expect((await fetch(url)).status).toBe(503);
    expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
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
