/**
 * The demo world: the local stack (Temporal dev server with its Web UI, FerretDB), the stand-ins for OpenRouter,
 * Runware and the four Generia services, and the production worker build under Node 24 — then one world, created
 * and watched with the operator CLI's own code (src/cli), so what you see is what `bun run world watch` shows.
 *
 * The world is kept to inspect: the servers' data lives in `--state-dir` (default .stack/demo, git-ignored), and in
 * a terminal the demo stays up after the world ends (Web UI, `bun run world status <id>`) until Ctrl-C. `--exit`
 * ends it when the world ends (the default without a terminal, e.g. CI); `--cleanup` also deletes the data.
 *
 * Every way out — the world ending, Ctrl-C, SIGTERM, an exception — goes through one shutdown that stops what was
 * started in reverse order (worker, stand-ins, servers) and removes the build directory. A second signal kills
 * the children at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { buildWorker, WORKER_ENTRY, WORKFLOWS_ENTRY } from '../scripts/build';
import { createWorld } from '../src/cli/commands';
import { openConnections } from '../src/cli/connections';
import { readSettings } from '../src/cli/settings';
import { watchWorld } from '../src/cli/watch';
import { startStack } from './stack';
import { freePort } from './stack/readiness';
import { startOpenRouterStandIn } from './stand-ins/openrouter';
import { startRunwareStandIn } from './stand-ins/runware';
import { startServiceStandIns } from './stand-ins/services';

const REPO_ROOT = resolve(import.meta.dirname, '..');
const NODE = join(REPO_ROOT, 'node_modules/.bin/node');
const DATABASE = 'generia_ai_worker';
const log = (line: string) => process.stderr.write(`[demo] ${line}\n`);

const count = (raw: string) => {
  if (!/^\d+$/.test(raw)) throw new InvalidArgumentError('must be a whole number');
  return Number(raw);
};
const opts = new Command('demo')
  .description('Run a demo world offline: local Temporal (with Web UI) and FerretDB, stand-ins, the real worker.')
  .option('-p, --prompt <text>', "the world's idea", 'A floating archipelago where lighthouse keepers trade in captured fog.')
  .option('-n, --name <name>', 'world name', 'Demo World')
  .option('-c, --characters <n>', 'characters (1–40)', count, 3)
  .option('-P, --posts <n>', 'posts in total (1–250)', count, 10)
  .option('--state-dir <dir>', 'where Temporal and FerretDB keep the world', join(REPO_ROOT, '.stack', 'demo'))
  .option('--exit', 'exit when the world ends (default when stdin is not a terminal)')
  .option('--cleanup', 'exit when the world ends and delete its data')
  .parse(process.argv)
  .opts<{ prompt: string; name: string; characters: number; posts: number; stateDir: string; exit?: boolean; cleanup?: boolean }>();

const stayUp = !opts.exit && !opts.cleanup && process.stdin.isTTY === true;

/** What was started, stopped last-in first-out. */
const stoppers: { name: string; stop: () => Promise<unknown> }[] = [];
const children = new Set<ChildProcess>();
let shuttingDown: Promise<void> | undefined;
/** What `--cleanup` deletes: the state directory, and any server data the stack had to keep beside it. */
let dataDirs: string[] = [opts.stateDir];

function shutdown(): Promise<void> {
  shuttingDown ??= (async () => {
    for (const { name, stop } of stoppers.reverse()) {
      await stop().catch((err: unknown) => log(`stopping ${name}: ${err instanceof Error ? err.message : String(err)}`));
    }
    if (opts.cleanup) for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  })();
  return shuttingDown;
}

