/* eslint-disable @typescript-eslint/no-explicit-any -- status documents are read as raw BSON, as world-service reads them. */
/**
 * The drill lab: the real local stack (Temporal dev server + MongoDB/FerretDB), the OpenRouter, Runware and service
 * stand-ins in this process, and any number of real worker processes (the production build under Node 24) that a
 * drill can start, SIGKILL and replace. One world runs at a time: the stand-ins are reset before each trial, so
 * every request they record belongs to the trial's world.
 *
 * Unlike test/support/world-harness.ts (one worker for the life of a test file), the lab owns its workers as a
 * pool, can own a stack with its state on disk (so Temporal survives a restart), and never assumes a worker
 * survives a trial.
 */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { startStack, type Stack } from '../stack';
import { freePort } from '../stack/readiness';
import { startOpenRouterStandIn, type OpenRouterStandIn } from '../stand-ins/openrouter';
import { startRunwareStandIn, type RunwareStandIn } from '../stand-ins/runware';
import { startServiceStandIns, type ServiceStandIns } from '../stand-ins/services';
import { buildWorker, WORKER_ENTRY, WORKFLOWS_ENTRY } from '../../scripts/build';
import { taskIds, TaskTypes, workflowIdFor } from '../../src/domain/task-ids';
import { dataConverterFromEnv, dataConverterOption } from '../../src/codec/data-converter';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(REPO_ROOT, 'node_modules/.bin/node');

/** Secrets given to the workers; the drills check they never reach a worker's output. */
export const DRILL_SECRETS = { openrouter: 'sk-or-drill-5e4d3c2b1a', runware: 'rw-drill-0f9e8d7c6b' };

/** Worker settings that keep fault recovery inside a drill's time budget; each is well inside the SDK timeouts. */
export const DRILL_WORKER_ENV = {
  LLM_TIMEOUT_MS: '3000',
  IMAGE_TIMEOUT_MS: '3000',
  IMAGE_HTTP_TIMEOUT_MS: '3000',
  GRPC_DEADLINE_MS: '2000',
  SHUTDOWN_GRACE_MS: '2000',
  LOG_LEVEL: 'info',
} as const;

export interface LabLatency {
  llmMs: number;
  imageMs: number;
  servicesMs: number;
}

export interface LabOptions {
  /** Use this stack (not stopped by close()). Default: start one (both servers keep their state on disk, so they can restart). */
  stack?: Stack;
  latency?: LabLatency;
  log?: (line: string) => void;
  /** Where worker output is written (one file per worker process). Default: a temp directory. */
  logDir?: string;
}

export interface WorkerProcess {
  /** 1, 2, 3… in the order this lab started them. */
  readonly n: number;
  readonly pid: number;
  readonly logPath: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  output(): string;
}

export interface WorldInput {
  world_id: string;
  world_name: string;
  world_prompt: string;
  characters_count: number;
  posts_count: number;
  [extra: string]: unknown;
}

export interface Settled {
  /** The status document once the world settled (or the last one read, on timeout). */
  status: Record<string, any> | null;
  timedOut: boolean;
  /** Stand-in events (requests and calls) that arrived after the world had settled. */
  lateEvents: number;
}

