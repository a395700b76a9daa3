/**
 * Local stack for development and integration tests: a Temporal dev server and a MongoDB-compatible server on
 * free loopback ports, built from Go modules on first use and reused afterwards.
 *
 * Both servers keep their state on disk in the stack's state directory (Temporal: `<dir>/temporal.db` through
 * `start-dev --db-filename`; FerretDB: `<dir>/ferretdb`; mongod: `<dir>/mongod`), so either can be restarted
 * mid-world with {@link Stack.restartMongo} / {@link Stack.restartTemporal} — same port, same data — which is what
 * the restart tests and drills do to prove the worker reconnects and the worlds survive.
 *
 * @example
 * const stack = await startStack();
 * try {
 *   // use stack.temporalAddress and stack.mongoUri
 *   await stack.restartMongo(); // the worker must ride through this
 * } finally {
 *   await stack.stop();
 * }
 *
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { SEARCH_ATTRIBUTE_NAMES } from '../../src/workflows/progress';
import { findOnPath } from './paths';
import { indent, installExitHook, ManagedProcess } from './process';
import { freePort, pingMongo, pingTemporal, waitUntil } from './readiness';
import { ensureFerretdb, ensureTemporal, type Log } from './tools';
import { postgresUsable, startPostgresForFerretdb } from './mongo-server';

export type Stack = {
  /** host:port of the Temporal frontend (gRPC). */
  temporalAddress: string;
  mongoUri: string;
  mongoKind: 'external' | 'mongod' | 'ferretdb';
  /** FerretDB's storage, when this stack started FerretDB. */
  ferretdbBackend?: FerretdbBackend;
  temporalKind: 'external' | 'dev-server';
  /** The dev server's Web UI, when started with `temporalUi`. */
  temporalUiUrl?: string;
  /** Pids of the processes this stack started (empty for external servers); current after a restart. */
  readonly pids: number[];
  /** The directory holding both servers' data (a temp directory unless `stateDir` was given). */
  stateDir: string;
  /**
   * Every directory holding server data: `stateDir`, and PostgreSQL's cluster when it had to live beside it (its
   * account could not reach `stateDir`). What to delete to delete a kept stack's data.
   */
  readonly dataDirs: string[];
  /**
   * Stops the MongoDB-compatible server (SIGTERM, SIGKILL after the stop grace), waits `downtimeMs` (default 0),
   * starts it again on the same port with the same data directory, and resolves once it answers `ping`. Clients
   * see connection errors while it is down and the same URI works afterwards. Rejects for an external server
   * (MONGODB_URI), which this stack does not own.
   */
  restartMongo(opts?: RestartOptions): Promise<void>;
  /**
   * The same for the Temporal dev server: same port, same `--db-filename` (workflows, histories and task queues
   * survive), resolves once the frontend serves `DescribeNamespace` again. Rejects for an external server
   * (TEMPORAL_ADDRESS).
   */
  restartTemporal(opts?: RestartOptions): Promise<void>;
  /** Stops the started processes (SIGTERM, then SIGKILL after a grace), waits for them, removes temp state. */
  stop(): Promise<void>;
};

export type RestartOptions = {
  /** How long the server stays down between stop and start. Default 0. */
  downtimeMs?: number;
  /**
   * Runs once the old process has exited and before the new one starts (alongside `downtimeMs`): the window in
   * which a test can observe the outage. A rejection fails the restart, after the server was started again.
   */
  whileDown?: () => Promise<void>;
};

export type StackOptions = {
  /** Progress lines. Default: stderr with a `[stack]` prefix. */
  log?: (line: string) => void;
  /**
   * Directory for server data (Temporal uses `<dir>/temporal.db`). Given: it is kept by `stop()`, so a later stack
   * on the same directory sees the same worlds. Default: a fresh temp directory, removed by `stop()`.
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
  /**
   * Serve the dev server's Web UI (default: headless). It listens on `preferredPort` (default 8233, Temporal's usual)
   * when that is free, else on a free port; {@link Stack.temporalUiUrl} says where.
   */
  temporalUi?: { preferredPort?: number };
};

