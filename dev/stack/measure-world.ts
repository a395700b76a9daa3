/**
 * Measures what one batch of worlds costs the database and the worker process: every MongoDB command the worker
 * sends (counted by a wire-protocol proxy between the worker and the server, by command, collection and filter
 * shape), the worker's and the database server's CPU seconds (from /proc), the worker's idle and peak RSS, and
 * the wall time. A diagnostic for docs/performance-db-runtime.md, not the benchmark (`bun run bench`).
 *
 *   bun run dev/stack/measure-world.ts [--backend sqlite|postgresql] [--worlds 1] [--chars 3] [--posts 10]
 *       [--llm 1000] [--image 500] [--env KEY=VALUE ...] [--cpu-prof DIR] [--heap-prof DIR] [--json FILE]
 *       [--startup N] [--idle-ms MS] [--warmup N]
 *
 * The worker is the production build under Node 24 (test/support/world-harness.ts); `--env` passes worker
 * settings (e.g. `--env MAX_CACHED_WORKFLOWS=100`). `--cpu-prof DIR` runs the worker with `node --cpu-prof`
 * (the profile is written when it exits). `--warmup N` runs N worlds one after another before the measured batch (not
 * counted), so the figures are those of a worker whose JIT and pools are warm, as in a long-running deployment; with
 * `--cpu-prof` the measured batch is the last burst of activity in the profile, after an idle gap of `--idle-ms`.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { BSON } from 'mongodb';
import { stopSharedStack } from '../../test/support/stack';
import { startWorldHarness } from '../../test/support/world-harness';
import { freePort } from './readiness';
import { startMongoServer, type MongoBackend } from './mongo-server';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'sqlite' },
    worlds: { type: 'string', default: '1' },
    chars: { type: 'string', default: '3' },
    posts: { type: 'string', default: '10' },
    llm: { type: 'string', default: '1000' },
    image: { type: 'string', default: '500' },
    env: { type: 'string', multiple: true, default: [] },
    'cpu-prof': { type: 'string' },
    'heap-prof': { type: 'string' },
    json: { type: 'string' },
    'idle-ms': { type: 'string', default: '3000' },
    proxy: { type: 'string' },
    'memory-breakdown': { type: 'boolean', default: false },
    startup: { type: 'string', default: '0' },
    warmup: { type: 'string', default: '0' },
  },
});

const CLK_TCK = 100;
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime are fields 14-17 (1-based) → indexes 11-14 after the command.
  return fields.slice(11, 15).reduce((s, f) => s + Number(f), 0) / CLK_TCK;
}
/** CPU of a process and all its live descendants (PostgreSQL runs one backend process per connection). */
function treeCpuSeconds(pid: number): number {
  let total = 0;
  try {
    total += cpuSeconds(pid);
  } catch {
    return 0;
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      if (ppid === pid) total += treeCpuSeconds(Number(entry));
    } catch {
      // gone
    }
  }
  return total;
}
function memoryMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}
/** Live descendants of this process whose command line matches. */
function findChild(match: RegExp): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      if (ppid === process.pid && match.test(cmd)) return Number(entry);
    } catch {
      // the process went away
    }
  }
  return undefined;
}

/** Counts OP_MSG commands passing through: `command collection {filter keys}`. */
class CommandCounter {
  readonly counts = new Map<string, number>();
  private enabled = false;
  start(): void {
    this.counts.clear();
    this.enabled = true;
  }
  stop(): void {
    this.enabled = false;
  }
  total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
  onMessage(msg: Buffer): void {
    if (!this.enabled || msg.readInt32LE(12) !== 2013) return;
    let offset = 20;
    while (offset < msg.length) {
      const kind = msg[offset]!;
      offset += 1;
      const size = msg.readInt32LE(offset);
      if (kind === 0) {
        const body = BSON.deserialize(msg.subarray(offset, offset + size), { promoteValues: false }) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- any command shape
        const command = Object.keys(body)[0]!;
        const collection = typeof body[command] === 'string' || body[command] instanceof Object ? String(body[command]) : '';
        const filter = body.filter ?? body.query ?? body.updates?.[0]?.q ?? body.deletes?.[0]?.q;
        const shape = filter ? `{${Object.keys(filter).join(',')}}` : '';
        const key = `${command} ${collection} ${shape}`.trim();
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      }
      offset += size;
    }
  }
}

