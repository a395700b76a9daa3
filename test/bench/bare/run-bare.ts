/** Starts the bare worker (bare/worker.ts) as a Node process and stops it. */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const NODE = join(REPO_ROOT, 'node_modules/.bin/node');

export interface BareWorker {
  taskQueue: string;
  pid: number;
  startupMs: number;
  stop(): Promise<void>;
}

export async function startBareWorker(temporalAddress: string): Promise<BareWorker> {
  const taskQueue = `bench-bare-${process.pid}-${Date.now()}`;
  const t0 = performance.now();
  const child = spawn(NODE, [join(import.meta.dirname, 'worker.ts')], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', TEMPORAL_ADDRESS: temporalAddress, BARE_TASK_QUEUE: taskQueue },
  });
  let output = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolveReady, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('bare worker ready')) resolveReady();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`bare worker exited with ${code}:\n${output.slice(-2000)}`)));
    setTimeout(() => reject(new Error(`bare worker not ready after 120 s:\n${output.slice(-2000)}`)), 120_000).unref();
  });
  return {
    taskQueue,
    pid: child.pid!,
    startupMs: performance.now() - t0,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, Bun.sleep(10_000).then(() => child.kill('SIGKILL'))]);
      }
    },
  };
}
