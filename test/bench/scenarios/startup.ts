/**
 * Start-up: milliseconds from spawning a worker process (the production build, the prebuilt workflow bundle via
 * WORKFLOW_BUNDLE_PATH) to its "worker ready" line, logged once every role's worker runs and polls. The first figure
 * is the harness's own worker; the others are extra processes started and stopped one at a time while no world runs
 * (two processes sharing FerretDB is only a problem for worlds in flight).
 */
import type { BenchContext } from '../lib/bench-context';
import { summarize, type Summary } from '../lib/stats';

export async function runStartupScenario(ctx: BenchContext, runs: number, log: (line: string) => void): Promise<{ startupMs: Summary; samples: number[] }> {
  const samples = [ctx.h.startupMs];
  for (let i = 1; i < runs; i++) {
    const w = await ctx.h.spawnWorker();
    samples.push(w.startupMs);
    await w.stop();
  }
  log(`  start-up to ready: ${samples.map((s) => s.toFixed(0)).join(', ')} ms`);
  return { startupMs: summarize(samples), samples };
}