export interface Lab {
  readonly stack: Stack;
  readonly client: Client;
  readonly db: Db;
  readonly llm: OpenRouterStandIn;
  readonly images: RunwareStandIn;
  readonly services: ServiceStandIns;
  readonly logDir: string;
  /** Workers started by this lab that have not exited. */
  workers(): WorkerProcess[];
  /** Starts a worker and waits until it is ready; rejects (with its output) if it exits first. */
  startWorker(env?: Record<string, string>): Promise<WorkerProcess>;
  /** Stops every worker (SIGTERM, SIGKILL after 10 s) and starts one fresh worker. */
  replaceWorkers(): Promise<WorkerProcess>;
  /** Sends SIGKILL and waits for the exit; the moment is kept in `kills` (see world-check's in-transit window). */
  killWorker(worker: WorkerProcess): Promise<void>;
  /** Date.now() of every SIGKILL since the last resetStandIns(). */
  readonly kills: number[];
  /** Clears the stand-ins' records, faults and state, restores the lab's latency, forgets past kills. */
  resetStandIns(): void;
  /** Starts the root workflow exactly as world-service does (spec 12). */
  startWorld(input: WorldInput): Promise<WorkflowHandle>;
  /** Workflow id of the world's long-lived orchestrator. */
  orchestratorId(worldId: string): string;
  /** Waits until the status document is final and the orchestrator has closed, then for the stand-ins to go quiet. */
  waitSettled(worldId: string, timeoutMs: number, abort?: () => boolean): Promise<Settled>;
  /** Number of requests and calls the stand-ins have recorded. */
  events(): number;
  /** Terminates every running workflow of the world (clean-up after a stuck trial). */
  terminateWorld(worldId: string): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_LATENCY: LabLatency = { llmMs: 60, imageMs: 60, servicesMs: 10 };
const QUIET_MS = 2_000;

export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`[lab] ${line}\n`));
  const latency = opts.latency ?? DEFAULT_LATENCY;
  const ownsStack = opts.stack === undefined;
  mkdirSync(join(REPO_ROOT, '.build'), { recursive: true });
  const outDir = mkdtempSync(join(REPO_ROOT, '.build', 'drill-'));
  const logDir = opts.logDir ?? mkdtempSync(join(tmpdir(), 'generia-drill-logs-'));
  mkdirSync(logDir, { recursive: true });

  // Local servers only (not MONGODB_URI / TEMPORAL_ADDRESS): the restart drills must own them.
  const [stack, build] = await Promise.all([
    opts.stack ?? startStack({ ignoreEnv: true, log: (l) => log(`stack: ${l}`) }),
    buildWorker({ workerEntry: WORKER_ENTRY, workflowsEntry: WORKFLOWS_ENTRY, outDir, log: (l) => log(`build: ${l}`) }),
  ]);
  const llm = await startOpenRouterStandIn({ requireApiKey: DRILL_SECRETS.openrouter, latencyMs: latency.llmMs });
  const images = await startRunwareStandIn({ requireApiKey: DRILL_SECRETS.runware, latencyMs: latency.imageMs });
  const services = await startServiceStandIns();
  services.setLatency('*', latency.servicesMs);
  const database = `drill_${process.pid}_${Date.now()}`;
  const connectMongo = () => MongoClient.connect(stack.mongoUri, { serverSelectionTimeoutMS: 5_000, socketTimeoutMS: 10_000 });
  let mongo = await connectMongo();
  let db = mongo.db(database);
  let readFailures = 0;
  // Seen in the MongoDB restart drill: after FerretDB came back, this process's reads hung while the workers had
  // reconnected, so the lab bounds every read and opens a fresh client after repeated failures.
  const reconnectMongo = async () => {
    void mongo.close(true).catch(() => {});
    try {
      mongo = await connectMongo();
      db = mongo.db(database);
      readFailures = 0;
      log('lab reconnected to MongoDB');
    } catch {
      // still down: the next poll tries again
    }
  };
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace: 'default', ...dataConverterOption(dataConverterFromEnv()) });

  const all: (WorkerProcess & { child: ChildProcess; file: WriteStream })[] = [];
  const kills: number[] = [];
  let count = 0;

  async function startWorker(env: Record<string, string> = {}): Promise<WorkerProcess> {
    const n = ++count;
    const healthPort = await freePort();
    const logPath = join(logDir, `worker-${n}.log`);
    const file = createWriteStream(logPath);
    const child = spawn(NODE, [build.workerPath], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        TEMPORAL_ADDRESS: stack.temporalAddress,
        MONGODB_URI: stack.mongoUri,
        MONGODB_DATABASE: database,
        OPENROUTER_API_KEY: DRILL_SECRETS.openrouter,
        LLM_BASE_URL: llm.url,
        RUNWARE_API_KEY: DRILL_SECRETS.runware,
        RUNWARE_BASE_URL: images.url,
        CHARACTER_SERVICE_URL: services.url,
        POST_SERVICE_URL: services.url,
        MEDIA_SERVICE_URL: services.url,
        WORLD_SERVICE_URL: services.url,
        WORKFLOW_BUNDLE_PATH: build.workflowBundlePath,
        HEALTH_PORT: String(healthPort),
        ...DRILL_WORKER_ENV,
        ...env,
      },
    });
    let output = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      file.write(text);
      // Keep the tail only: a long drill's worker prints a lot.
      output = (output + text).slice(-200_000);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.once('exit', (code, signal) => {
        file.end();
        r({ code, signal });
      }),
    );
    const worker = {
      n,
      pid: child.pid ?? -1,
      logPath,
      exited,
      child,
      file,
      alive: () => child.exitCode === null && child.signalCode === null,
      output: () => output,
    };
    all.push(worker);
    const ready = (async () => {
      for (;;) {
        if (output.includes('"message":"worker ready"')) return;
        if (!worker.alive()) throw new Error(`worker ${n} exited before it was ready (${describeExit(child)}); log ${logPath}:\n${output.slice(-2500)}`);
        await Bun.sleep(50);
      }
    })();
    const timeout = Bun.sleep(90_000).then(() => {
      throw new Error(`worker ${n} not ready after 90 s; log ${logPath}:\n${output.slice(-2500)}`);
    });
    await Promise.race([ready, timeout]);
    log(`worker ${n} ready (pid ${worker.pid})`);
    return worker;
  }

  async function stopWorkers(): Promise<void> {
    await Promise.all(
      all.map(async (w) => {
        if (!w.alive()) return;
        w.child.kill('SIGTERM');
        await Promise.race([w.exited, Bun.sleep(10_000).then(() => w.child.kill('SIGKILL'))]);
        await w.exited;
      }),
    );
  }

  async function killWorker(worker: WorkerProcess): Promise<void> {
    const w = all.find((x) => x.n === worker.n);
    if (!w || !w.alive()) return;
    kills.push(Date.now());
    w.child.kill('SIGKILL');
    await w.exited;
    log(`worker ${w.n} SIGKILLed`);
  }

  const orchestratorId = (worldId: string) => workflowIdFor(TaskTypes.worldDescription, taskIds.worldDescription(worldId));
  const events = () => llm.requests.length + images.requests.length + services.calls.length;

  async function readStatus(worldId: string): Promise<Record<string, any> | null | undefined> {
    try {
      const doc = await within(5_000, db.collection('world_generation_status').findOne({ _id: worldId as never }));
      readFailures = 0;
      return doc;
    } catch {
      // MongoDB restarting (or this client wedged by the restart): try again, with a new client after a few misses.
      if (++readFailures >= 3) await reconnectMongo();
      return undefined;
    }
  }

  /** 'running' | 'closed' | 'missing' | 'unknown' (Temporal unreachable). */
  async function orchestratorState(worldId: string): Promise<string> {
    try {
      const d = await within(10_000, client.workflow.getHandle(orchestratorId(worldId)).describe());
      return d.status.name === 'RUNNING' ? 'running' : 'closed';
    } catch (err) {
      return (err as Error).name === 'WorkflowNotFoundError' ? 'missing' : 'unknown';
    }
  }

  async function waitSettled(worldId: string, timeoutMs: number, abort: () => boolean = () => false): Promise<Settled> {
    const deadline = Date.now() + timeoutMs;
    let status: Record<string, any> | null = null;
    for (;;) {
      const read = await readStatus(worldId);
      if (read !== undefined) status = read;
      if (status && status.status !== 'in_progress') {
        const state = await orchestratorState(worldId);
        // 'missing': the root failed before it started the orchestrator (the status says so).
        if (state === 'closed' || state === 'missing') break;
      }
      if (Date.now() > deadline || abort()) return { status, timedOut: true, lateEvents: 0 };
      await Bun.sleep(500);
    }
    const before = events();
    await Bun.sleep(QUIET_MS);
    const final = (await readStatus(worldId)) ?? status;
    return { status: final, timedOut: false, lateEvents: events() - before };
  }

  async function terminateWorld(worldId: string): Promise<void> {
    try {
      for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
        if (wf.workflowId.includes(worldId)) await client.workflow.getHandle(wf.workflowId).terminate('drill clean-up').catch(() => {});
      }
    } catch (err) {
      log(`could not terminate the workflows of ${worldId}: ${(err as Error).message}`);
    }
  }

  return {
    stack,
    client,
    get db() {
      return db;
    },
    llm,
    images,
    services,
    logDir,
    kills,
    workers: () => all.filter((w) => w.alive()),
    startWorker,
    async replaceWorkers() {
      await stopWorkers();
      return startWorker();
    },
    killWorker,
    resetStandIns() {
      llm.reset();
      images.reset();
      services.reset();
      services.setLatency('*', latency.servicesMs);
      llm.setLatency(latency.llmMs);
      images.setLatency(latency.imageMs);
      kills.length = 0;
    },
    startWorld: (input) =>
      client.workflow.start('InitWorldCreationWorkflow', {
        workflowId: `init-world-${input.world_id}`,
        taskQueue: 'ai-worker-main',
        args: [input],
        workflowExecutionTimeout: '30 minutes',
        workflowRunTimeout: '30 minutes',
        workflowTaskTimeout: '5 minutes',
      }),
    orchestratorId,
    waitSettled,
    events,
    terminateWorld,
    async close() {
      await stopWorkers();
      await connection.close().catch(() => {});
      await db.dropDatabase().catch(() => {});
      await mongo.close().catch(() => {});
      await Promise.all([llm.close(), images.close(), services.close()]);
      if (ownsStack) await stack.stop();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Rejects if `promise` has not settled within `ms`. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describeExit(child: ChildProcess): string {
  return child.signalCode ? `killed by ${child.signalCode}` : `exit code ${child.exitCode}`;
}
