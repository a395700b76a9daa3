/**
 * End-to-end smoke test: build a worker exactly like scripts/build.ts builds the production one, run it under the
 * project's Node 24 (Temporal workers are not supported on Bun), and drive a workflow through the real dev server.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { buildWorker } from '../../scripts/build';
import { getStack, STACK_TIMEOUT_MS } from '../support/stack';
import type { smokeWorkflow } from './fixtures/workflows';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(REPO_ROOT, 'node_modules/.bin/node');
// Inside the repo so Node resolves the external packages from <repo>/node_modules.
const CACHE_DIR = join(REPO_ROOT, 'node_modules/.cache/generia-smoke');

type Worker = { proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>; output: () => string };

async function spawnWorker(workerPath: string, env: Record<string, string>, readyTimeoutMs: number): Promise<Worker> {
  const proc = Bun.spawn([NODE, workerPath], { env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'pipe' });
  let out = '';
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) out += decoder.decode(chunk, { stream: true });
  };
  void collect(proc.stdout);
  void collect(proc.stderr);
  const output = () => out;
  const deadline = Date.now() + readyTimeoutMs;
  while (!out.includes('WORKER_READY')) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`worker exited before WORKER_READY (code ${proc.exitCode}, signal ${proc.signalCode}):\n${out}`);
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`worker not ready after ${readyTimeoutMs} ms:\n${out}`);
    }
    await Bun.sleep(25);
  }
  return { proc, output };
}

describe('Temporal smoke test (Node worker subprocess)', () => {
  mkdirSync(CACHE_DIR, { recursive: true });
  const outDir = mkdtempSync(join(CACHE_DIR, 'build-'));
  let worker: Worker | undefined;

  afterAll(async () => {
    if (worker && worker.proc.exitCode === null) {
      worker.proc.kill('SIGKILL');
      await worker.proc.exited;
    }
    rmSync(outDir, { recursive: true, force: true });
  });

  test(
    'built worker runs a workflow with an activity through the dev server and exits 0 on SIGTERM',
    async () => {
      const [stack, build] = await Promise.all([
        getStack(),
        buildWorker({
          workerEntry: join(import.meta.dirname, 'fixtures/worker.ts'),
          workflowsEntry: join(import.meta.dirname, 'fixtures/workflows.ts'),
          outDir,
          log: () => {},
        }),
      ]);
      const taskQueue = `smoke-${crypto.randomUUID()}`;
      worker = await spawnWorker(build.workerPath, { TEMPORAL_ADDRESS: stack.temporalAddress, TASK_QUEUE: taskQueue }, 60_000);

      const connection = await Connection.connect({ address: stack.temporalAddress });
      try {
        const client = new Client({ connection });
        const result = await client.workflow.execute<typeof smokeWorkflow>('smokeWorkflow', {
          taskQueue,
          workflowId: `smoke-${crypto.randomUUID()}`,
          args: ['Generia'],
          workflowExecutionTimeout: '30 seconds',
        });
        expect(result).toBe('Hello, Generia! (from workflow)');
      } finally {
        await connection.close();
      }

      worker.proc.kill('SIGTERM');
      const code = await Promise.race([worker.proc.exited, Bun.sleep(20_000).then(() => 'timeout' as const)]);
      expect({ code, output: code === 0 ? '' : worker.output() }).toEqual({ code: 0, output: '' });
      expect(worker.output()).toContain('WORKER_STOPPED');
    },
    STACK_TIMEOUT_MS,
  );
});
