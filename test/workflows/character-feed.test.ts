/**
 * Release 0.3's character (patch `posts-from-concept`): its first post batch is conceived beside its profile, inside
 * the character's own workflow. These worlds show that either branch failing leaves the world exact and settled: no
 * task left open, counters equal to what the stand-ins served, and the reason where the platform looks.
 * Real stack, stand-ins and the production worker under Node (test/support/world-harness.ts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { randomUUID as newWorldId } from 'node:crypto';
import { taskIds } from '../../src/domain/task-ids';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { startWorldHarness, type WorldHarness } from '../support/world-harness';

let h: WorldHarness;

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
});

const world = () => ({
  world_id: newWorldId(),
  world_name: 'Saltglass Reach',
  world_prompt: 'A desert of glass dunes where caravans trade in bottled storms.',
  characters_count: 1,
  posts_count: 2,
});

async function tasksOf(worldId: string) {
  return h.db.collection<{ _id: string; [key: string]: unknown }>('tasks').find({ world_id: worldId }).toArray();
}

function expectExactCounters(status: Record<string, any>) {
  expect(status.api_calls_made_LLM).toBe(h.llm.requests.length);
  expect(status.api_calls_made_images).toBe(h.images.requests.length);
  expect(status.llm_cost_total).toBeCloseTo(h.llm.requests.reduce((sum, r) => sum + (r.cost ?? 0), 0), 9);
}

describe("a character's first post batch, conceived beside its profile", () => {
  test(
    'a refused post batch fails the batch and the character task, not the character: it exists, with its avatar; the posts are missing',
    async () => {
      h.llm.faults.push({ status: 400 }, 1, { schemaName: 'PostBatchResponse' });
      const input = world();
      await h.startWorld(input);
      const status = await h.waitForWorld(input.world_id);

      expect(status.status).toBe('failed');
      expect(status.users_created).toBe(1);
      expect(status.avatars_created).toBe(1);
      expect(status.posts_created).toBe(0);
      expect(status.stages.find((s: any) => s.name === 'posts')).toMatchObject({ status: 'failed' });
      const characters = [...h.services.state.characters.values()].filter((c) => c.worldId === input.world_id);
      expect(characters).toHaveLength(1);
      expect(characters[0]!.avatarMediaId).toBeTruthy();

      const tasks = await tasksOf(input.world_id);
      expect(tasks.filter((t) => t.status === 'in_progress' || t.status === 'pending')).toEqual([]);
      const characterTaskId = taskIds.character(input.world_id, 0);
      const batch = tasks.find((t) => t._id === taskIds.postBatch(characterTaskId, 0));
      expect(batch?.status).toBe('failed');
      const character = tasks.find((t) => t._id === characterTaskId);
      expect(character?.status).toBe('failed');
      expect(String(character?.error)).toContain('post batch failed');
      // The profile and the batch ran side by side: both were asked for before either answered.
      const [detail, posts] = ['CharacterDetailResponse', 'PostBatchResponse'].map((name) => h.llm.requests.find((r) => r.schemaName === name)!);
      expect(Math.abs(detail!.at - posts!.at)).toBeLessThan(1000);
      expect(status.tasks_completed + status.tasks_failed).toBe(status.tasks_total);
      expectExactCounters(status);
    },
    180_000,
  );

  test(
    'a refused profile fails the character; the first batch, already conceived, is closed with that reason',
    async () => {
      h.llm.faults.push({ status: 400 }, 1, { schemaName: 'CharacterDetailResponse' });
      const input = world();
      await h.startWorld(input);
      const status = await h.waitForWorld(input.world_id);

      expect(status.status).toBe('failed');
      expect(status.users_created).toBe(0);
      expect([...h.services.state.characters.values()].filter((c) => c.worldId === input.world_id)).toHaveLength(0);
      const tasks = await tasksOf(input.world_id);
      expect(tasks.filter((t) => t.status === 'in_progress' || t.status === 'pending')).toEqual([]);
      const characterTaskId = taskIds.character(input.world_id, 0);
      const batch = tasks.find((t) => t._id === taskIds.postBatch(characterTaskId, 0));
      expect(batch?.status).toBe('failed');
      expect(String(batch?.error)).toContain('the character was not created');
      // The batch's request was sent and answered: it is counted like any other.
      expect(h.llm.requests.filter((r) => r.schemaName === 'PostBatchResponse' && r.status === 200)).toHaveLength(1);
      expect(status.tasks_completed + status.tasks_failed).toBe(status.tasks_total);
      expectExactCounters(status);
    },
    180_000,
  );
});
