/**
 * World scenarios: `runs` worlds of one size, one after another (so CPU, RSS and database commands per world are
 * that world's alone), under the context's latency table.
 */
import type { BenchContext } from '../lib/bench-context';
import { summarize, summarizeFields, type Summary } from '../lib/stats';
import { runWorldBatch, type BatchFigures, type WorldSize } from '../lib/world-run';
import { MiB } from '../lib/proc';

export interface WorldScenarioResult {
  size: WorldSize;
  runs: BatchFigures[];
  /** Median and spread of every per-world figure and per-batch figure. */
  summary: Record<string, Summary>;
  criticalPaths: string[];
  tokensByStep: Record<string, number>;
  dbOpsByCommand: Record<string, number>;
  exactness: string[];
}

export async function runWorldScenario(ctx: BenchContext, size: WorldSize, runs: number, log: (line: string) => void): Promise<WorldScenarioResult> {
  const batches: BatchFigures[] = [];
  for (let i = 0; i < runs; i++) {
    const b = await runWorldBatch(ctx, size, 1);
    const w = b.worlds[0]!;
    log(
      `  run ${i + 1}/${runs}: W ${(w.wallMs / 1000).toFixed(2)} s, B ${(w.boundMs / 1000).toFixed(2)} s, W/B ${w.wOverB.toFixed(3)}, ` +
        `CPU ${b.cpuWorkerS.toFixed(2)} s, peak RSS ${(b.peakRssBytes / MiB).toFixed(0)} MiB, DB ops ${b.dbOps}, tokens ${w.tokens}` +
        (b.exactness.length > 0 ? `, NOT EXACT: ${b.exactness.join('; ')}` : ''),
    );
    batches.push(b);
  }
  const perWorld = batches.map((b) => {
    const w = b.worlds[0]!;
    const { worldId: _id, criticalPath: _p, tokensByStep: _t, ...numbers } = w;
    return { ...numbers, cpuWorkerS: b.cpuWorkerS, cpuMongoS: b.cpuMongoS, cpuTemporalS: b.cpuTemporalS, dbOps: b.dbOps, peakRssMiB: b.peakRssBytes / MiB, unattributedCalls: b.unattributedCalls };
  });
  const last = batches[batches.length - 1]!;
  const tokensByStep: Record<string, number> = {};
  for (const step of Object.keys(last.worlds[0]!.tokensByStep)) tokensByStep[step] = summarize(batches.map((b) => b.worlds[0]!.tokensByStep[step] ?? 0)).median;
  return {
    size,
    runs: batches,
    summary: summarizeFields(perWorld),
    criticalPaths: [...new Set(batches.map((b) => b.worlds[0]!.criticalPath))],
    tokensByStep,
    dbOpsByCommand: last.dbOpsByCommand,
    exactness: batches.flatMap((b) => b.exactness),
  };
}
