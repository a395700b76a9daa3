/**
 * Local stack for development and integration tests: a Temporal dev server and a MongoDB-compatible server on
 * free loopback ports, built from Go modules on first use and reused afterwards.
 *
 * @example
 * const stack = await startStack();
 * try {
 *   // use stack.temporalAddress and stack.mongoUri
 * } finally {
 *   await stack.stop();
 * }
 *
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath } from './paths';
import { indent, installExitHook, ManagedProcess } from './process';
import { freePort, pingMongo, pingTemporal, waitUntil } from './readiness';
import { ensureFerretdb, ensureTemporal, type Log } from './tools';

export type Stack = {
  /** host:port of the Temporal frontend (gRPC). */
  temporalAddress: string;
  mongoUri: string;
  mongoKind: 'external' | 'mongod' | 'ferretdb';
  temporalKind: 'external' | 'dev-server';
  /** Pids of the processes this stack started (empty for external servers). */
  pids: number[];
  /** Stops the started processes (SIGTERM, then SIGKILL after a grace), waits for them, removes temp state. */
  stop(): Promise<void>;
};

export type StackOptions = {
  /** Progress lines. Default: stderr with a `[stack]` prefix. */
  log?: (line: string) => void;
  /**
   * Directory for server data. Given: data persists there (Temporal uses `<dir>/temporal.db`) and is kept by
   * `stop()`. Default: a fresh temp directory, removed by `stop()`; Temporal keeps its state in memory.
   */
  stateDir?: string;
  /** Where MONGODB_URI and TEMPORAL_ADDRESS are read from. Default: `process.env`. */
  env?: Record<string, string | undefined>;
  /** Ignore MONGODB_URI / TEMPORAL_ADDRESS and always start local servers. Default false. */
  ignoreEnv?: boolean;
  /** How long each server may take to answer after it was spawned. Default 60 s (external servers: 10 s). */
  readyTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. Default 5 s. */
  stopGraceMs?: number;
};

const defaultLog: Log = (line) => process.stderr.write(`[stack] ${line}\n`);

type Started = { address: string; proc?: ManagedProcess };

const tempDirs = new Set<string>();

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const log = opts.log ?? defaultLog;
  const env = opts.ignoreEnv ? {} : (opts.env ?? process.env);
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const externalTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  const stopGraceMs = opts.stopGraceMs ?? 5_000;

  // Validate settings before building or starting anything.
  const temporalEnv = nonEmpty(env.TEMPORAL_ADDRESS);
  const mongoEnv = nonEmpty(env.MONGODB_URI);
  if (temporalEnv !== undefined) validateTemporalAddress(temporalEnv);
  if (mongoEnv !== undefined) validateMongoUri(mongoEnv);

  const ownsStateDir = opts.stateDir === undefined;
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'generia-stack-'));
  mkdirSync(stateDir, { recursive: true });
  if (ownsStateDir) tempDirs.add(stateDir);
  installExitHook(() => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });

  const procs: ManagedProcess[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(procs.map((p) => p.stop(stopGraceMs)));
    if (ownsStateDir) {
      rmSync(stateDir, { recursive: true, force: true });
      tempDirs.delete(stateDir);
    }
  };

  const started = performance.now();
  const [temporal, mongo] = await Promise.allSettled([
    temporalEnv !== undefined
      ? useExternal('Temporal', 'TEMPORAL_ADDRESS', temporalEnv, () => pingTemporal(temporalEnv), externalTimeoutMs, log)
      : startTemporal(stateDir, ownsStateDir, readyTimeoutMs, log, procs),
    mongoEnv !== undefined
      ? useExternal('MongoDB', 'MONGODB_URI', mongoEnv, () => pingMongo(mongoEnv), externalTimeoutMs, log)
      : startMongo(stateDir, readyTimeoutMs, log, procs),
  ]);
  if (temporal.status === 'rejected' || mongo.status === 'rejected') {
    await stop();
    const errors = [temporal, mongo].flatMap((r) => (r.status === 'rejected' ? [errorMessage(r.reason)] : []));
    throw new Error(`local stack failed to start:\n${errors.map((e) => indent(e)).join('\n')}`);
  }
  log(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s: temporal ${temporal.value.address}, mongo ${mongo.value.address}`);

  return {
    temporalAddress: temporal.value.address,
    mongoUri: mongo.value.address,
    temporalKind: temporalEnv !== undefined ? 'external' : 'dev-server',
    mongoKind: mongo.value.proc ? (mongo.value.proc.name === 'mongod' ? 'mongod' : 'ferretdb') : 'external',
    pids: procs.map((p) => p.pid),
    stop,
  };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function validateTemporalAddress(address: string): void {
  if (!/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/.test(address) || address.includes('://')) {
    throw new Error(`TEMPORAL_ADDRESS must be host:port (e.g. 127.0.0.1:7233), without a scheme; got "${address}"`);
  }
}

export function validateMongoUri(uri: string): void {
  if (!/^mongodb(\+srv)?:\/\/[^/]+/.test(uri)) {
    throw new Error(`MONGODB_URI must start with mongodb:// or mongodb+srv:// (e.g. mongodb://127.0.0.1:27017/); got "${uri}"`);
  }
}

