/**
 * Records golden histories: runs a set of worlds (happy paths and every failure path the workflows have) through
 * the real worker, stand-ins and local stack, and writes the history of every workflow execution of each world to
 * test/golden/histories/<release>/<scenario>/<n>-<workflow type>.json. test/golden/replay.test.ts replays them all
 * against the current workflow bundle, so a change that would break a world in flight during a deploy fails CI.
 *
 *   bun run test/golden/record.ts <release>     e.g. `bun run test/golden/record.ts v0.2.0`
 *
 * Record once per release, from that release's code, and commit the files. Never re-record an old release: the
 * point is that its histories were made by its code.
 */
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { taskIds, TaskTypes, workflowIdFor } from '../../src/domain/task-ids';
import { fetchHistories, worldWorkflowIds } from '../support/histories';
import { stopSharedStack } from '../support/stack';
import { startWorldHarness, type WorldHarness } from '../support/world-harness';

const release = process.argv[2];
if (!release || !/^v\d+\.\d+\.\d+$/.test(release)) {
  console.error('usage: bun run test/golden/record.ts <release, e.g. v0.2.0>');
  process.exit(2);
}
const OUT = resolve(import.meta.dirname, 'histories', release);

interface Scenario {
  name: string;
  counts: { characters_count: number; posts_count: number };
  extra?: Record<string, unknown>;
  /** Faults to queue before the start (stand-in APIs). */
  arrange?(h: WorldHarness): void;
  /** Runs while the world does (e.g. a cancel); the world is awaited afterwards. */
  during?(h: WorldHarness, worldId: string): Promise<void>;
  /** Runs after the world settled (e.g. a re-sent start); returns further runs to record. */
  after?(h: WorldHarness, worldId: string): Promise<{ workflowId: string; runId: string }[]>;
}

const orchestratorId = (worldId: string) => workflowIdFor(TaskTypes.worldDescription, taskIds.worldDescription(worldId));

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

const SCENARIOS: Scenario[] = [
  { name: 'completed-3x10', counts: { characters_count: 3, posts_count: 10 } },
  // 11 characters: a second character batch; one character with 12 posts would need a second post batch,
  // which the weights do not guarantee, so a 1×12 world covers that path.
  { name: 'completed-11x11', counts: { characters_count: 11, posts_count: 11 } },
  { name: 'completed-1x12', counts: { characters_count: 1, posts_count: 12 } },
  { name: 'description-rejected', counts: { characters_count: 1, posts_count: 1 }, arrange: (h) => h.llm.faults.push({ status: 400 }, 1, { schemaName: 'WorldDescriptionResponse' }) },
  { name: 'llm-limit-6', counts: { characters_count: 3, posts_count: 10 }, extra: { api_call_limits_llm: 6 } },
  { name: 'character-rejected', counts: { characters_count: 2, posts_count: 2 }, arrange: (h) => h.services.faults.inject('CreateCharacter', { code: 'INVALID_ARGUMENT' }) },
  { name: 'post-rejected', counts: { characters_count: 1, posts_count: 2 }, arrange: (h) => h.services.faults.inject('CreateAIPost', { code: 'INVALID_ARGUMENT' }) },
  { name: 'world-image-rejected', counts: { characters_count: 1, posts_count: 1 }, arrange: (h) => h.services.faults.inject('UpdateWorldImage', { code: 'INVALID_ARGUMENT' }) },
  { name: 'avatar-rejected', counts: { characters_count: 1, posts_count: 1 }, arrange: (h) => h.services.faults.inject('UpdateCharacter', { code: 'INVALID_ARGUMENT' }) },
  // Added in v0.3.0: the first post batch is conceived inside the character's workflow, beside its profile; its
  // failure is the character's problem, not its end (the character stands, its posts are missing).
  { name: 'first-post-batch-rejected', counts: { characters_count: 1, posts_count: 2 }, arrange: (h) => h.llm.faults.push({ status: 400 }, 1, { schemaName: 'PostBatchResponse' }) },
  // Added in v0.3.0: the profile fails while the first post batch is being conceived beside it; the batch's task is
  // closed with the character's failure.
  { name: 'character-detail-rejected', counts: { characters_count: 1, posts_count: 2 }, arrange: (h) => h.llm.faults.push({ status: 400 }, 1, { schemaName: 'CharacterDetailResponse' }) },
  // Added in v0.2.0 (cancel settles the world; re-sent starts change nothing).
  {
    name: 'cancelled-mid-world',
    counts: { characters_count: 3, posts_count: 12 },
    arrange: (h) => h.llm.setLatency(300),
    during: async (h, worldId) => {
      // A post's task (release 0.3 has no image tasks: a post makes its own picture).
      await until('a post in the making', async () => (await h.db.collection('tasks').countDocuments({ world_id: worldId, type: TaskTypes.post })) > 0);
      await h.client.workflow.getHandle(orchestratorId(worldId)).cancel();
    },
  },
  {
    name: 'resent-start-after-completed',
    counts: { characters_count: 1, posts_count: 1 },
    after: async (h, worldId) => {
      const again = await h.client.workflow.start('InitWorldCreationWorkflow', {
        workflowId: `init-world-${worldId}`,
        taskQueue: 'ai-worker-main',
        args: [{ world_id: worldId, world_name: 'Saltglass Reach', world_prompt: 'A desert of glass dunes where caravans trade in bottled storms.', characters_count: 1, posts_count: 1 }],
      });
      await again.result();
      return [{ workflowId: again.workflowId, runId: again.firstExecutionRunId }];
    },
  },
];

