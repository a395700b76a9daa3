/**
 * One world, measured: wall time against the bound B of the release's chain of dependent provider calls (chainLlm
 * LLM calls + 1 image; 6 before release 0.3, 4 since), LLM tokens per step (the OpenRouter stand-in's own records),
 * workflows, activities and events per world, the largest payload, and per activity type the mean time queued
 * (scheduled → started) and running (started → completed), from the histories.
 *
 *   bun run test/workflows/world-profile.ts [llmMs=1000] [imageMs=500] [characters=3] [posts=10] [runs=1] [chainLlm=4]
 *
 * A development tool for the chain and token work (docs/critical-path.md); the benchmark proper is
 * `bun run bench`. Compare before/after in the same machine conditions; report ratios.
 */
import { fetchHistories, measurePayloads, worldWorkflowIds } from '../support/histories';
import { stopSharedStack } from '../support/stack';
import { startWorldHarness } from '../support/world-harness';

const [llmMs, imageMs, characters, posts, runs, chainLlm] = [1000, 500, 3, 10, 1, 4].map((d, i) => Number(process.argv[2 + i] ?? d)) as [number, number, number, number, number, number];

const h = await startWorldHarness();
try {
  h.llm.setLatency(llmMs);
  h.images.setLatency(imageMs);
  for (let run = 0; run < runs; run++) {
    h.llm.reset();
    h.images.reset();
    const worldId = crypto.randomUUID();
    const started = performance.now();
    await h.startWorld({ world_id: worldId, world_name: 'Profile', world_prompt: 'A city of clockwork gardens.', characters_count: characters, posts_count: posts });
    const status = await h.waitForWorld(worldId, 10 * 60_000);
    const wall = performance.now() - started;
    if (status.status !== 'completed') throw new Error(`world ${worldId} ended ${status.status}: ${status.error}`);

    const bySchema = new Map<string, { calls: number; prompt: number; completion: number }>();
    for (const r of h.llm.requests) {
      const row = bySchema.get(r.schemaName) ?? { calls: 0, prompt: 0, completion: 0 };
      row.calls += 1;
      row.prompt += r.promptTokens;
      row.completion += r.completionTokens;
      bySchema.set(r.schemaName, row);
    }
    let total = 0;
    console.log(`\nrun ${run + 1}: ${characters}×${posts}, LLM ${llmMs} ms, image ${imageMs} ms: W = ${(wall / 1000).toFixed(2)} s`);
    console.log('step                             calls  prompt  completion   total');
    for (const [name, row] of [...bySchema].sort()) {
      total += row.prompt + row.completion;
      console.log(`${name.padEnd(32)} ${String(row.calls).padStart(5)} ${String(row.prompt).padStart(7)} ${String(row.completion).padStart(11)} ${String(row.prompt + row.completion).padStart(7)}`);
    }
    console.log(`tokens per world: ${total} (${h.llm.requests.length} LLM, ${h.images.requests.length} image requests)`);

    // B: the chain of dependent provider calls of this release's graph (docs/critical-path.md): description →
    // character batch → profile ∥ first post batch → post detail with its picture's prompt → picture.
    const bound = chainLlm * llmMs + imageMs;
    console.log(`chain ${chainLlm} LLM + 1 image: B = ${(bound / 1000).toFixed(2)} s; W − B = ${((wall - bound) / 1000).toFixed(2)} s, W/B = ${(wall / bound).toFixed(3)}`);

    const ids = await worldWorkflowIds(h.db, worldId);
    const histories = (await Promise.all(ids.map((id) => fetchHistories(h.client, [id]).catch(() => [])))).flat();
    const report = measurePayloads(histories);
    console.log(
      `${report.workflows} workflows, ${report.activities} activities, ${report.events} events (largest history ${report.largestHistoryEvents}), ` +
        `largest payload ${report.largestPayloadBytes} B (${report.largestAt})`,
    );
    // Per activity type: count, mean schedule-to-start and start-to-close.
    const perType = new Map<string, { n: number; queue: number; run: number }>();
    for (const { history } of histories) {
      const events = history.events ?? [];
      const byId = new Map(events.map((e) => [String(e.eventId), e]));
      for (const e of events) {
        const done = e.activityTaskCompletedEventAttributes;
        if (!done) continue;
        const sched = byId.get(String(done.scheduledEventId));
        const start = byId.get(String(done.startedEventId));
        const type = sched?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
        const ms = (ev: typeof e | undefined) => Number(ev?.eventTime?.seconds ?? 0) * 1000 + Math.floor((ev?.eventTime?.nanos ?? 0) / 1e6);
        const row = perType.get(type) ?? { n: 0, queue: 0, run: 0 };
        row.n += 1;
        row.queue += ms(start) - ms(sched);
        row.run += ms(e) - ms(start);
        perType.set(type, row);
      }
    }
    console.log('activity                     n  mean queue ms  mean run ms');
    for (const [type, row] of [...perType].sort((a, b) => b[1].n - a[1].n)) {
      console.log(`${type.padEnd(26)} ${String(row.n).padStart(3)} ${(row.queue / row.n).toFixed(0).padStart(14)} ${(row.run / row.n).toFixed(0).padStart(12)}`);
    }
  }
} finally {
  await h.stop();
  await stopSharedStack();
}
process.exit(0);
