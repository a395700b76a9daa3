import { expect, test } from 'bun:test';
import { startHealthServer } from '../../src/worker/health-server';

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
