/**
 * Cancel settles the world. Real stack, stand-ins and the production worker under Node; cancels are
 * sent exactly as an operator sends them (`temporal workflow cancel`, the UI): a cancel request to one
 * workflow. The progress role runs in its own worker process so a test can hold the progress queue
 * still (stop that process) to land a cancel at a chosen point, then start a new one.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
// World ids are what world-service sends: lower-case UUIDs.
import { randomUUID as newWorldId } from 'node:crypto';
import { WorkflowFailedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { rootWorkflowId, taskIds, TaskTypes, workflowIdFor } from '../../src/domain/task-ids';
import { worldWorkflowIds } from '../support/histories';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { explainUnsettled, startWorldHarness, type ExtraWorker, type WorldHarness } from '../support/world-harness';

let h: WorldHarness;
let progressWorker: ExtraWorker;
const world = (overrides: Record<string, unknown> = {}) => ({
  world_id: newWorldId(),
  world_name: 'Lanternfall',
  world_prompt: 'Floating lantern cities drift over a drowned forest, trading light for memories.',
  characters_count: 2,
  posts_count: 6,
  ...overrides,
});

const orchestratorOf = (worldId: string) => h.client.workflow.getHandle(workflowIdFor(TaskTypes.worldDescription, taskIds.worldDescription(worldId)));
const charactersOf = (worldId: string) => [...h.services.state.characters.values()].filter((c) => c.worldId === worldId);
const postsOf = (worldId: string) => [...h.services.state.posts.values()].filter((p) => p.worldId === worldId);
/** Everything the world could spend or create: provider requests and service calls. */
const spent = () => ({ llm: h.llm.requests.length, images: h.images.requests.length, services: h.services.calls.length });
const statusOf = (worldId: string) => h.db.collection('world_generation_status').findOne({ _id: worldId as any });
const FINAL = ['completed', 'failed'];

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** Close status of every workflow of the world that exists (tasks whose workflow never started have none). */
async function closeStatuses(worldId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const id of await worldWorkflowIds(h.db, worldId)) {
    try {
      out[id] = (await h.client.workflow.getHandle(id).describe()).status.name;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return out;
}

const settled = (doc: Record<string, any> | null) => doc !== null && doc.stages.every((s: any) => FINAL.includes(s.status)) && doc.status !== 'in_progress';

/** Waits until the world is settled and every one of its workflows has closed; returns what was seen then. */
async function waitSettledAndClosed(worldId: string, timeoutMs = 90_000) {
  const doc = await until('the world to be settled', async () => {
    const d = await statusOf(worldId);
    return settled(d) ? d : null;
  }, timeoutMs).catch(async (err) => {
    await explainUnsettled(h.client, h.db, worldId, h.output);
    throw err;
  });
  const atSettle = spent();
  const statuses = await until('every workflow of the world to close', async () => {
    const s = await closeStatuses(worldId);
    return Object.values(s).every((v) => v !== 'RUNNING') ? s : null;
  }, timeoutMs);
  return { doc: doc as Record<string, any>, atSettle, statuses };
}

async function expectCancelled(handle: WorkflowHandle) {
  const error = await handle.result().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
}

async function expectSettledCancelled(worldId: string, doc: Record<string, any>) {
  expect(doc.status).toBe('failed');
  expect(String(doc.error)).toContain('cancelled');
  for (const stage of doc.stages) expect({ stage: stage.name, final: FINAL.includes(stage.status) }).toEqual({ stage: stage.name, final: true });
  // Tasks that began were closed; a post stopped by the cancel is not a failed post.
  const open = await h.db.collection('tasks').countDocuments({ world_id: worldId, status: 'in_progress' });
  expect(open).toBe(0);
  expect(doc.posts_failed ?? 0).toBe(0);
  // The counters never claim more than the services hold. They normally agree; they can fall short
  // when a create committed but its activity attempt did not report it (timed out, or its answer
  // was lost) and the cancel then suppressed the retry that would have reconciled it — seen under
  // heavy load. That gap is printed, not hidden.
  for (const [method, counted, held] of [
    ['CreateCharacter', doc.users_created, charactersOf(worldId).length],
    ['CreateAIPost', doc.posts_created, postsOf(worldId).length],
  ] as const) {
    expect({ method, overCounted: counted > held }).toEqual({ method, overCounted: false });
    if (counted < held) {
      const outcomes = h.services.calls.filter((c) => c.method === method && (c.request as any)?.worldId === worldId).map((c) => c.outcome);
      console.warn(`after the cancel ${method}: ${counted} counted, ${held} held; call outcomes ${JSON.stringify(outcomes)}`);
    }
  }
}

beforeAll(async () => {
  h = await startWorldHarness({ env: { WORKER_ROLES: 'main,llm,images,services' } });
  progressWorker = await h.spawnWorker({ WORKER_ROLES: 'progress' });
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  await h?.stop();
}, 60_000);

beforeEach(() => {
  h.llm.reset();
  h.images.reset();
  h.services.faults.clear();
  h.llm.setLatency(0);
});

describe('cancelling the world', () => {
  test(
    'cancelling the orchestrator mid-world stops the whole tree within seconds, spends nothing more and settles every stage as cancelled',
    async () => {
      // Requests take a while, so the cancel finds some of them in flight.
      h.llm.setLatency(400);
      const input = world({ characters_count: 3, posts_count: 12 });
      await (await h.startWorld(input)).result();
      // Cancel once posts are under way (a post's task exists), so some are cut off mid-way.
      await until('a post in the making', () => h.db.collection('tasks').countDocuments({ world_id: input.world_id, type: TaskTypes.post }), 120_000);

      const cancelledAt = Date.now();
      await orchestratorOf(input.world_id).cancel();
      const { doc, atSettle, statuses } = await waitSettledAndClosed(input.world_id);
      const seconds = (Date.now() - cancelledAt) / 1000;
      // The cancel travels down the tree one workflow task per level and the clean-up comes back up
      // the same way: a few dozen workflow tasks, seconds on an idle machine (7–30 s measured on a
      // 2-core machine at load 14). A service call already in flight is let finish — up to its
      // 1-minute start-to-close timeout — so the world counts what it created; the bound allows that.
      expect(seconds).toBeLessThan(90);

      await expectSettledCancelled(input.world_id, doc);
      expect(doc.stages.find((s: any) => s.name === 'finishing')).toMatchObject({ status: 'failed', reason: 'cancelled' });
      // Something was still missing when the cancel came (otherwise this test proves nothing).
      expect(postsOf(input.world_id).length).toBeLessThan(12);

      // Cancelled workflows report Cancelled; nothing reports a StepFailed because of the cancel.
      expect(statuses[orchestratorOf(input.world_id).workflowId]).toBe('CANCELLED');
      const byStatus = Object.values(statuses).reduce<Record<string, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
      expect(byStatus.FAILED ?? 0).toBe(0);
      expect(byStatus.CANCELLED ?? 0).toBeGreaterThan(1);

      // Once settled, the world makes no further request of any provider or service.
      await Bun.sleep(3000);
      expect(spent()).toEqual(atSettle);
      console.log(
        `cancel → settled and closed in ${seconds.toFixed(1)} s; workflows: ${JSON.stringify(byStatus)}; ` +
          `LLM requests ${h.llm.requests.length} (reserved ${doc.api_calls_made_LLM}), image requests ${h.images.requests.length} (reserved ${doc.api_calls_made_images})`,
      );
    },
    180_000,
  );

  test(
    'cancelling the root while it runs forwards the cancel to the orchestrator of the world it joined',
    async () => {
      h.llm.setLatency(300);
      const input = world();
      await (await h.startWorld(input)).result();
      await until('the first character', () => charactersOf(input.world_id).length >= 1, 120_000);
      // Keep the world mid-way while the cancel travels: since release 0.5 posts are counted and closed by the
      // services role, so with 300 ms answers the rest of the world could finish while the progress role is away and
      // its finishWorld would race the cancel.
      h.llm.setLatency(5000);

      // Hold the progress queue: the re-sent root's first step waits, so the cancel lands while it runs.
      await progressWorker.stop();
      const root = await h.startWorld(input);
      await Bun.sleep(500);
      await root.cancel();
      progressWorker = await h.spawnWorker({ WORKER_ROLES: 'progress' });

      await expectCancelled(root);
      const { doc, atSettle, statuses } = await waitSettledAndClosed(input.world_id);
      await expectSettledCancelled(input.world_id, doc);
      expect(statuses[orchestratorOf(input.world_id).workflowId]).toBe('CANCELLED');
      const history = await root.fetchHistory();
      expect(history.events?.some((e) => e.requestCancelExternalWorkflowExecutionInitiatedEventAttributes)).toBe(true);

      await Bun.sleep(2000);
      expect(spent()).toEqual(atSettle);
    },
    180_000,
  );

  test(
    'cancelling the root before the world started records it failed with reason cancelled, starts nothing and spends nothing',
    async () => {
      await progressWorker.stop();
      const input = world();
      const root = await h.startWorld(input);
      await Bun.sleep(500);
      await root.cancel();
      const before = spent();
      progressWorker = await h.spawnWorker({ WORKER_ROLES: 'progress' });

      await expectCancelled(root);
      const doc = await until('the world to be settled', async () => {
        const d = await statusOf(input.world_id);
        return settled(d) ? d : null;
      });
      await expectSettledCancelled(input.world_id, doc as Record<string, any>);
      expect(await orchestratorOf(input.world_id).describe().catch((e: unknown) => e)).toBeInstanceOf(WorkflowNotFoundError);
      expect((await h.client.workflow.getHandle(rootWorkflowId(input.world_id)).describe()).status.name).toBe('CANCELLED');
      await Bun.sleep(1000);
      expect(spent()).toEqual(before);
    },
    120_000,
  );
});
