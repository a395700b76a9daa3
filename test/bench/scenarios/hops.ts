/**
 * Orchestration cost: milliseconds per sequential hop and for a 100-way fan-out, on a bare Temporal worker (the
 * SDK's own floor on this machine and server) and on the full worker (a world at zero provider latency, so all that
 * is left is the worker: ms per hop of its critical chain; and 10 characters × 100 posts, the posts' 100-way fan-out).
 */
import type { Client } from '@temporalio/client';
import type { BenchContext } from '../lib/bench-context';
import { LATENCY_TABLES, type LatencyTable } from '../../../dev/stand-ins/latency-table';
import { startBareWorker } from '../bare/run-bare';
import { summarize, type Summary } from '../lib/stats';
import { runWorldBatch } from '../lib/world-run';

export interface HopResult {
  bare: Record<string, Summary>;
  full: Record<string, Summary>;
  exactness: string[];
}

async function timed(client: Client, taskQueue: string, workflow: string, n: number): Promise<number> {
  const t0 = performance.now();
  await client.workflow.execute(workflow, { taskQueue, workflowId: `bench-${workflow}-${n}-${crypto.randomUUID()}`, args: [n] });
  return performance.now() - t0;
}

export async function runHopScenario(ctx: BenchContext, opts: { runs: number; quick: boolean }, log: (line: string) => void): Promise<HopResult> {
  const client = ctx.h.client;
  const bare = await startBareWorker(ctx.stack.temporalAddress);
  // 30 in quick mode: with 10, one slow empty workflow (subtracted) moved the bare hop 2× between runs.
  const seq = opts.quick ? 30 : 50;
  const fan = 100;
  const rows: Record<string, number[]> = { activityHopMs: [], childHopMs: [], fanOut100ActivitiesMs: [], fanOut100ChildrenMs: [], emptyWorkflowMs: [] };
  try {
    await timed(client, bare.taskQueue, 'sequentialActivities', 1); // warm the worker's caches
    for (let i = 0; i < opts.runs; i++) {
      const empty = await timed(client, bare.taskQueue, 'sequentialActivities', 0);
      rows.emptyWorkflowMs!.push(empty);
      rows.activityHopMs!.push(((await timed(client, bare.taskQueue, 'sequentialActivities', seq)) - empty) / seq);
      rows.childHopMs!.push(((await timed(client, bare.taskQueue, 'sequentialChildren', seq)) - empty) / seq);
      if (!opts.quick) {
        rows.fanOut100ActivitiesMs!.push(await timed(client, bare.taskQueue, 'fanOutActivities', fan));
        rows.fanOut100ChildrenMs!.push(await timed(client, bare.taskQueue, 'fanOutChildren', fan));
      }
      log(`  bare run ${i + 1}/${opts.runs}: ${rows.activityHopMs!.at(-1)!.toFixed(1)} ms per activity hop, ${rows.childHopMs!.at(-1)!.toFixed(1)} ms per child hop`);
    }
  } finally {
    await bare.stop();
  }

  const saved: LatencyTable = ctx.table;
  const full: Record<string, number[]> = { chainHopMs: [], zeroLatencyWorldMs: [], fanOut100PostsMs: [] };
  const exactness: string[] = [];
  try {
    ctx.setTable(LATENCY_TABLES.zero!);
    for (let i = 0; i < opts.runs; i++) {
      const b = await runWorldBatch(ctx, { characters: 1, posts: 1 }, 1);
      const w = b.worlds[0]!;
      // By count, not by time: at zero latency every call takes ~0 ms, so the longest chain by time is any chain
      // (1 to 5 calls from run to run for the same 1×1 world), which made ms per hop swing 2–5×.
      const hops = w.chainCalls;
      full.zeroLatencyWorldMs!.push(w.wallMs);
      full.chainHopMs!.push(w.wallMs / Math.max(1, hops));
      exactness.push(...b.exactness);
      log(`  full 1×1 at zero latency ${i + 1}/${opts.runs}: W ${w.wallMs.toFixed(0)} ms over ${hops} chain hops`);
    }
    if (!opts.quick) {
      for (let i = 0; i < Math.min(opts.runs, 3); i++) {
        const b = await runWorldBatch(ctx, { characters: 10, posts: 100 }, 1);
        full.fanOut100PostsMs!.push(b.worlds[0]!.wallMs);
        exactness.push(...b.exactness);
        log(`  full 10×100 at zero latency ${i + 1}: W ${b.worlds[0]!.wallMs.toFixed(0)} ms`);
      }
    }
  } finally {
    ctx.setTable(saved);
  }
  const sum = (r: Record<string, number[]>) => Object.fromEntries(Object.entries(r).filter(([, v]) => v.length > 0).map(([k, v]) => [k, summarize(v)]));
  return { bare: sum(rows), full: sum(full), exactness };
}