const defaultLog: Log = (line) => process.stderr.write(`[stack] ${line}\n`);

/** How to (re)start one local server: everything but the port is fixed when the stack starts. */
type ServerSpec = {
  name: string;
  command: string;
  argsFor: (port: number) => string[];
  addressFor: (port: number) => string;
  probe: (address: string) => Promise<void>;
};

type Started = { address: string; proc?: ManagedProcess; port?: number; spec?: ServerSpec; uiUrl?: string; backend?: FerretdbBackend };

export type FerretdbBackend = 'sqlite' | 'postgresql';

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
  // Server data kept outside the state directory (PostgreSQL's cluster, when its account cannot reach the state
  // directory): removed with it.
  const sideDirs: string[] = [];
  const onSideDir = (dir: string) => {
    sideDirs.push(dir);
    if (ownsStateDir) tempDirs.add(dir);
  };
  let stopped = false;
  // A restart in progress: stop() waits for it so it never leaves a freshly restarted server running.
  let restarting: Promise<void> = Promise.resolve();
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await restarting.catch(() => {});
    await Promise.all(procs.map((p) => p.stop(stopGraceMs)));
    if (ownsStateDir) {
      for (const dir of [stateDir, ...sideDirs]) {
        rmSync(dir, { recursive: true, force: true });
        tempDirs.delete(dir);
      }
    }
  };

  const started = performance.now();
  const [temporal, mongo] = await Promise.allSettled([
    temporalEnv !== undefined
      ? useExternal('Temporal', 'TEMPORAL_ADDRESS', temporalEnv, () => pingTemporal(temporalEnv), externalTimeoutMs, log)
      : startTemporal(stateDir, readyTimeoutMs, log, procs, opts.temporalUi),
    mongoEnv !== undefined
      ? useExternal('MongoDB', 'MONGODB_URI', mongoEnv, () => pingMongo(mongoEnv), externalTimeoutMs, log)
      : startMongo(stateDir, readyTimeoutMs, log, procs, nonEmpty(env.STACK_FERRETDB_BACKEND), onSideDir),
  ]);
  if (temporal.status === 'rejected' || mongo.status === 'rejected') {
    await stop();
    const errors = [temporal, mongo].flatMap((r) => (r.status === 'rejected' ? [errorMessage(r.reason)] : []));
    throw new Error(`local stack failed to start:\n${errors.map((e) => indent(e)).join('\n')}`);
  }
  log(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s: temporal ${temporal.value.address}, mongo ${mongo.value.address}`);

  const servers = { mongo: mongo.value, temporal: temporal.value };
  const restart = (which: 'mongo' | 'temporal', variable: string, opts: RestartOptions = {}): Promise<void> => {
    const server = servers[which];
    if (stopped) return Promise.reject(new Error(`restart${which === 'mongo' ? 'Mongo' : 'Temporal'}: the stack is stopped`));
    if (!server.proc || !server.spec || server.port === undefined) {
      return Promise.reject(new Error(`cannot restart ${which === 'mongo' ? 'MongoDB' : 'Temporal'}: it is an external server (${variable}), not started by this stack`));
    }
    const { proc: old, spec, port } = server;
    const run = async () => {
      log(`restarting ${spec.name} on 127.0.0.1:${port}`);
      await old.stop(stopGraceMs);
      procs.splice(procs.indexOf(old), 1);
      log(`${spec.name} stopped; starting it again${opts.downtimeMs ? ` in ${opts.downtimeMs} ms` : ''}`);
      const down = await Promise.allSettled([
        opts.downtimeMs ? new Promise((r) => setTimeout(r, opts.downtimeMs)) : Promise.resolve(),
        opts.whileDown?.(),
      ]);
      server.proc = await restartServer(spec, port, readyTimeoutMs, log, procs);
      for (const d of down) if (d.status === 'rejected') throw d.reason;
    };
    // One restart at a time, so a drill that restarts both servers never races two spawns on one port.
    const next = restarting.catch(() => {}).then(run);
    restarting = next;
    return next;
  };

  return {
    temporalAddress: temporal.value.address,
    mongoUri: mongo.value.address,
    temporalKind: temporalEnv !== undefined ? 'external' : 'dev-server',
    ...(temporal.value.uiUrl ? { temporalUiUrl: temporal.value.uiUrl } : {}),
    mongoKind: mongo.value.proc ? (mongo.value.proc.name === 'mongod' ? 'mongod' : 'ferretdb') : 'external',
    ...(mongo.value.backend ? { ferretdbBackend: mongo.value.backend } : {}),
    get pids() {
      return procs.map((p) => p.pid);
    },
    stateDir,
    get dataDirs() {
      return [stateDir, ...sideDirs];
    },
    restartMongo: (opts) => restart('mongo', 'MONGODB_URI', opts),
    restartTemporal: (opts) => restart('temporal', 'TEMPORAL_ADDRESS', opts),
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
 * Spawns a server on a freshly probed port and waits until it answers. The probed port can be taken by someone
 * else before the server binds it, so a start that dies with "address already in use" is retried.
 */
async function startServer(spec: ServerSpec, timeoutMs: number, log: Log, procs: ManagedProcess[]): Promise<Started> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      const proc = await spawnAndWait(spec, port, timeoutMs, log, procs);
      return { address: spec.addressFor(port), proc, port, spec };
    } catch (err) {
      if (attempt < 3 && err instanceof PortTakenError) {
        log(`${spec.name}: port ${port} was taken meanwhile, retrying on another port`);
        continue;
      }
      // The Temporal dev server also binds ports of its own choosing, and when one is taken it panics with a
      // goroutine dump longer than the output tail we keep, so "address already in use" may not be in it (seen in
      // CI: exit 2 with only the fx stack frames left). A server that died while starting gets two more tries.
      if (attempt < 3 && err instanceof DiedDuringStartError) {
        log(`${spec.name}: died during start-up (${err.message.split('\n')[0]}), retrying on another port`);
        continue;
      }
      throw err;
    }
  }
}

/**
 * Starts a server again on the port it had. Clients keep their address, so the port must be the same; if someone
 * else holds it for a moment (another process probing for a free port), keep trying until the start deadline.
 */
async function restartServer(spec: ServerSpec, port: number, timeoutMs: number, log: Log, procs: ManagedProcess[]): Promise<ManagedProcess> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await spawnAndWait(spec, port, timeoutMs, log, procs);
    } catch (err) {
      if (!(err instanceof PortTakenError) || performance.now() > deadline) throw err;
      log(`${spec.name}: port ${port} is still taken, retrying`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

class PortTakenError extends Error {}
class DiedDuringStartError extends Error {}

async function spawnAndWait(spec: ServerSpec, port: number, timeoutMs: number, log: Log, procs: ManagedProcess[]): Promise<ManagedProcess> {
  const address = spec.addressFor(port);
  const t0 = performance.now();
  log(`starting ${spec.name} on 127.0.0.1:${port}`);
  const proc = await ManagedProcess.spawn(spec.name, spec.command, spec.argsFor(port));
  procs.push(proc);
  try {
    await waitUntil(`${spec.name} on port ${port}`, () => spec.probe(address), {
      timeoutMs,
      abort: () => (proc.hasExited ? `died during start-up: ${proc.describeExit()}` : undefined),
    });
    log(`${spec.name} ready on 127.0.0.1:${port} (pid ${proc.pid}, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    return proc;
  } catch (err) {
    const diedEarly = proc.hasExited;
    await proc.stop(1_000);
    procs.splice(procs.indexOf(proc), 1);
    if (/address already in use/i.test(proc.output())) throw new PortTakenError(`${spec.name}: port ${port} is in use`);
    // A server that died already carries its output in the message; one that hung gets its output appended.
    throw diedEarly ? new DiedDuringStartError(errorMessage(err)) : new Error(`${errorMessage(err)}\n${proc.describeExit()}`);
  }
}

