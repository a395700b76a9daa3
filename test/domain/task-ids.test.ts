import { expect, test } from 'bun:test';
import { taskIds, TaskTypes, workflowIdFor, worldIdOfTask } from '../../src/domain/task-ids';

test('task and workflow ids derive from the world and the position only', () => {
  const world = '7b0c5f0e-3f7e-4c36-9a3e-0d5f1b7b2c11';
  const character = taskIds.character(world, 4);
  const post = taskIds.post(character, 12);
  expect(post).toBe(`${world}:character:4:post:12`);
  expect(taskIds.postImage(post)).toBe(`${world}:character:4:post:12:image`);
  expect(workflowIdFor(TaskTypes.postImage, taskIds.postImage(post))).toBe(`generate-post-image-${world}:character:4:post:12:image`);
  // Same inputs, same ids: a retried or replayed step finds its task instead of creating another.
  expect(taskIds.characterBatch(world, 2)).toBe(taskIds.characterBatch(world, 2));
  for (const id of [post, taskIds.postImage(post), taskIds.worldDescription(world), taskIds.characterAvatar(character)]) expect(worldIdOfTask(id)).toBe(world);
  expect(new Set([taskIds.worldDescription(world), taskIds.worldImage(world), taskIds.characterBatch(world, 0), character]).size).toBe(4);
});