async function startProxy(upstreamPort: number, counter: CommandCounter): Promise<{ port: number; server: Server }> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: upstreamPort });
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 16 && pending.length >= pending.readInt32LE(0)) {
        const len = pending.readInt32LE(0);
        counter.onMessage(pending.subarray(0, len));
        pending = pending.subarray(len);
      }
    });
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { port, server };
}

/**
 * `--proxy UPSTREAM_PORT`: the counting proxy alone, in its own process (the harness bundles the workflow code
 * in-process, which would starve a proxy on the same event loop). Prints its port, then answers `start` / `stop`
 * lines on stdin; `stop` prints the counts as one JSON line.
 */
if (args.proxy) {
  const counter = new CommandCounter();
  const proxy = await startProxy(Number(args.proxy), counter);
  console.log(JSON.stringify({ port: proxy.port }));
  for await (const line of console) {
    if (line.trim() === 'start') counter.start();
    if (line.trim() === 'stop') {
      counter.stop();
      console.log(JSON.stringify(Object.fromEntries(counter.counts)));
    }
  }
  process.exit(0);
}

/** Starts the proxy process; `count(fn)` returns the commands sent while `fn` ran. */
async function startProxyProcess(upstreamPort: number) {
  const child = Bun.spawn(['bun', 'run', import.meta.path, '--proxy', String(upstreamPort)], { stdin: 'pipe', stdout: 'pipe', stderr: 'inherit' });
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  const nextLine = async (): Promise<string> => {
    for (;;) {
      const i = buffered.indexOf('\n');
      if (i >= 0) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        return line;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('proxy exited');
      buffered += value;
    }
  };
  const { port } = JSON.parse(await nextLine()) as { port: number };
  return {
    port,
    start: () => void child.stdin.write('start\n'),
    async stop(): Promise<Map<string, number>> {
      void child.stdin.write('stop\n');
      return new Map(Object.entries(JSON.parse(await nextLine()) as Record<string, number>));
    },
    kill: () => child.kill(),
  };
}

/**
 * `process.memoryUsage()` of the worker's main thread, through the inspector (`--memory-breakdown` runs the worker
 * with `--inspect` on a free port). What is not the main thread's V8 heap or external memory is the workflow
 * thread's isolate, the Rust core, code and native buffers.
 */
async function workerMemoryUsage(port: number): Promise<Record<string, number>> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((r, j) => {
    ws.onopen = r;
    ws.onerror = j;
  });
  const answer = new Promise<string>((r) => {
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data)) as { id?: number; result?: { result?: { value?: string } } };
      if (msg.id === 1) r(msg.result?.result?.value ?? '{}');
    };
  });
  ws.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true } }));
  const usage = JSON.parse(await answer) as Record<string, number>;
  ws.close();
  return Object.fromEntries(Object.entries(usage).map(([k, v]) => [k, Math.round(v / 2 ** 20)]));
}

const workerEnv: Record<string, string> = Object.fromEntries(
  (args.env ?? []).map((kv) => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i), kv.slice(i + 1)];
  }),
);
const nodeOptions = [
  ...(args['cpu-prof'] ? [`--cpu-prof`, `--cpu-prof-dir=${args['cpu-prof']}`] : []),
  ...(args['heap-prof'] ? [`--heap-prof`, `--heap-prof-dir=${args['heap-prof']}`] : []),
];
const inspectPort = args['memory-breakdown'] ? await freePort() : undefined;
if (inspectPort) nodeOptions.push(`--inspect=127.0.0.1:${inspectPort}`);
if (nodeOptions.length > 0) workerEnv.NODE_OPTIONS = nodeOptions.join(' ');

const mongo = await startMongoServer({ backend: args.backend as MongoBackend, log: (l) => process.stderr.write(`[measure] ${l}\n`) });
const proxy = await startProxyProcess(mongo.port);
process.env.MONGODB_URI = `mongodb://127.0.0.1:${proxy.port}/`;

