/**
 * Critical-path efficiency (performance goal P2): how close a world's wall time W comes to the
 * lower bound B that the provider latencies alone impose on its longest chain of dependent calls.
 *
 *   bun run bench [llmMs=1000] [imageMs=500] [runs=3]
 *
 * Runs 3-character / 10-post worlds one after another against the stand-ins with fixed latencies,
 * on the real local stack with the production worker build under Node. The longest chain is
 * description → character batch → character detail → post batch → post detail → post image prompt
 * → image: B = 6 × LLM + 1 × image. Everything else (Temporal hops, MongoDB writes, gRPC calls to
 * the stand-ins) is orchestration overhead, reported per world and per hop of that chain.
 */
import { stopSharedStack } from '../support/stack';
import { startWorldHarness } from '../support/world-harness';

const llmMs = Number(process.argv[2] ?? 1000);
const imageMs = Number(process.argv[3] ?? 500);
const runs = Number(process.argv[4] ?? 3);
const CHAIN_LLM_CALLS = 6;
const CHAIN_IMAGES = 1;
const bound = CHAIN_LLM_CALLS * llmMs + CHAIN_IMAGES * imageMs;

const h = await startWorldHarness();
const walls: number[] = [];
try {
  h.llm.setLatency(llmMs);
  h.images.setLatency(imageMs);
  for (let i = 0; i < runs; i++) {
    const worldId = crypto.randomUUID();
    const started = performance.now();
    await h.startWorld({ world_id: worldId, world_name: 'Bench', world_prompt: 'A city of clockwork gardens.', characters_count: 3, posts_count: 10 });
    const status = await h.waitForWorld(worldId, 10 * 60_000);
    const wall = performance.now() - started;
    if (status.status !== 'completed') throw new Error(`world ${worldId} ended ${status.status}: ${status.error}`);
    walls.push(wall);
    console.log(`run ${i + 1}: W = ${(wall / 1000).toFixed(2)} s`);
  }
} finally {
  await h.stop();
  await stopSharedStack();
}
walls.sort((a, b) => a - b);
const median = walls[Math.floor(walls.length / 2)]!;
const hops = CHAIN_LLM_CALLS + CHAIN_IMAGES;
console.log(
  `\nLLM ${llmMs} ms, image ${imageMs} ms → B = ${(bound / 1000).toFixed(2)} s; median W = ${(median / 1000).toFixed(2)} s over ${runs} runs; ` +
    `W/B = ${(median / bound).toFixed(3)}; overhead ${((median - bound) / 1000).toFixed(2)} s per world, ${((median - bound) / hops).toFixed(0)} ms per chain hop`,
);
// Client libraries (gRPC keep-alive, HTTP agents) can hold the event loop open after closing; this is a script.
process.exit(0);
