/**
 * The activity contracts workflows call. Workflows import these *types* only (the implementations
 * do I/O); each group is registered on its own task queue (see domain/task-queues.ts).
 * Every argument and result is small — ids, counts, short reasons — because payloads crossing
 * Temporal are kept under 4 KB; the content itself lives in MongoDB.
 */
import type { StageName, StageStatus } from '../domain/stages';
import type { ImageKind, LlmStep } from '../domain/steps';
import type { InitWorldInput } from '../schemas/world-input';

export interface ProgressActivities {
  /** Creates (idempotently) the status document and the description task; returns its id. */
  startWorld(input: InitWorldInput): Promise<{ descriptionTaskId: string }>;
  /** Records a world whose input was rejected: status document `failed`, nothing spent. */
  rejectWorld(args: { worldId: string; problems: string[] }): Promise<void>;
  /** Marks a task in progress (one more attempt). */
  beginTask(taskId: string): Promise<void>;
  finishTask(args: { taskId: string; outcome: 'completed' | 'failed'; error?: string }): Promise<void>;
  advanceStage(args: { worldId: string; stage: StageName; status: Exclude<StageStatus, 'pending'>; reason?: string }): Promise<void>;
  /** Counts one outcome exactly once (keyed by the task id) and completes stages that are now done. */
  recordOutcome(args: { worldId: string; taskId: string; outcome: Outcome; /** Also close the task as completed. */ close?: boolean }): Promise<void>;
  planWorldChildren(args: { taskId: string }): Promise<{ worldImageTaskId: string; characterBatchTaskId: string | null }>;
  /**
   * The batch's character tasks and the next batch. `firstPostBatches` (since `batch-plans-first-post-batches`): also
   * each character's first post batch, `pending` (its LLM step begins it), which planFirstPostBatch did in the character, returned in
   * `firstPostBatchTaskIds` aligned with `characterTaskIds` (null for a character without posts); absent from the
   * answer of a worker that does not know the flag.
   */
  planCharacterBatchChildren(args: { taskId: string; firstPostBatches?: boolean }): Promise<{
    characterTaskIds: string[];
    nextBatchTaskId: string | null;
    firstPostBatchTaskIds?: (string | null)[];
  }>;
  planCharacterChildren(args: { taskId: string; characterId: string }): Promise<{ avatarTaskId: string; postBatchTaskId: string | null }>;
  planPostBatchChildren(args: { taskId: string }): Promise<{ postTaskIds: string[]; nextBatchTaskId: string | null }>;
  planPostImage(args: { taskId: string }): Promise<{ postImageTaskId: string }>;
  /**
   * Creates the character's first post-batch task, already started, so its posts are conceived from the character's
   * concept while the profile is written. Null when the character has no posts.
   */
  planFirstPostBatch(args: { taskId: string }): Promise<{ postBatchTaskId: string | null }>;
  /**
   * Once the character exists: its avatar task (with the portrait prompt the profile wrote, if any), the posts of the
   * first batch and the next batch, and closes the first batch's task (its work is done).
   */
  planCharacterFamily(args: { taskId: string; characterId: string; postBatchTaskId: string | null }): Promise<CharacterFamilyPlan>;
  /**
   * Settles every stage from what actually exists and returns the world's final status. `failure`
   * is the reason recorded if the world fails; `cancelled` says a cancel stopped the world: whatever
   * is missing fails with reason `cancelled` (a world that is in fact complete stays completed).
   */
  finishWorld(args: {
    worldId: string;
    failure?: string;
    cancelled?: boolean;
    /** Also close this task (the orchestrator's own) as the world ended: completed, or failed with its summary. */
    closeTaskId?: string;
  }): Promise<{ status: 'completed' | 'failed'; summary: string }>;
  /** Read-only: where the world stands, so a re-sent start can leave a finished world untouched. */
  inspectWorld(args: { worldId: string }): Promise<WorldState>;
  /**
   * Since `root-opens-world`: {@link inspectWorld}, then — unless the world is settled (completed or failed: nothing
   * is written) — {@link startWorld}, in one activity. `descriptionTaskId` is null for a settled world.
   */
  openWorld(input: InitWorldInput): Promise<{ world: WorldState; descriptionTaskId: string | null }>;
}

/**
 * `absent`: no status document. `running`: not yet settled. `completed` / `failed`: settled — no
 * stage is still in progress and nothing will change it again. `reason` is the world's error.
 */
export interface WorldState {
  state: 'absent' | 'running' | 'completed' | 'failed';
  reason: string | null;
}

/** A character's children, planned once it exists (planCharacterFamily). */
export interface CharacterFamilyPlan {
  avatarTaskId: string;
  postTaskIds: string[];
  nextBatchTaskId: string | null;
  /**
   * The avatar's task is started and holds its portrait prompt (the profile wrote it), so the avatar's first step
   * has nothing to do (since `avatar-prompt-planned` the workflow skips it). Absent from plans of older releases.
   */
  avatarReady?: boolean;
}

export type Outcome = 'character_created' | 'avatar_created' | 'post_created' | 'post_failed';

export interface LlmActivities {
  /** Runs one LLM step for a task; the validated answer is stored on the task, not returned. */
  runLlmStep(args: { taskId: string; step: LlmStep; /** Mark the task started first (its first step). */ begin?: boolean }): Promise<{ items: number }>;
}

export interface ImageActivities {
  /** Generates an image, uploads it through the media service and returns the media id. */
  renderImage(args: { taskId: string; kind: ImageKind }): Promise<{ mediaId: string }>;
}

export interface ServiceActivities {
  publishWorldParams(args: { taskId: string }): Promise<void>;
  /**
   * UpdateWorldImage with the header and the icon. `settle` (since `world-images-publish-settles`): then also completes
   * the `world_image` stage and closes the task, as advanceStage ∥ finishTask after it did.
   */
  publishWorldImages(args: { taskId: string; headerMediaId: string; iconMediaId: string; settle?: boolean }): Promise<void>;
  /**
   * Creates the task's character once. Fails non-retryably with `AmbiguousCreation` when an earlier call may have
   * created it but character-service cannot confirm it (the world then counts it in `characters_ambiguous`).
   */
  createCharacter(args: { taskId: string }): Promise<{ characterId: string }>;
  /**
   * Since `character-call-plans-family`: {@link createCharacter}, then in the same activity what the workflow ran
   * after it — `planCharacterFamily` (the progress activity's own code, injected) beside counting
   * `character_created` — so the character's avatar and posts start one task-queue hop sooner.
   */
  createCharacterWithFamily(args: { taskId: string; postBatchTaskId: string | null }): Promise<{
    characterId: string;
    plan: CharacterFamilyPlan;
  }>;
  /**
   * Sets the character's avatar. `countAndClose` (since `service-call-counts-outcome`): then also counts
   * `avatar_created` and closes the avatar's task, as `recordOutcome({ close: true })` would (activities/outcomes.ts).
   */
  setCharacterAvatar(args: { taskId: string; mediaId: string; countAndClose?: boolean }): Promise<void>;
  /**
   * Creates the post once; after a lost response it finds the post again (GetCharacterPosts) instead of creating it
   * twice. `countAndClose` (since `service-call-counts-outcome`): then also counts `post_created` and closes the post's
   * task in the same activity, as `recordOutcome({ close: true })` would.
   */
  createPost(args: { taskId: string; mediaId: string; countAndClose?: boolean }): Promise<{ postId: string }>;
}
