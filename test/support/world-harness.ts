/**
 * End-to-end harness: the real local stack, the provider and service stand-ins, and the real worker
 * built for production and run as a Node 24 process — exactly what a deployment runs, with only the
 * remote APIs replaced by loopback servers that speak their protocols.
 */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { startOpenRouterStandIn, type OpenRouterStandIn, type OpenRouterStandInOptions } from '../../dev/stand-ins/openrouter';
import { startRunwareStandIn, type RunwareStandIn } from '../../dev/stand-ins/runware';
import { startServiceStandIns, type ServiceStandIns } from '../../dev/stand-ins/services';
import { buildWorker, WORKER_ENTRY, WORKFLOWS_ENTRY } from '../../scripts/build';
import { freePort } from '../../dev/stack/readiness';
import { taskIds, TaskTypes, workflowIdFor } from '../../src/domain/task-ids';
import { getStack } from './stack';
import { worldWorkflowIds } from './histories';
import { dataConverterFromEnv, dataConverterOption } from '../../src/codec/data-converter';
import { WORKER_NODE_FLAGS, WORKER_PROCESS_ENV } from '../../src/worker/process-flags';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(REPO_ROOT, 'node_modules/.bin/node');

/**
 * How the worker process is started: production's Node flags and process environment (src/worker/process-flags.ts),
 * unless the test process sets `TEST_WORKER_NODE_FLAGS` (space-separated) or `TEST_WORKER_PROCESS_ENV`
 * (`NAME=value,…`) — empty means none — for an A/B with `bun run bench` (docs/performance-memory.md).
 */
export function workerLaunch(env: Record<string, string | undefined> = process.env): { flags: string[]; env: Record<string, string> } {
  const flags = env.TEST_WORKER_NODE_FLAGS;
  const processEnv = env.TEST_WORKER_PROCESS_ENV;
  return {
    flags: flags === undefined ? [...WORKER_NODE_FLAGS] : flags.split(/\s+/).filter(Boolean),
    env:
      processEnv === undefined
        ? { ...WORKER_PROCESS_ENV }
        : Object.fromEntries(processEnv.split(',').filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])),
  };
}

/** The secrets the worker is given in tests: asserted never to appear in logs or histories. */
export const TEST_SECRETS = { openrouter: 'sk-or-test-9f8e7d6c5b4a', runware: 'rw-test-1a2b3c4d5e6f' };

export interface WorldInput {
  world_id: string;
  world_name: string;
  world_prompt: string;
  characters_count: number;
  posts_count: number;
  [extra: string]: unknown;
}

export interface WorldHarness {
  client: Client;
  db: Db;
  llm: OpenRouterStandIn;
  images: RunwareStandIn;
  services: ServiceStandIns;
  /** The prebuilt workflow bundle the worker runs (for replay tests). */
  workflowBundlePath: string;
  /** The worker's health endpoint (HEALTH_PORT). */
  healthUrl: string;
  /** Everything the worker printed (stdout + stderr). */
  output(): string;
  /** Sends a signal to the worker process. */
  signal(signal: NodeJS.Signals): void;
  /** The worker process's pid (benchmarks read its CPU time and memory from /proc). */
  workerPid: number;
  /** Milliseconds from spawning the worker process to its "worker ready" line (its pollers are started). */
  startupMs: number;
  /** Resolves with the worker's exit code once it has exited. */
  exited: Promise<number | null>;
  /** Starts the root workflow exactly as world-service does (spec 12). */
  startWorld(input: WorldInput): Promise<WorkflowHandle>;
  /** Waits for the world's long-lived orchestrator to finish and returns the status document. */
  waitForWorld(worldId: string, timeoutMs?: number): Promise<Record<string, any>>;
  /**
   * Starts one more worker process against the same stack, database and stand-ins (e.g. with other
   * `WORKER_ROLES`); it is stopped by `stop()` at the latest.
   */
  spawnWorker(env?: Record<string, string>): Promise<ExtraWorker>;
  stop(): Promise<void>;
}

