/**
 * A standalone FerretDB on a free loopback port with the chosen backend — SQLite (a directory of files) or
 * PostgreSQL (a throw-away cluster from the local PostgreSQL binaries, started here). Used to measure the two
 * backends against each other (dev/stack/measure-world.ts, docs/performance-db-runtime.md).
 * @module
 */
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { findOnPath } from './paths';
import { ManagedProcess } from './process';
import { canConnect, freePort, pingMongo, waitUntil } from './readiness';
import { ensureFerretdb, type Log } from './tools';
import { run } from './process';

export type MongoBackend = 'sqlite' | 'postgresql';

export interface MongoServer {
  port: number;
  uri: string;
  /** FerretDB's pid, and PostgreSQL's postmaster pid for that backend. */
  pids: number[];
  stop(): Promise<void>;
}

/** The PostgreSQL server binaries: `postgres`/`initdb` on PATH, else Debian's /usr/lib/postgresql/<v>/bin. */
export function findPostgres(): { initdb: string; postgres: string } | undefined {
  const onPath = { initdb: findOnPath('initdb'), postgres: findOnPath('postgres') };
  if (onPath.initdb && onPath.postgres) return { initdb: onPath.initdb, postgres: onPath.postgres };
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  for (const version of readdirSync(base).sort().reverse()) {
    const bin = join(base, version, 'bin');
    if (existsSync(join(bin, 'postgres')) && existsSync(join(bin, 'initdb'))) return { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres') };
  }
  return undefined;
}

/**
 * Whether a throw-away PostgreSQL cluster can be started here: the server binaries exist and, under root, the
 * `postgres` account they run as (Debian's package creates it) and `setpriv`. Says why not, once, when it cannot.
 */
export async function postgresUsable(log: Log): Promise<boolean> {
  const why = await postgresUnusableReason();
  if (why) log(`FerretDB on SQLite: ${why} (PostgreSQL is faster; .ci/run installs Debian's postgresql)`);
  return why === undefined;
}

async function postgresUnusableReason(): Promise<string | undefined> {
  if (!findPostgres()) return 'no PostgreSQL server binaries (initdb, postgres)';
  if (process.getuid?.() !== 0) return undefined;
  if (!findOnPath('setpriv')) return 'running as root without setpriv to drop to the postgres account';
  try {
    await run('id', ['-u', 'postgres']);
  } catch {
    return 'running as root and there is no postgres account to run PostgreSQL as';
  }
  return undefined;
}

/**
 * PostgreSQL refuses to run as root; under root (CI containers) it runs as the `postgres` account Debian's package
 * creates, through `setpriv` (util-linux).
 */
function asPostgresUser(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--clear-groups', command, ...args]];
}

/**
 * `<dir>/pg`, unless the cluster runs as the postgres account (we are root) and that account cannot reach `<dir>`
 * (a parent made by mkdtemp is private to root): then a directory beside it in the temp directory, named from
 * `<dir>` so a stack started again on the same state directory finds the same cluster. The caller removes it.
 */
function clusterDir(dir: string): string {
  const own = join(dir, 'pg');
  if (process.getuid?.() !== 0) return own;
  for (let d = dirname(resolve(dir)); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return sideClusterDir(dir);
    if (d === dirname(d)) return own;
  }
}

/** Where the cluster of a stack on `stateDir` lives when it cannot live inside it (see clusterDir). */
export const sideClusterDir = (stateDir: string) => join(tmpdir(), `generia-pg-${createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 16)}`);

/**
 * A throw-away PostgreSQL cluster for FerretDB's `postgresql` handler: `initdb` into `<dir>/pg` and `postgres` on a
 * free loopback port, durability off (the cluster is a temp directory). Returns the URL FerretDB takes.
 */
export async function startPostgresForFerretdb(dir: string, log: Log): Promise<{ url: string; proc: ManagedProcess; sideDir?: string }> {
  const pg = findPostgres();
  if (!pg) throw new Error('PostgreSQL binaries not found (install Debian package postgresql, or use the SQLite backend)');
  const asRoot = process.getuid?.() === 0;
  // mkdtemp makes the directory private to root; the postgres account must be able to reach its data.
  if (asRoot) chmodSync(dir, 0o755);
  const pgDir = clusterDir(dir);
  mkdirSync(pgDir, { recursive: true });
  if (asRoot) chownSync(pgDir, Number(await run('id', ['-u', 'postgres'])), Number(await run('id', ['-g', 'postgres'])));
  const data = join(pgDir, 'data');
  // A stack started again on a kept state directory finds its cluster (and its worlds) there.
  if (!existsSync(join(data, 'PG_VERSION'))) {
    const [initCmd, initArgs] = asPostgresUser(pg.initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await run(initCmd, initArgs, { cwd: pgDir });
  }
  const port = await freePort();
  const [cmd, args] = asPostgresUser(pg.postgres, [
    '-D', data, '-p', String(port), '-k', pgDir, '-c', 'listen_addresses=127.0.0.1',
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200',
  ]);
  const proc = await ManagedProcess.spawn('postgres', cmd, args, process.env, 'SIGINT');
  try {
    await waitUntil('postgres', async () => {
      if (!(await canConnect('127.0.0.1', port))) throw new Error('not listening');
    }, { timeoutMs: 30_000, abort: () => (proc.hasExited ? `died during start-up: ${proc.describeExit()}` : undefined) });
  } catch (err) {
    await proc.stop(1_000);
    throw err;
  }
  log(`postgres ready on 127.0.0.1:${port} (pid ${proc.pid})`);
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, proc, ...(pgDir.startsWith(dir) ? {} : { sideDir: pgDir }) };
}

export async function startMongoServer(opts: { backend: MongoBackend; log: Log; stateDir?: string }): Promise<MongoServer> {
  const dir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'generia-mongo-'));
  const procs: ManagedProcess[] = [];
  const sideDirs: string[] = [];
  const stop = async () => {
    for (const p of [...procs].reverse()) await p.stop(5_000);
    if (!opts.stateDir) for (const d of [dir, ...sideDirs]) rmSync(d, { recursive: true, force: true });
  };
  try {
    let backendArgs: string[];
    if (opts.backend === 'postgresql') {
      const pg = await startPostgresForFerretdb(dir, opts.log);
      procs.push(pg.proc);
      if (pg.sideDir) sideDirs.push(pg.sideDir);
      backendArgs = ['--handler=postgresql', `--postgresql-url=${pg.url}`];
    } else {
      const data = join(dir, 'ferretdb');
      mkdirSync(data, { recursive: true });
      backendArgs = ['--handler=sqlite', `--sqlite-url=file:${data}/`];
    }
    const tool = await ensureFerretdb(opts.log);
    const port = await freePort();
    const state = join(dir, 'state');
    mkdirSync(state, { recursive: true });
    procs.push(
      await ManagedProcess.spawn('ferretdb', tool.path, [
        ...backendArgs, `--listen-addr=127.0.0.1:${port}`, '--telemetry=disable', '--debug-addr=-', `--state-dir=${state}`, '--log-level=warn',
      ]),
    );
    const uri = `mongodb://127.0.0.1:${port}/`;
    await waitUntil('ferretdb', () => pingMongo(uri), { timeoutMs: 30_000 });
    opts.log(`ferretdb (${opts.backend}) on ${uri}`);
    return { port, uri, pids: procs.map((p) => p.pid), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
