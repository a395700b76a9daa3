/**
 * Deterministic task and workflow ids. Every id is derived from the world id and the step's
 * position in the tree — never from generated text and never random — so a retried activity or a
 * replayed workflow finds the task it created before instead of orphaning a second one, and
 * Temporal refuses to start a second copy of a running child.
 * Workflow-safe: pure string functions.
 */

export const TaskTypes = {
  worldDescription: 'generate_world_description',
  worldImage: 'generate_world_image',
  characterBatch: 'generate_character_batch',
  character: 'generate_character',
  characterAvatar: 'generate_character_avatar',
  postBatch: 'generate_post_batch',
  post: 'generate_post',
  postImage: 'generate_post_image',
} as const;
export type TaskType = (typeof TaskTypes)[keyof typeof TaskTypes];

export const taskIds = {
  worldDescription: (worldId: string) => `${worldId}:world-description`,
  worldImage: (worldId: string) => `${worldId}:world-image`,
  characterBatch: (worldId: string, batchIndex: number) => `${worldId}:character-batch:${batchIndex}`,
  character: (worldId: string, characterIndex: number) => `${worldId}:character:${characterIndex}`,
  characterAvatar: (characterTaskId: string) => `${characterTaskId}:avatar`,
  postBatch: (characterTaskId: string, batchIndex: number) => `${characterTaskId}:post-batch:${batchIndex}`,
  post: (characterTaskId: string, postIndex: number) => `${characterTaskId}:post:${postIndex}`,
  postImage: (postTaskId: string) => `${postTaskId}:image`,
};

/**
 * The world a task belongs to: every task id starts with `<world_id>:` and world ids cannot contain
 * ':' (the root input schema enforces it), so workflows need no activity round trip to learn it.
 */
export function worldIdOfTask(taskId: string): string {
  const end = taskId.indexOf(':');
  return end < 0 ? taskId : taskId.slice(0, end);
}

/** Workflow id prefixes keep the original service's naming (spec 2.3), so operators recognise them. */
const WORKFLOW_ID_PREFIX: Record<TaskType, string> = {
  generate_world_description: 'generate-world-description',
  generate_world_image: 'generate-world-image',
  generate_character_batch: 'generate-character-batch',
  generate_character: 'generate-character',
  generate_character_avatar: 'generate-character-avatar',
  generate_post_batch: 'generate-post-batch',
  generate_post: 'generate-post',
  generate_post_image: 'generate-post-image',
};

export function workflowIdFor(type: TaskType, taskId: string): string {
  return `${WORKFLOW_ID_PREFIX[type]}-${taskId}`;
}

/** The root id is chosen by world-service (spec 12); we only need it to recognise it. */
export const rootWorkflowId = (worldId: string) => `init-world-${worldId}`;
