/**
 * Patch `posts-inline`: a character runs its avatar and its first batch's posts, and a GeneratePostBatchWorkflow its
 * posts, in their own histories instead of a child workflow each. One world shows that nothing of what the children
 * gave is lost: a post that fails closes its own task failed and is counted once, the character and the other posts
 * go on, the world reports it, counters equal what the stand-ins served, and the largest history stays far below
 * Temporal's limit. Real stack, stand-ins and the production worker under Node (test/support/world-harness.ts).
 * (The cancel of inline posts is test/e2e/cancel.test.ts.)
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { randomUUID as newWorldId } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { TaskTypes, taskIds, workflowIdFor, type TaskType } from '../../src/domain/task-ids';
import { fetchHistories, measurePayloads, worldWorkflowIds } from '../support/histories';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { startWorldHarness, type WorldHarness } from '../support/world-harness';

let h: WorldHarness;

beforeAll(async () => {
  h = await startWorldHarness();
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  await h?.stop();
}, 60_000);

test(
  'posts and the avatar run inside their parents; a refused post fails alone and is counted once; the world stays exact',
  async () => {
    // 12 posts for one character: a first batch of 10 in the character, a second of 2 in a GeneratePostBatchWorkflow.
    h.services.faults.inject('CreateAIPost', { code: 'INVALID_ARGUMENT' });
    const input = { world_id: newWorldId(), world_name: 'Saltglass Reach', world_prompt: 'A desert of glass dunes where caravans trade in bottled storms.', characters_count: 1, posts_count: 12 };
    await h.startWorld(input);
    const status = await h.waitForWorld(input.world_id, 300_000);

    expect(status.users_created).toBe(1);
    expect(status.avatars_created).toBe(1);
    expect(status.posts_created).toBe(11);
    expect(status.posts_failed).toBe(1);
    expect([...h.services.state.posts.values()].filter((p) => p.worldId === input.world_id)).toHaveLength(11);
    // The world reports the missing post, as it did for a failed child.
    expect(status.status).toBe('failed');
    expect(status.stages.find((s: { name: string }) => s.name === 'posts')).toMatchObject({ status: 'failed' });

    const tasks = await h.db.collection<{ _id: string; type: TaskType; status: string; error?: string }>('tasks').find({ world_id: input.world_id }).toArray();
    expect(tasks.filter((t) => t.status === 'in_progress' || t.status === 'pending')).toEqual([]);
    const posts = tasks.filter((t) => t.type === TaskTypes.post);
    expect(posts).toHaveLength(12);
    const failed = posts.filter((t) => t.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(String(failed[0]!.error)).toContain('INVALID_ARGUMENT');
    // The character and its second batch go on: a failed post is counted, not a problem of its parent.
    const characterTaskId = taskIds.character(input.world_id, 0);
    expect(tasks.find((t) => t._id === characterTaskId)?.status).toBe('completed');
    expect(status.tasks_completed + status.tasks_failed).toBe(status.tasks_total);
    // Only the post failed, and the world's own task says what is missing.
    expect(tasks.filter((t) => t.status === 'failed').map((t) => `${t.type}: ${t.error}`).sort()).toEqual([
      `${TaskTypes.post}: [invalid_argument] injected fault INVALID_ARGUMENT`,
      `${TaskTypes.worldDescription}: posts: 11 of 12 posts created, 1 failed`,
    ]);

    // Exactness: what the stand-ins served, reserved and costed once.
    expect(status.api_calls_made_LLM).toBe(h.llm.requests.length);
    expect(status.api_calls_made_images).toBe(h.images.requests.length);
    expect(status.llm_cost_total).toBeCloseTo(h.llm.requests.reduce((sum, r) => sum + (r.cost ?? 0), 0), 9);
    expect(h.images.requests).toHaveLength(2 + 1 + 12);

    // No post and no avatar has a workflow of its own (before `posts-inline` each did).
    for (const t of tasks.filter((x) => x.type === TaskTypes.post || x.type === TaskTypes.characterAvatar)) {
      const err = await h.client.workflow.getHandle(workflowIdFor(t.type, t._id)).describe().then(() => null, (e: unknown) => e);
      expect({ task: t._id, notFound: err instanceof WorkflowNotFoundError }).toEqual({ task: t._id, notFound: true });
    }
    const histories = await fetchHistories(h.client, await worldWorkflowIds(h.db, input.world_id));
    const report = measurePayloads(histories);
    const createPosts = (id: string) =>
      histories.find((x) => x.workflowId === id)!.history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'createPost').length;
    expect(createPosts(workflowIdFor(TaskTypes.character, characterTaskId))).toBe(10);
    expect(createPosts(workflowIdFor(TaskTypes.postBatch, taskIds.postBatch(characterTaskId, 1)))).toBe(2);
    // 10 inline posts + the avatar: a few hundred events at most (docs/critical-path.md), far below 1,000.
    expect(report.largestHistoryEvents).toBeLessThan(500);
    console.log(`workflows ${report.workflows}, activities ${report.activities}, events ${report.events}, largest history ${report.largestHistoryEvents}`);
  },
  300_000,
);
