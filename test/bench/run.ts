/**
 * `bun run bench` — the performance benchmark (issue 8): worlds against the real local stack (Temporal dev server,
 * FerretDB or mongod) and the stand-ins with a latency table, the production worker build under Node 24.
 * docs/benchmarks.md explains every figure and how it is computed.
 *
 *   bun run bench                          every scenario, 5 runs each, table "realistic" (+ the legacy 1,000/500 world)
 *   bun run bench --only world-3x10,hops   some scenarios
 *   bun run bench --quick                  CI: two 3×10 worlds at 1,000/500 ms + short hop tests, checked against
 *                                          test/bench/baseline.json; exits 1 on a regression or an inexact world
 *   bun run bench 1000 500 3               the old form: 3 runs of a 3×10 world at LLM 1,000 ms / image 500 ms
 *
 * Options: --runs N, --table realistic|fixed-1000-500|zero, --levels 10,25,50,75,100, --capacity-budget-s S,
 * --out DIR (default bench-results), --update-baseline, --no-baseline.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { flatTable, LATENCY_TABLES, type LatencyTable } from '../../dev/stand-ins/latency-table';
import { stopSharedStack } from '../support/stack';
import { workerLaunch } from '../support/world-harness';
import { compare, readBaseline, updateBaseline, type Check, type FigureKind } from './lib/baseline';
import { openContext, type BenchContext } from './lib/bench-context';
import { MiB, treeRssBytes } from './lib/proc';
import { fmt, type Summary } from './lib/stats';
import { runCapacityScenario, type CapacityResult } from './scenarios/capacity';
import { runHopScenario, type HopResult } from './scenarios/hops';
import { runStartupScenario } from './scenarios/startup';
import { runWorldScenario, type WorldScenarioResult } from './scenarios/worlds';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

export const SCENARIOS = ['legacy-3x10', 'world-3x10', 'world-10x50', 'world-25x150', 'hops', 'capacity', 'startup'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  quick: boolean;
  only: ScenarioName[];
  runs: number;
  table: LatencyTable;
  levels: number[];
  capacityBudgetMs: number;
  outDir: string;
  updateBaseline: boolean;
  checkBaseline: boolean;
}

export function parseArgs(argv: readonly string[]): BenchOptions {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const [key, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    const boolean = ['quick', 'update-baseline', 'no-baseline'].includes(key);
    flags.set(key, boolean ? 'true' : (inline ?? argv[++i] ?? ''));
  }
  const known = new Set(['quick', 'only', 'runs', 'table', 'levels', 'capacity-budget-s', 'out', 'update-baseline', 'no-baseline']);
  for (const k of flags.keys()) if (!known.has(k)) throw new Error(`unknown option --${k} (see the header of test/bench/run.ts)`);
  const num = (name: string, raw: string | undefined, fallback: number) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
    return n;
  };
  const quick = flags.has('quick');
  let table = LATENCY_TABLES[quick ? 'fixed-1000-500' : 'realistic']!;
  if (flags.has('table')) {
    const t = LATENCY_TABLES[flags.get('table')!];
    if (!t) throw new Error(`--table must be one of ${Object.keys(LATENCY_TABLES).join(', ')}`);
    table = t;
  }
  let only: ScenarioName[] = quick ? ['legacy-3x10', 'hops'] : SCENARIOS.filter((s) => s !== 'legacy-3x10' || table.name !== 'fixed-1000-500');
  let runs = num('--runs', flags.get('runs'), quick ? 2 : 5);
  if (positional.length > 0) {
    // The old CLI: bench [llmMs] [imageMs] [runs] — one 3×10 scenario with flat latencies.
    table = flatTable(num('llmMs', positional[0], 1000), num('imageMs', positional[1], 500));
    runs = num('runs', positional[2], 3);
    only = ['world-3x10'];
  }
  if (flags.has('only')) {
    only = flags.get('only')!.split(',').map((s) => s.trim()).filter(Boolean) as ScenarioName[];
    for (const s of only) if (!SCENARIOS.includes(s)) throw new Error(`--only: unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`);
  }
  const levels = (flags.get('levels') ?? '10,25,50,75,100').split(',').map((s) => num('--levels', s, 0)).filter((n) => n > 0);
  return {
    quick,
    only,
    runs: Math.max(1, Math.round(runs)),
    table,
    levels,
    capacityBudgetMs: num('--capacity-budget-s', flags.get('capacity-budget-s'), 15 * 60) * 1000,
    outDir: resolve(REPO_ROOT, flags.get('out') ?? 'bench-results'),
    updateBaseline: flags.has('update-baseline'),
    checkBaseline: quick && !flags.has('no-baseline'),
  };
}

export interface BenchResult {
  startedAt: string;
  options: Omit<BenchOptions, 'table'> & { table: LatencyTable };
  machine: { cpus: number; loadavg: number[] };
  idleRssMiB: number;
  worlds: Partial<Record<ScenarioName, WorldScenarioResult & { table: string }>>;
  hops?: HopResult;
  capacity?: CapacityResult;
  startup?: { startupMs: Summary; samples: number[] };
  quickFigures: Record<string, number>;
  checks: Check[];
  exactness: string[];
  /** Scenarios that could not finish (their error). */
  errors: string[];
  /** True when every scenario finished, no check regressed and every world was exact. */
  ok: boolean;
}