const h = await startWorldHarness();
let seq = 0;
try {
  // A bad start: only the root runs (validation failure path).
  {
    const worldId = `00000000-0000-4000-9000-${String(Date.now() % 1e8).padStart(8, '0')}${String(seq++).padStart(4, '0')}`;
    const handle = await h.startWorld({ world_id: worldId, world_name: 'x', world_prompt: '', characters_count: -1, posts_count: 1 });
    await handle.result().catch(() => undefined);
    await save('invalid-input', await fetchHistories(h.client, [handle.workflowId]));
  }
  for (const s of SCENARIOS) {
    h.llm.reset();
    h.images.reset();
    h.services.faults.clear();
    h.llm.setLatency(0);
    s.arrange?.(h);
    const worldId = `00000000-0000-4000-9000-${String(Date.now() % 1e8).padStart(8, '0')}${String(seq++).padStart(4, '0')}`;
    await h.startWorld({ world_id: worldId, world_name: 'Saltglass Reach', world_prompt: 'A desert of glass dunes where caravans trade in bottled storms.', ...s.counts, ...s.extra });
    await s.during?.(h, worldId);
    const status = await h.waitForWorld(worldId, 300_000);
    const ids = await worldWorkflowIds(h.db, worldId);
    // The first run of every workflow id, before a re-sent start adds a second run of the root's id.
    // A task planned just before a cancel may never have had its workflow started.
    const notStarted = (err: unknown) => (/NOT_FOUND|not found/i.test(String(err)) ? [] : Promise.reject(err));
    const histories = (await Promise.all(ids.map((id) => fetchHistories(h.client, [id]).catch(notStarted)))).flat();
    for (const run of (await s.after?.(h, worldId)) ?? []) {
      histories.push({ workflowId: run.workflowId, history: await h.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory() });
    }
    await save(s.name, histories);
    console.log(`${s.name}: world ${status.status}, ${histories.length} executions`);
  }
} finally {
  await h.stop();
  await stopSharedStack();
}
// The native Temporal connection can keep the event loop alive after close.
process.exit(0);

async function save(scenario: string, histories: Awaited<ReturnType<typeof fetchHistories>>) {
  const dir = join(OUT, scenario);
  mkdirSync(dir, { recursive: true });
  histories.forEach(({ history }, i) => {
    const type = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'unknown';
    writeFileSync(join(dir, `${String(i).padStart(3, '0')}-${type}.json`), historyToJSON(history as never));
  });
}
