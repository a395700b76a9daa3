/**
 * Offline demo: `bun run demo [characters] [posts]`. Starts the local stack, the stand-ins for
 * OpenRouter, Runware and the Generia services, and the production worker build under Node, then
 * generates one world exactly as world-service would start it and prints its progress. No network
 * and no API keys needed.
 */
import { startWorldHarness } from '../test/support/world-harness';
import { stopSharedStack } from '../test/support/stack';

const characters = Number(process.argv[2] ?? 3);
const posts = Number(process.argv[3] ?? 10);
const harness = await startWorldHarness();
try {
  const worldId = crypto.randomUUID();
  const started = Date.now();
  await harness.startWorld({
    world_id: worldId,
    world_name: 'Demo World',
    world_prompt: 'A floating archipelago where lighthouse keepers trade in captured fog.',
    characters_count: characters,
    posts_count: posts,
  });
  const report = async () => {
    const s = await harness.db.collection('world_generation_status').findOne({ _id: worldId as never });
    if (s) {
      const stages = (s.stages as { name: string; status: string }[]).map((x) => `${x.name}=${x.status}`).join(' ');
      console.log(`${((Date.now() - started) / 1000).toFixed(1)}s users ${s.users_created}/${s.users_predicted} posts ${s.posts_created}/${s.posts_predicted} | ${stages}`);
    }
  };
  const timer = setInterval(() => void report(), 1000);
  const status = await harness.waitForWorld(worldId, 15 * 60_000);
  clearInterval(timer);
  console.log(`\nworld ${worldId}: ${status.status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`LLM calls ${status.api_calls_made_LLM} ($${status.llm_cost_total.toFixed(4)}), images ${status.api_calls_made_images} ($${status.image_cost_total.toFixed(4)})`);
} finally {
  await harness.stop();
  await stopSharedStack();
}
// Client libraries (gRPC keep-alive, HTTP agents) can hold the event loop open after closing; this is a script.
process.exit(0);