async function startTemporal(stateDir: string, timeoutMs: number, log: Log, procs: ManagedProcess[], ui?: { preferredPort?: number }): Promise<Started> {
  const tool = await ensureTemporal(log);
  const preferred = ui?.preferredPort ?? 8233;
  const uiPort = ui && (await canListen(preferred)) ? preferred : await freePort();
  // State on disk, always: a dev server that keeps it in memory loses every world when it restarts.
  const dbFile = join(stateDir, 'temporal.db');
  // The world's search attributes (src/workflows/progress.ts), so `bun run world list` and the Web UI can filter.
  const searchAttributes = Object.values(SEARCH_ATTRIBUTE_NAMES).flatMap((name) => ['--search-attribute', `${name}=Keyword`]);
  const started = await startServer(
    {
      name: 'temporal dev server',
      command: tool.path,
      argsFor: (port) => [
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--ui-port',
        String(uiPort),
        ...(ui ? [] : ['--headless']),
        '--log-level',
        'warn',
        '--db-filename',
        dbFile,
        ...searchAttributes,
      ],
      addressFor: (port) => `127.0.0.1:${port}`,
      probe: (address) => pingTemporal(address),
    },
    timeoutMs,
    log,
    procs,
  );
  return ui ? { ...started, uiUrl: `http://127.0.0.1:${uiPort}` } : started;
}