async function useExternal(what: string, variable: string, address: string, probe: () => Promise<void>, timeoutMs: number, log: Log): Promise<Started> {
  log(`using external ${what} from ${variable}=${address}`);
  try {
    await waitUntil(`${what} at ${variable}=${address}`, probe, { timeoutMs });
  } catch (err) {
    throw new Error(`${variable} is set, but no ${what} server answered there. Unset ${variable} to start a local one. ${errorMessage(err)}`);
  }
  return { address };
}

/**
 * Spawns a server on a freshly probed port and waits until `probe` succeeds. The probed port can be taken by
 * someone else before the server binds it, so a start that dies with "address already in use" is retried.
 */
async function startServer(
  name: string,
  command: string,
  argsFor: (port: number) => string[],
  addressFor: (port: number) => string,
  probe: (address: string) => Promise<void>,
  timeoutMs: number,
  log: Log,
  procs: ManagedProcess[],
): Promise<Started> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const address = addressFor(port);
    const t0 = performance.now();
    log(`starting ${name} on 127.0.0.1:${port}`);
    const proc = await ManagedProcess.spawn(name, command, argsFor(port));
    procs.push(proc);
    try {
      await waitUntil(`${name} on port ${port}`, () => probe(address), {
        timeoutMs,
        abort: () => (proc.hasExited ? `died during start-up: ${proc.describeExit()}` : undefined),
      });
      log(`${name} ready on 127.0.0.1:${port} (pid ${proc.pid}, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      return { address, proc };
    } catch (err) {
      const diedEarly = proc.hasExited;
      await proc.stop(1_000);
      procs.splice(procs.indexOf(proc), 1);
      if (attempt < 3 && /address already in use/i.test(proc.output())) {
        log(`${name}: port ${port} was taken meanwhile, retrying on another port`);
        continue;
      }
      // A server that died already carries its output in the message; one that hung gets its output appended.
      throw diedEarly ? err : new Error(`${errorMessage(err)}\n${proc.describeExit()}`);
    }
  }
}

async function startTemporal(stateDir: string, ephemeral: boolean, timeoutMs: number, log: Log, procs: ManagedProcess[]): Promise<Started> {
  const tool = await ensureTemporal(log);
  const uiPort = await freePort();
  return startServer(
    'temporal dev server',
    tool.path,
    (port) => [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--headless',
      '--log-level',
      'warn',
      ...(ephemeral ? [] : ['--db-filename', join(stateDir, 'temporal.db')]),
    ],
    (port) => `127.0.0.1:${port}`,
    (address) => pingTemporal(address),
    timeoutMs,
    log,
    procs,
  );
}

async function startMongo(stateDir: string, timeoutMs: number, log: Log, procs: ManagedProcess[]): Promise<Started> {
  const mongod = findOnPath('mongod');
  if (mongod) {
    const dbPath = join(stateDir, 'mongod');
    mkdirSync(dbPath, { recursive: true });
    return startServer(
      'mongod',
      mongod,
      (port) => ['--dbpath', dbPath, '--port', String(port), '--bind_ip', '127.0.0.1', '--nounixsocket', '--quiet'],
      (port) => `mongodb://127.0.0.1:${port}/`,
      (uri) => pingMongo(uri),
      timeoutMs,
      log,
      procs,
    );
  }
  const tool = await ensureFerretdb(log);
  const dataDir = join(stateDir, 'ferretdb');
  mkdirSync(dataDir, { recursive: true });
  return startServer(
    'ferretdb',
    tool.path,
    (port) => [
      '--handler=sqlite',
      `--sqlite-url=file:${dataDir}/`,
      `--listen-addr=127.0.0.1:${port}`,
      '--telemetry=disable',
      '--debug-addr=-',
      `--state-dir=${dataDir}`,
      '--log-level=warn',
    ],
    (port) => `mongodb://127.0.0.1:${port}/`,
    (uri) => pingMongo(uri),
    timeoutMs,
    log,
    procs,
  );
}