export interface ExtraWorker {
  output(): string;
  /** Milliseconds from spawn to its "worker ready" line. */
  startupMs: number;
  signal(signal: NodeJS.Signals): void;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after 15 s. */
  stop(): Promise<void>;
}

let built: Promise<{ workerPath: string; workflowBundlePath: string }> | undefined;
function buildOnce() {
  // Inside the repository, so Node resolves the external packages from its node_modules.
  mkdirSync(join(REPO_ROOT, '.build'), { recursive: true });
  built ??= buildWorker({ workerEntry: WORKER_ENTRY, workflowsEntry: WORKFLOWS_ENTRY, outDir: mkdtempSync(join(REPO_ROOT, '.build', 'e2e-')) });
  return built;
}

export async function startWorldHarness(opts: { env?: Record<string, string>; llm?: Omit<OpenRouterStandInOptions, 'requireApiKey'> } = {}): Promise<WorldHarness> {
  const [stack, build] = await Promise.all([getStack(), buildOnce()]);
  const llm = await startOpenRouterStandIn({ requireApiKey: TEST_SECRETS.openrouter, ...opts.llm });
  const images = await startRunwareStandIn();
  const services = await startServiceStandIns();
  const database = `e2e_${process.pid}_${Date.now()}`;
  const mongo = await MongoClient.connect(stack.mongoUri);
  const db = mongo.db(database);

  const baseEnv = {
    PATH: process.env.PATH ?? '',
    TEMPORAL_ADDRESS: stack.temporalAddress,
    MONGODB_URI: stack.mongoUri,
    MONGODB_DATABASE: database,
    OPENROUTER_API_KEY: TEST_SECRETS.openrouter,
    LLM_BASE_URL: llm.url,
    // The stand-in speaks OpenRouter's dialect unless asked for OpenAI's (a loopback URL alone means openai-compatible).
    ...(opts.llm?.dialect === 'openai' ? {} : { LLM_PROVIDER: 'openrouter' }),
    RUNWARE_API_KEY: TEST_SECRETS.runware,
    RUNWARE_BASE_URL: images.url,
    CHARACTER_SERVICE_URL: services.url,
    POST_SERVICE_URL: services.url,
    MEDIA_SERVICE_URL: services.url,
    WORLD_SERVICE_URL: services.url,
    WORKFLOW_BUNDLE_PATH: build.workflowBundlePath,
    SHUTDOWN_GRACE_MS: '2000',
    LLM_TIMEOUT_MS: '20000',
    GRPC_DEADLINE_MS: '5000',
    LOG_LEVEL: 'info',
    ...opts.env,
  };
  /** Spawns a worker process and resolves once it says it is ready. */
  async function spawnReady(env: Record<string, string>) {
    const healthPort = await freePort();
    let output = '';
    const spawnedAt = performance.now();
    const launch = workerLaunch();
    const child: ChildProcess = spawn(NODE, [...launch.flags, build.workerPath], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...launch.env, ...baseEnv, HEALTH_PORT: String(healthPort), ...env },
    });
    const ready = new Promise<void>((resolveReady, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('"message":"worker ready"')) resolveReady();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready:\n${output.slice(-3000)}`)));
    });
    await Promise.race([ready, Bun.sleep(60_000).then(() => Promise.reject(new Error(`worker not ready after 60 s:\n${output.slice(-3000)}`)))]);
    return { child, healthPort, output: () => output, startupMs: performance.now() - spawnedAt };
  }
  const extraWorkers: ExtraWorker[] = [];

  const first = await spawnReady({});
  const worker = first.child;
  const healthPort = first.healthPort;
  const output = first.output;

  const exited = new Promise<number | null>((r) => worker.once('exit', (code) => r(code)));
  const connection = await Connection.connect({ address: stack.temporalAddress });
  // The client encodes with the keys the worker got, as every client of encrypted workers must.
  const client = new Client({ connection, namespace: 'default', ...dataConverterOption(dataConverterFromEnv({ PAYLOAD_CODEC_KEYS: opts.env?.PAYLOAD_CODEC_KEYS })) });

  return {
    client,
    db,
    llm,
    images,
    services,
    workflowBundlePath: build.workflowBundlePath,
    healthUrl: `http://127.0.0.1:${healthPort}/healthz`,
    output,
    signal: (sig) => worker.kill(sig),
    workerPid: worker.pid!,
    startupMs: first.startupMs,
    exited,
    startWorld: (input) =>
      client.workflow.start('InitWorldCreationWorkflow', {
        workflowId: `init-world-${input.world_id}`,
        taskQueue: 'ai-worker-main',
        args: [input],
        workflowExecutionTimeout: '30 minutes',
        workflowRunTimeout: '30 minutes',
        workflowTaskTimeout: '5 minutes',
      }),
    async waitForWorld(worldId, timeoutMs = 120_000) {
      const handle = client.workflow.getHandle(workflowIdFor(TaskTypes.worldDescription, taskIds.worldDescription(worldId)));
      const deadline = Date.now() + timeoutMs;
      // The orchestrator may not exist yet right after the root returns; poll until it does.
      for (;;) {
        try {
          await Promise.race([handle.result(), Bun.sleep(Math.max(0, deadline - Date.now())).then(() => Promise.reject(new Error('timeout')))]);
          break;
        } catch (err) {
          const name = (err as Error).name;
          if (name === 'WorkflowNotFoundError' && Date.now() < deadline) {
            await Bun.sleep(200);
            continue;
          }
          if (name === 'WorkflowFailedError') break;
          // A world that never settled: say what it still waits for (the assertion alone says nothing).
          if ((err as Error).message === 'timeout') await explainUnsettled(client, db, worldId, output).catch(() => {});
          throw err;
        }
      }
      const doc = await db.collection('world_generation_status').findOne({ _id: worldId as any });
      if (!doc) throw new Error(`no status document for ${worldId}`);
      return doc;
    },
    async spawnWorker(env = {}) {
      const { child, output: extraOutput, startupMs } = await spawnReady(env);
      const extraExited = new Promise<number | null>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) r(child.exitCode);
        else child.once('exit', (code) => r(code));
      });
      const extra: ExtraWorker = {
        output: extraOutput,
        startupMs,
        signal: (sig) => child.kill(sig),
        exited: extraExited,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            await Promise.race([extraExited, Bun.sleep(15_000).then(() => child.kill('SIGKILL'))]);
          }
        },
      };
      extraWorkers.push(extra);
      return extra;
    },
    async stop() {
      await Promise.all(extraWorkers.map((w) => w.stop()));
      if (worker.exitCode === null && worker.signalCode === null) {
        worker.kill('SIGTERM');
        await Promise.race([exited, Bun.sleep(15_000).then(() => worker.kill('SIGKILL'))]);
      }
      await connection.close();
      await db.dropDatabase().catch(() => {});
      await mongo.close();
      await Promise.all([llm.close(), images.close(), services.close()]);
      rmSync(join(build.workerPath, '..'), { recursive: true, force: true });
      built = undefined;
    },
  };
}

/** Prints every running workflow of the world with its pending activities (attempt, last failure) and the worker's last output. */
export async function explainUnsettled(client: Client, db: Db, worldId: string, output: () => string): Promise<void> {
  for (const id of await worldWorkflowIds(db, worldId)) {
    const d = await client.workflow.getHandle(id).describe().catch(() => null);
    if (d?.status.name !== 'RUNNING') continue;
    const pending = (d.raw.pendingActivities ?? []).map(
      (a) => `${a.activityType?.name} ${a.state} attempt ${a.attempt}${a.lastFailure?.message ? ` (last failure: ${a.lastFailure.message.slice(0, 300)})` : ''}`,
    );
    console.error(`world ${worldId} still running: ${id}; pending activities: ${JSON.stringify(pending)}; pending children: ${(d.raw.pendingChildren ?? []).length}`);
  }
  console.error(`worker output (last 4,000 characters):\n${output().slice(-4000)}`);
}
