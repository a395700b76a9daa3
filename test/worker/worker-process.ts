/**
 * Extra worker processes beside a world harness's own: the same production build under Node 24, the same
 * stand-ins and database, any WORKER_ROLES split. For tests of several processes starting, restarting or failing.
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { freePort } from '../../dev/stack/readiness';
import type { Stack } from '../support/stack';
import { TEST_SECRETS, workerLaunch, type WorldHarness } from '../support/world-harness';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(REPO_ROOT, 'node_modules/.bin/node');

export interface WorkerProcess {
  pid: number;
  /** The process's health endpoint base, e.g. http://127.0.0.1:PORT */
  healthBase: string;
  /** Resolves once the worker logged "worker ready"; rejects if it exits first or after 90 s. */
  ready: Promise<void>;
  exited: Promise<number | null>;
  output(): string;
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after 15 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** The environment the harness gave its worker, for a process that must join it. */
export function harnessEnv(h: WorldHarness, stack: Stack): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    TEMPORAL_ADDRESS: stack.temporalAddress,
    MONGODB_URI: stack.mongoUri,
    MONGODB_DATABASE: h.db.databaseName,
    OPENROUTER_API_KEY: TEST_SECRETS.openrouter,
    LLM_BASE_URL: h.llm.url,
    RUNWARE_API_KEY: TEST_SECRETS.runware,
    RUNWARE_BASE_URL: h.images.url,
    CHARACTER_SERVICE_URL: h.services.url,
    POST_SERVICE_URL: h.services.url,
    MEDIA_SERVICE_URL: h.services.url,
    WORLD_SERVICE_URL: h.services.url,
    WORKFLOW_BUNDLE_PATH: h.workflowBundlePath,
    SHUTDOWN_GRACE_MS: '2000',
    LLM_TIMEOUT_MS: '20000',
    GRPC_DEADLINE_MS: '5000',
    LOG_LEVEL: 'info',
  };
}

/** The harness's built worker entry (it sits beside the workflow bundle). */
export const workerPathOf = (h: WorldHarness) => join(dirname(h.workflowBundlePath), 'worker.js');

export async function spawnWorkerProcess(workerPath: string, env: Record<string, string>): Promise<WorkerProcess> {
  const healthPort = await freePort();
  // Started as production starts it (src/worker/process-flags.ts), as the harness's own worker is.
  const launch = workerLaunch();
  const child = spawn(NODE, [...launch.flags, workerPath], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...launch.env, ...env, HEALTH_PORT: String(healthPort) } });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ready = new Promise<void>((resolveReady, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('"message":"worker ready"')) resolveReady();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`worker (pid ${child.pid}) exited with ${code} before it was ready:\n${out.slice(-3000)}`)));
    setTimeout(() => reject(new Error(`worker (pid ${child.pid}) not ready after 90 s:\n${out.slice(-3000)}`)), 90_000).unref();
  });
  ready.catch(() => {}); // observed by the caller; never an unhandled rejection
  return {
    pid: child.pid!,
    healthBase: `http://127.0.0.1:${healthPort}`,
    ready,
    exited,
    output: () => out,
    signal: (sig) => child.kill(sig),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return child.exitCode;
    },
  };
}
