/**
 * Re-sent starts. world-service starts `init-world-<id>` with Temporal's default id-reuse policy, so a
 * second start of a world whose root has closed runs the root again. A finished world (completed or
 * failed) must come out of that untouched and without a cent spent; a running world is joined.
 * Real stack, stand-ins and the production worker under Node.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
// World ids are what world-service sends: lower-case UUIDs.
import { randomUUID as newWorldId } from 'node:crypto';
import { taskIds, TaskTypes, workflowIdFor } from '../../src/domain/task-ids';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { startWorldHarness, type WorldHarness } from '../support/world-harness';

let h: WorldHarness;
const world = (overrides: Record<string, unknown> = {}) => ({
  world_id: newWorldId(),
  world_name: 'Brasswater',
  world_prompt: 'A canal city whose bridges rearrange themselves every night by clockwork.',
  characters_count: 1,
  posts_count: 2,
  ...overrides,
});

const orchestratorOf = (worldId: string) => h.client.workflow.getHandle(workflowIdFor(TaskTypes.worldDescription, taskIds.worldDescription(worldId)));
const spent = () => ({ llm: h.llm.requests.length, images: h.images.requests.length, services: h.services.calls.length });

/** Everything the world has in MongoDB, as stored (dates included, so any write shows). */
async function snapshot(worldId: string) {
  const status = await h.db.collection('world_generation_status').findOne({ _id: worldId as any });
  const tasks = await h.db.collection('tasks').find({ world_id: worldId }).sort({ _id: 1 }).toArray();
  const ledger = await h.db.collection('status_ledger').countDocuments({ world_id: worldId });
  const orchestrator = await orchestratorOf(worldId).describe();
  return { status, tasks, ledger, orchestrator: { runId: orchestrator.runId, status: orchestrator.status.name } };
}

async function expectResentStartChangesNothing(input: ReturnType<typeof world>, expectedMessage: RegExp) {
  const before = await snapshot(input.world_id);
  const spentBefore = spent();
  const root = await h.startWorld(input);
  const result = await root.result();
  expect(result.success).toBe(true);
  expect(result.data.message).toMatch(expectedMessage);
  // Give anything the start might have set off the time to show itself.
  await Bun.sleep(3000);
  expect(await snapshot(input.world_id)).toEqual(before);
  expect(spent()).toEqual(spentBefore);
}

beforeAll(async () => {
  h = await startWorldHarness();
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

describe('a start re-sent by the platform', () => {
  test(
    'for a completed world changes nothing, spends nothing and says why',
    async () => {
      const input = world();
      await (await h.startWorld(input)).result();
      const status = await h.waitForWorld(input.world_id);
      expect(status.status).toBe('completed');
      await expectResentStartChangesNothing(input, /already completed/);
    },
    120_000,
  );

  test(
    'for a failed world changes nothing and pays for nothing again',
    async () => {
      // The description fails for good once; a second run would ask (and pay) the LLM again, and succeed.
      h.llm.faults.push({ status: 400 }, 1, { schemaName: 'WorldDescriptionResponse' });
      const input = world();
      await (await h.startWorld(input)).result();
      const status = await h.waitForWorld(input.world_id);
      expect(status.status).toBe('failed');
      // Every stage is settled, none left pending after the failed description.
      expect(status.stages.every((s: any) => s.status === 'completed' || s.status === 'failed')).toBe(true);
      await expectResentStartChangesNothing(input, /already failed \(.*400/);
    },
    120_000,
  );

  test(
    'while the world runs joins it: one world, exactly what was asked for',
    async () => {
      h.llm.setLatency(300);
      const input = world({ characters_count: 2, posts_count: 4 });
      await (await h.startWorld(input)).result();
      const again = await (await h.startWorld(input)).result();
      expect(again.data.message).toMatch(/already being generated; this start joined it/);
      const status = await h.waitForWorld(input.world_id);
      expect(status.status).toBe('completed');
      expect([...h.services.state.characters.values()].filter((c) => c.worldId === input.world_id)).toHaveLength(2);
      expect([...h.services.state.posts.values()].filter((p) => p.worldId === input.world_id)).toHaveLength(4);
      expect(status.users_created).toBe(2);
      expect(status.posts_created).toBe(4);
    },
    120_000,
  );
});