let interrupted: (sig: NodeJS.Signals) => void = () => {};
const interruption = new Promise<NodeJS.Signals>((r) => (interrupted = r));
let signals = 0;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (++signals > 1) {
      log(`${sig} again: killing everything now`);
      for (const c of children) c.kill('SIGKILL');
      process.exit(130);
    }
    log(`${sig}: stopping the worker, the stand-ins and the servers…`);
    interrupted(sig);
  });
}
// Last resort if something calls process.exit() without going through shutdown(): no orphaned worker.
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** The worker under Node, output to a log file; resolves once it says it is ready. */
async function startWorker(workerPath: string, env: Record<string, string>, logFile: string): Promise<ChildProcess> {
  const child = spawn(NODE, [workerPath], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.once('exit', () => children.delete(child));
  stoppers.push({
    name: 'worker',
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  });
  const file = createWriteStream(logFile, { flags: 'a' });
  stoppers.push({ name: 'worker log', stop: () => new Promise((r) => file.end(r)) });
  let seen = '';
  await new Promise<void>((ready, fail) => {
    const onData = (chunk: Buffer) => {
      file.write(chunk);
      if (seen.length < 1_000_000) seen += chunk.toString();
      if (seen.includes('"message":"worker ready"')) ready();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => fail(new Error(`worker exited (${signal ?? code}) before it was ready; see ${logFile}:\n${seen.slice(-2000)}`)));
    setTimeout(() => fail(new Error(`worker not ready after 120 s; see ${logFile}`)), 120_000).unref();
  });
  return child;
}

/** How the world ended (its watch exit code), once it has. */
let worldOutcome: number | undefined;

async function main(): Promise<number> {
  const t0 = performance.now();
  mkdirSync(opts.stateDir, { recursive: true });
  const stack = await startStack({ stateDir: opts.stateDir, ignoreEnv: true, temporalUi: {}, log: (l) => log(l) });
  dataDirs = stack.dataDirs;
  stoppers.push({ name: 'local stack', stop: () => stack.stop() });
  const [llm, images, services] = await Promise.all([startOpenRouterStandIn({ requireApiKey: 'sk-or-demo' }), startRunwareStandIn(), startServiceStandIns()]);
  stoppers.push({ name: 'stand-ins', stop: () => Promise.all([llm.close(), images.close(), services.close()]) });

  mkdirSync(join(REPO_ROOT, '.build'), { recursive: true });
  const outDir = mkdtempSync(join(REPO_ROOT, '.build', 'demo-'));
  stoppers.push({ name: 'build directory', stop: async () => rmSync(outDir, { recursive: true, force: true }) });
  const build = await buildWorker({ workerEntry: WORKER_ENTRY, workflowsEntry: WORKFLOWS_ENTRY, outDir, log: (l) => log(l) });

  const env = {
    PATH: process.env.PATH ?? '',
    TEMPORAL_ADDRESS: stack.temporalAddress,
    MONGODB_URI: stack.mongoUri,
    MONGODB_DATABASE: DATABASE,
    OPENROUTER_API_KEY: 'sk-or-demo',
    LLM_BASE_URL: llm.url,
    RUNWARE_API_KEY: 'rw-demo',
    RUNWARE_BASE_URL: images.url,
    CHARACTER_SERVICE_URL: services.url,
    POST_SERVICE_URL: services.url,
    MEDIA_SERVICE_URL: services.url,
    WORLD_SERVICE_URL: services.url,
    WORKFLOW_BUNDLE_PATH: build.workflowBundlePath,
    HEALTH_PORT: String(await freePort()),
    SHUTDOWN_GRACE_MS: '5000',
    LOG_LEVEL: 'info',
  };
  const workerLog = join(opts.stateDir, 'worker.log');
  await startWorker(build.workerPath, env, workerLog);

  const conns = openConnections(readSettings({ TEMPORAL_ADDRESS: stack.temporalAddress, MONGODB_URI: stack.mongoUri, MONGODB_DATABASE: DATABASE }));
  stoppers.push({ name: 'connections', stop: () => conns.close() });
  const cli = `TEMPORAL_ADDRESS=${stack.temporalAddress} MONGODB_URI=${stack.mongoUri} bun run world`;
  process.stdout.write(
    [
      '',
      `ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      `  Temporal Web UI  ${stack.temporalUiUrl ?? '(headless)'}`,
      `  Temporal         ${stack.temporalAddress} (namespace default)`,
      `  MongoDB          ${stack.mongoUri} (database ${DATABASE})`,
      `  worker log       ${workerLog}`,
      `  operator CLI     ${cli} list`,
      '',
    ].join('\n'),
  );

  const worldId = await createWorld(conns, { prompt: opts.prompt, name: opts.name, characters: opts.characters, posts: opts.posts });
  process.stdout.write(`world ${worldId}: ${stack.temporalUiUrl ? `${stack.temporalUiUrl}/namespaces/default/workflows?query=WorkflowId+STARTS_WITH+%22generate-world-description-${worldId}%22` : ''}\n`);
  const watched = watchWorld(await conns.db(), worldId, { intervalMs: 500, tty: process.stdout.isTTY === true, out: process.stdout });
  const outcome = await Promise.race([watched.then((code) => ({ code })), interruption.then((sig) => ({ sig }))]);
  if ('sig' in outcome) return 130;

  worldOutcome = outcome.code;
  process.stdout.write(`\ninspect it: ${cli} status ${worldId}   (or: cost ${worldId})\n`);
  if (stayUp) {
    process.stdout.write(`the stack stays up to inspect the world; Ctrl-C stops everything${opts.cleanup ? ' and deletes it' : ` (data kept in ${opts.stateDir})`}\n`);
    await interruption;
  }
  return outcome.code;
}

let code: number;
try {
  // Ctrl-C after the world ended (the stack stayed up to inspect it) keeps the world's exit code.
  code = await Promise.race([main(), interruption.then(() => worldOutcome ?? 130)]);
} catch (err) {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  code = 1;
}
await shutdown();
log(code === 0 ? 'done; everything stopped' : `stopped (exit ${code})`);
// gRPC keep-alive and HTTP agents can keep the loop open after close(); this is a script.
process.exit(code);