const WORLD_SIZES: Record<string, { characters: number; posts: number }> = {
  'legacy-3x10': { characters: 3, posts: 10 },
  'world-3x10': { characters: 3, posts: 10 },
  'world-10x50': { characters: 10, posts: 50 },
  'world-25x150': { characters: 25, posts: 150 },
};

/** The figures the quick mode checks, with their kinds (see lib/baseline.ts). */
const QUICK_KINDS: Record<string, FigureKind> = {
  'world.wOverB': 'ratio',
  'world.overheadMs': 'time',
  'world.overheadPerHopMs': 'time',
  'world.cpuWorkerS': 'time',
  'world.dbOps': 'count',
  'world.temporalRoundTrips': 'count',
  'world.tokens': 'count',
  'world.events': 'count',
  'world.maxHistoryEvents': 'count',
  'world.workflows': 'count',
  'world.activities': 'count',
  'world.largestPayloadBytes': 'count',
  'world.pathLlmCalls': 'count',
  'hops.fullChainHopMs': 'time',
  // A quotient of two timings that are each noisy (the bare hop alone moved 20–65 ms between runs): the time margin.
  'hops.fullOverBareHop': 'time',
};

export async function runBench(opts: BenchOptions, log: (line: string) => void = (l) => console.log(l)): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const result: BenchResult = {
    startedAt,
    options: { ...opts },
    machine: { cpus: cpus().length, loadavg: loadavg() },
    idleRssMiB: NaN,
    worlds: {},
    quickFigures: {},
    checks: [],
    exactness: [],
    errors: [],
    ok: true,
  };
  log(`bench: ${opts.only.join(', ')}; table ${opts.table.name}; ${opts.runs} run(s) each; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
  const launch = workerLaunch();
  log(`worker started as: ${[...Object.entries(launch.env).map(([k, v]) => `${k}=${v}`), 'node', ...launch.flags].join(' ')} worker.js`);
  const ctx: BenchContext = await openContext(opts.table);
  try {
    await Bun.sleep(2000);
    result.idleRssMiB = treeRssBytes(ctx.h.workerPid) / MiB;
    log(`worker ready in ${ctx.h.startupMs.toFixed(0)} ms; idle RSS ${result.idleRssMiB.toFixed(0)} MiB`);
    for (const name of opts.only) {
      log(`\n== ${name}`);
      try {
        await runScenario(name);
      } catch (err) {
        // One broken scenario must not lose the others' figures: recorded, reported, and the run fails.
        const message = err instanceof Error ? err.message : String(err);
        result.errors.push(`${name}: ${message}`);
        log(`  FAILED: ${message.split('\n')[0]}`);
      }
    }
  } finally {
    await ctx.close();
  }

  async function runScenario(name: ScenarioName): Promise<void> {
    if (name in WORLD_SIZES) {
      const table = name === 'legacy-3x10' ? LATENCY_TABLES['fixed-1000-500']! : opts.table;
      ctx.setTable(table);
      const runs = name === 'world-25x150' ? Math.max(1, Math.min(opts.runs, 5)) : opts.runs;
      const r = await runWorldScenario(ctx, WORLD_SIZES[name]!, runs, log);
      result.worlds[name] = { ...r, table: table.name };
      result.exactness.push(...r.exactness.map((e) => `${name}: ${e}`));
    } else if (name === 'hops') {
      result.hops = await runHopScenario(ctx, { runs: opts.quick ? 2 : opts.runs, quick: opts.quick }, log);
      result.exactness.push(...result.hops.exactness.map((e) => `hops: ${e}`));
    } else if (name === 'capacity') {
      ctx.setTable(opts.table);
      result.capacity = await runCapacityScenario(ctx, { levels: opts.levels, limit: 1.3, budgetMs: opts.capacityBudgetMs, idleRssBytes: result.idleRssMiB * MiB }, log);
      for (const l of result.capacity.levels) result.exactness.push(...l.exactness.map((e) => `capacity ${l.concurrency}: ${e}`));
    } else if (name === 'startup') {
      result.startup = await runStartupScenario(ctx, opts.runs, log);
    }
  }

  const quickWorld = result.worlds['legacy-3x10'] ?? result.worlds['world-3x10'];
  if (quickWorld) for (const k of Object.keys(QUICK_KINDS)) if (k.startsWith('world.')) {
    const s = quickWorld.summary[k.slice('world.'.length)];
    if (s) result.quickFigures[k] = s.median;
  }
  if (result.hops) {
    const full = result.hops.full.chainHopMs?.median;
    const bare = result.hops.bare.activityHopMs?.median;
    if (full !== undefined) result.quickFigures['hops.fullChainHopMs'] = full;
    if (full !== undefined && bare !== undefined && bare > 0) result.quickFigures['hops.fullOverBareHop'] = full / bare;
  }
  if (opts.checkBaseline || opts.updateBaseline) {
    const baseline = readBaseline();
    if (opts.updateBaseline) {
      updateBaseline(baseline, result.quickFigures, QUICK_KINDS);
      log(`\nbaseline written: ${Object.keys(result.quickFigures).length} figures`);
    } else {
      // Other processes' load, per CPU (see OVERLOAD_PER_CPU): the 1-minute average before the bench started, or at
      // its end less the ~3 runnable processes the bench itself keeps busy (worker, FerretDB, Temporal).
      const loadPerCpu = Math.max(result.machine.loadavg[0]!, loadavg()[0]! - 3) / cpus().length;
      // A figure of a scenario left out with --only is not missing: it was not asked for.
      const ran = (figure: string) => (figure.startsWith('hops.') ? result.hops !== undefined : quickWorld !== undefined);
      result.checks = compare(baseline, result.quickFigures, loadPerCpu).map((c) => (c.verdict === 'missing' && !ran(c.figure) ? { ...c, verdict: 'skipped' } : c));
      if (result.checks.some((c) => c.verdict === 'skipped')) log(`\nmachine overloaded (other load ≈ ${(loadPerCpu * cpus().length).toFixed(1)} on ${cpus().length} CPUs): timing figures reported, not checked`);
    }
  }
  result.ok = result.errors.length === 0 && result.exactness.length === 0 && !result.checks.some((c) => c.verdict === 'regressed' || c.verdict === 'missing');
  return result;
}

const s = (v: Summary | undefined, digits = 2, scale = 1) => fmt(v, digits, scale);

export function report(r: BenchResult): string {
  const lines: string[] = [];
  const rows: string[][] = [];
  for (const [name, w] of Object.entries(r.worlds)) {
    if (!w) continue;
    const m = w.summary;
    rows.push([
      `${name} [${w.table}]`,
      s(m.wallMs, 2, 1000),
      s(m.boundMs, 2, 1000),
      s(m.overheadMs, 2, 1000),
      s(m.wOverB, 3),
      s(m.originalBoundMs, 2, 1000),
      m.wallMs && m.originalBoundMs ? (m.wallMs.median / m.originalBoundMs.median).toFixed(2) : '—',
      `${s(m.pathLlmCalls, 0)}+${s(m.pathImages, 0)}`,
      s(m.overheadPerHopMs, 0),
      s(m.cpuWorkerS, 2),
      s(m.cpuMongoS, 2),
      s(m.peakRssMiB, 0),
      s(m.dbOps, 0),
      s(m.temporalRoundTrips, 0),
      s(m.tokens, 0),
      `${s(m.events, 0)} / ${s(m.maxHistoryEvents, 0)}`,
      s(m.workflows, 0),
      s(m.largestPayloadBytes, 0),
    ]);
  }
  if (rows.length > 0) {
    const head = ['scenario', 'W s', 'B s', 'W−B s', 'W/B', 'B orig s', 'W/B orig', 'path LLM+img', 'ms/hop', 'CPU s', 'DB CPU s', 'peak RSS MiB', 'DB ops', 'Temporal RT', 'tokens', 'events tot/max', 'workflows', 'max payload B'];
    lines.push(...table(head, rows));
    for (const [name, w] of Object.entries(r.worlds)) {
      if (!w) continue;
      lines.push('', `${name}: critical path ${w.criticalPaths.join(' | ')}`);
      lines.push(`  tokens by step: ${Object.entries(w.tokensByStep).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      lines.push(`  DB commands per world: ${Object.entries(w.dbOpsByCommand).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      lines.push(`  Temporal: ${s(w.summary.workflowTasks, 0)} workflow tasks, ${s(w.summary.activityTasks, 0)} activity tasks, ${s(w.summary.activities, 0)} activities; CPU Temporal server ${s(w.summary.cpuTemporalS)} s`);
    }
  }
  lines.push('', `idle RSS ${r.idleRssMiB.toFixed(0)} MiB`);
  if (r.startup) lines.push(`start-up to ready (prebuilt bundle): ${s(r.startup.startupMs, 0)} ms`);
  if (r.hops) {
    const b = r.hops.bare;
    const f = r.hops.full;
    lines.push(
      `hops, bare Temporal worker: ${s(b.activityHopMs, 1)} ms per sequential activity, ${s(b.childHopMs, 1)} ms per sequential child, ` +
        `100-way fan-out ${s(b.fanOut100ActivitiesMs, 0)} ms (activities) / ${s(b.fanOut100ChildrenMs, 0)} ms (children), empty workflow ${s(b.emptyWorkflowMs, 0)} ms`,
    );
    lines.push(`hops, full worker (zero provider latency): ${s(f.chainHopMs, 0)} ms per chain hop (1×1 world ${s(f.zeroLatencyWorldMs, 0)} ms), 10×100 world (100-way post fan-out) ${s(f.fanOut100PostsMs, 0)} ms`);
  }
  if (r.capacity) {
    const c = r.capacity;
    lines.push(`capacity: ${c.maxConcurrentWorlds} concurrent 3×10 worlds at p95 W/B ≤ ${c.limit} (stopped: ${c.stoppedBecause})`);
    for (const l of c.levels) lines.push(`  ${l.concurrency}: p95 W/B ${l.p95WOverB.toFixed(3)}, peak RSS ${l.peakRssMiB.toFixed(0)} MiB, ${l.rssPerWorldMiB.toFixed(2)} MiB per running world, CPU ${l.cpuWorkerSPerWorld.toFixed(2)} s/world, DB ops ${l.dbOpsPerWorld.toFixed(0)}/world`);
  }
  if (r.checks.length > 0) {
    lines.push('', 'baseline check (lower is better; limit = baseline × (1 + margin)):');
    lines.push(...table(['figure', 'kind', 'baseline', 'measured', 'limit', 'verdict'], r.checks.map((c) => [c.figure, c.kind, String(c.baseline), c.measured.toPrecision(4), c.limit.toPrecision(4), c.verdict])));
  }
  if (r.errors.length > 0) lines.push('', `scenarios FAILED:\n  ${r.errors.join('\n  ')}`);
  lines.push('', r.exactness.length === 0 ? 'exactness: every world exact (counters, costs, items = what the stand-ins served)' : `exactness VIOLATED:\n  ${r.exactness.join('\n  ')}`);
  return lines.join('\n');
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

export function writeResults(r: BenchResult): string {
  mkdirSync(r.options.outDir, { recursive: true });
  const file = join(r.options.outDir, `${r.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(r, (_k, v) => (v === Infinity ? 'Infinity' : v), 2)}\n`);
  return file;
}

if (import.meta.main) {
  let code = 0;
  try {
    const opts = parseArgs(process.argv.slice(2));
    const r = await runBench(opts);
    console.log(`\n${report(r)}`);
    console.log(`\nresults: ${writeResults(r)}`);
    if (!r.ok) {
      console.log('\nbench FAILED: a figure regressed beyond its margin, a figure is missing, or a world was not exact');
      code = 1;
    }
  } catch (err) {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    code = 2;
  } finally {
    await stopSharedStack();
  }
  // Client libraries (gRPC keep-alive, HTTP agents) can hold the event loop open after closing; this is a script.
  process.exit(code);
}