/** Whether 127.0.0.1:<port> can be bound right now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * FerretDB stores its data in PostgreSQL when PostgreSQL's server binaries can run here (Debian's `postgresql`,
 * which `.ci/run` installs), else in SQLite. PostgreSQL is the default because it is faster and as correct with the
 * worker's per-document locks: measured 0.5× FerretDB CPU for one 3×10 world and 0.3× at five at once, and W 10–12 s
 * against 15–17 s for the same world (docs/performance-db-runtime.md) — its backend pushes `_id` and other top-level
 * equalities down to SQL, where the SQLite backend decodes the whole collection for any filter but a bare `_id`.
 * `STACK_FERRETDB_BACKEND=sqlite|postgresql` forces one. The cluster keeps running across `restartMongo` (only
 * FerretDB restarts) and is listed in `pids` too.
 */
async function startMongo(
  stateDir: string,
  timeoutMs: number,
  log: Log,
  procs: ManagedProcess[],
  backend: string | undefined,
  onSideDir: (dir: string) => void,
): Promise<Started> {
  const mongod = findOnPath('mongod');
  if (mongod) {
    const dbPath = join(stateDir, 'mongod');
    mkdirSync(dbPath, { recursive: true });
    return startServer(
      {
        name: 'mongod',
        command: mongod,
        argsFor: (port) => ['--dbpath', dbPath, '--port', String(port), '--bind_ip', '127.0.0.1', '--nounixsocket', '--quiet'],
        addressFor: (port) => `mongodb://127.0.0.1:${port}/`,
        probe: (uri) => pingMongo(uri),
      },
      timeoutMs,
      log,
      procs,
    );
  }
  if (backend !== undefined && backend !== 'sqlite' && backend !== 'postgresql') {
    throw new Error(`STACK_FERRETDB_BACKEND must be sqlite or postgresql; got "${backend}"`);
  }
  const chosen: FerretdbBackend = backend ?? (await postgresUsable(log) ? 'postgresql' : 'sqlite');
  const tool = await ensureFerretdb(log);
  const dataDir = join(stateDir, 'ferretdb');
  mkdirSync(dataDir, { recursive: true });
  let backendArgs = ['--handler=sqlite', `--sqlite-url=file:${dataDir}/`];
  if (chosen === 'postgresql') {
    const pg = await startPostgresForFerretdb(stateDir, log);
    procs.push(pg.proc);
    if (pg.sideDir) onSideDir(pg.sideDir);
    backendArgs = ['--handler=postgresql', `--postgresql-url=${pg.url}`];
  }
  const started = await startServer(
    {
      name: 'ferretdb',
      command: tool.path,
      argsFor: (port) => [
        ...backendArgs,
        `--listen-addr=127.0.0.1:${port}`,
        '--telemetry=disable',
        '--debug-addr=-',
        `--state-dir=${dataDir}`,
        '--log-level=warn',
      ],
      addressFor: (port) => `mongodb://127.0.0.1:${port}/`,
      probe: (uri) => pingMongo(uri),
    },
    timeoutMs,
    log,
    procs,
  );
  return { ...started, backend: chosen };
}
