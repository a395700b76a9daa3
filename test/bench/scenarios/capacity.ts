/**
 * Capacity: the most concurrent 3×10 worlds one worker process holds at p95 W/B ≤ 1.3, by a stepped search (each
 * level starts that many worlds at once and waits for all), bounded in time; and the memory a running world costs:
 * (peak RSS at the level − idle RSS) ÷ worlds.
 */
import type { BenchContext } from '../lib/bench-context';
import { MiB } from '../lib/proc';
import { quantile } from '../lib/stats';
import { runWorldBatch } from '../lib/world-run';

export interface CapacityLevel {
  concurrency: number;
  p95WOverB: number;
  medianWOverB: number;
  peakRssMiB: number;
  rssPerWorldMiB: number;
  cpuWorkerSPerWorld: number;
  dbOpsPerWorld: number;
  exactness: string[];
}

export interface CapacityResult {
  idleRssMiB: number;
  levels: CapacityLevel[];
  /** The highest level whose p95 W/B stayed ≤ the limit (0 if none). */
  maxConcurrentWorlds: number;
  limit: number;
  stoppedBecause: string;
}

export async function runCapacityScenario(
  ctx: BenchContext,
  opts: { levels: number[]; limit: number; budgetMs: number; idleRssBytes: number },
  log: (line: string) => void,
): Promise<CapacityResult> {
  const deadline = Date.now() + opts.budgetMs;
  const levels: CapacityLevel[] = [];
  let max = 0;
  let stoppedBecause = 'all levels passed';
  for (const n of opts.levels) {
    if (Date.now() > deadline) {
      stoppedBecause = `time budget (${Math.round(opts.budgetMs / 1000)} s) spent before level ${n}`;
      break;
    }
    let b;
    try {
      b = await runWorldBatch(ctx, { characters: 3, posts: 10 }, n);
    } catch (err) {
      // e.g. a world that did not finish within the batch timeout: the level failed; keep the levels measured so far.
      stoppedBecause = `level ${n} failed: ${(err as Error).message.split('\n')[0]}`;
      break;
    }
    const ratios = b.worlds.map((w) => w.wOverB).sort((x, y) => x - y);
    const level: CapacityLevel = {
      concurrency: n,
      p95WOverB: quantile(ratios, 0.95),
      medianWOverB: quantile(ratios, 0.5),
      peakRssMiB: b.peakRssBytes / MiB,
      rssPerWorldMiB: (b.peakRssBytes - opts.idleRssBytes) / MiB / n,
      cpuWorkerSPerWorld: b.cpuWorkerS,
      dbOpsPerWorld: b.dbOps,
      exactness: b.exactness,
    };
    levels.push(level);
    log(
      `  ${n} concurrent 3×10 worlds: p95 W/B ${level.p95WOverB.toFixed(3)} (median ${level.medianWOverB.toFixed(3)}), peak RSS ${level.peakRssMiB.toFixed(0)} MiB ` +
        `(${level.rssPerWorldMiB.toFixed(2)} MiB per world), CPU ${level.cpuWorkerSPerWorld.toFixed(2)} s per world` +
        (b.exactness.length > 0 ? `, NOT EXACT: ${b.exactness.slice(0, 5).join('; ')}` : ', exact'),
    );
    if (level.p95WOverB > opts.limit) {
      stoppedBecause = `p95 W/B ${level.p95WOverB.toFixed(3)} > ${opts.limit} at ${n}`;
      break;
    }
    max = n;
  }
  return { idleRssMiB: opts.idleRssBytes / MiB, levels, maxConcurrentWorlds: max, limit: opts.limit, stoppedBecause };
}