const t0 = performance.now();
const h = await startWorldHarness({ env: workerEnv });
const readyMs = performance.now() - t0;
const workerPid = findChild(/dist\/worker\.js|e2e-.*worker\.js/);
if (!workerPid) throw new Error('worker process not found');
const dbPids = mongo.pids;
try {
  h.llm.setLatency(Number(args.llm));
  h.images.setLatency(Number(args.image));
  await Bun.sleep(Number(args['idle-ms']));
  const idle = memoryMiB(workerPid);
  const idleBreakdown = inspectPort ? await workerMemoryUsage(inspectPort) : undefined;
  // Start-up to ready (every role polling) of further workers with the prebuilt bundle, on a warm stack.
  const startups: number[] = [];
  for (let i = 0; i < Number(args.startup); i++) {
    const s0 = performance.now();
    const extra = await h.spawnWorker();
    startups.push(Math.round(performance.now() - s0));
    await extra.stop();
  }
  for (let i = 0; i < Number(args.warmup); i++) {
    const id = crypto.randomUUID();
    await h.startWorld({ world_id: id, world_name: 'Warm-up', world_prompt: 'A city of clockwork gardens.', characters_count: Number(args.chars), posts_count: Number(args.posts) });
    await h.waitForWorld(id, 20 * 60_000);
    if (i === Number(args.warmup) - 1) {
      // The exactness check compares the measured worlds with what the stand-ins served from here on.
      h.llm.reset();
      h.images.reset();
      h.services.reset();
      await Bun.sleep(Number(args['idle-ms']));
    }
  }
  const cpu0 = cpuSeconds(workerPid);
  const db0 = dbPids.reduce((s, p) => s + treeCpuSeconds(p), 0);
  proxy.start();
  const worlds = Number(args.worlds);
  const started = performance.now();
  const ids = Array.from({ length: worlds }, () => crypto.randomUUID());
  const statuses = await Promise.all(
    ids.map(async (id) => {
      await h.startWorld({ world_id: id, world_name: 'Measure', world_prompt: 'A city of clockwork gardens.', characters_count: Number(args.chars), posts_count: Number(args.posts) });
      const s = await h.waitForWorld(id, 20 * 60_000);
      return { id, status: s.status, error: s.error ?? null, wall: (performance.now() - started) / 1000, s };
    }),
  );
  const endBreakdown = inspectPort ? await workerMemoryUsage(inspectPort) : undefined;
  const counts = await proxy.stop();
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const wall = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(workerPid) - cpu0;
  const dbCpu = dbPids.reduce((s, p) => s + treeCpuSeconds(p), 0) - db0;
  const mem = memoryMiB(workerPid);
  // Exactness: counters and costs equal what the stand-ins served.
  const llmCalls = h.llm.requests.length;
  const imageCalls = h.images.requests.length;
  const llmCost = h.llm.requests.reduce((sum, r) => sum + (r.cost ?? 0), 0);
  const imageCost = h.images.requests.reduce((sum, r) => sum + (r.cost ?? 0), 0);
  const sum = (f: string) => statuses.reduce((a, x) => a + Number(x.s[f] ?? 0), 0);
  const exact = {
    completed: statuses.filter((s) => s.status === 'completed').length,
    errors: statuses.flatMap((s) => (s.error ? [String(s.error)] : [])),
    llm_calls: [sum('api_calls_made_LLM'), llmCalls],
    image_calls: [sum('api_calls_made_images'), imageCalls],
    llm_cost: [sum('llm_cost_total'), llmCost],
    image_cost: [sum('image_cost_total'), imageCost],
    users: [sum('users_created'), h.services.state.characters.size],
    posts: [sum('posts_created'), h.services.state.posts.size],
  };
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const result = {
    backend: args.backend,
    worlds,
    size: `${args.chars}x${args.posts}`,
    env: workerEnv,
    ready_ms: Math.round(readyMs),
    startup_ms: startups,
    wall_s: +wall.toFixed(2),
    world_walls_s: statuses.map((s) => +s.wall.toFixed(2)),
    worker_cpu_s: +cpu.toFixed(2),
    worker_cpu_per_world_s: +(cpu / worlds).toFixed(2),
    db_cpu_s: +dbCpu.toFixed(2),
    idle_rss_mib: +idle.rss.toFixed(0),
    end_rss_mib: +mem.rss.toFixed(0),
    peak_rss_mib: +mem.hwm.toFixed(0),
    ...(idleBreakdown ? { idle_main_thread_mib: idleBreakdown, end_main_thread_mib: endBreakdown } : {}),
    db_commands: total,
    db_commands_per_world: +(total / Math.max(worlds, 1)).toFixed(0),
    exact,
    commands: Object.fromEntries(sorted),
  };
  console.log(JSON.stringify(result, null, 2));
  if (args.json) writeFileSync(args.json, JSON.stringify(result, null, 2));
} finally {
  await h.stop();
  await stopSharedStack();
  proxy.kill();
  await mongo.stop();
}
process.exit(0);
