/**
 * A post's own steps (release 0.3, `post-makes-its-image`): its text and the final prompt of its picture in one LLM
 * call, the picture, CreateAIPost (idempotent), then the count, which closes the task (since release 0.5,
 * `service-call-counts-outcome`, counted and closed by the CreateAIPost activity itself). One function, run by
 * GeneratePostWorkflow (posts started under older releases, and posts beyond the inline cap) and, since
 * `posts-inline`, by the parents that hold the post's task (GenerateCharacterWorkflow, GeneratePostBatchWorkflow)
 * inside their own history — so the two ways of running a post cannot drift apart. Workflow-safe.
 *
 * Run inline, a post is still its own task: a failure closes that task failed and counts `post_failed` (its
 * `runTask` clean-up, exactly as in its own workflow) and rejects only this post's promise; a cancel of the parent
 * reaches the post's running activity (same scope), and the clean-up closes the post's task `cancelled` without
 * counting a failed post.
 */
import { worldIdOfTask, TaskTypes } from '../domain/task-ids';
import { MAX_POSTS_PER_BATCH } from '../domain/world-plan';
import type { GeneratePostWorkflow } from './generate-post';
import { recordDone, runTask, type CleanUp, type TaskFailure } from './run-task';
import { beginLlmStep, images, progress, recordOutcomeAndClose, runChild, services } from './support';

/**
 * Posts one parent runs in its own history; any beyond run as GeneratePostWorkflow children. A batch holds at most
 * MAX_POSTS_PER_BATCH (10) posts, so today every post runs inline; the cap bounds the parent's history if a batch ever
 * grows (an inline post adds 12–36 events; 10 of them keep a character's history at a few hundred of the 1,000 the
 * platform allows — docs/critical-path.md).
 */
export const MAX_INLINE_POSTS = MAX_POSTS_PER_BATCH;

/**
 * Runs the post of `taskId` to its end in the calling workflow; resolves with its id, rejects as its workflow would
 * fail. `countsOutcome`: the caller's answer to `service-call-counts-outcome`, asked when it started
 * (support.ts {@link askedAtStart}).
 */
export function makePost(taskId: string, countsOutcome: boolean): Promise<{ post_id: string }> {
  const worldId = worldIdOfTask(taskId);
  return runTask({
    taskId,
    step: 'post',
    body: async () => {
      await beginLlmStep(taskId, 'post_detail');
      const { mediaId } = await images.renderImage({ taskId, kind: 'post_image' });
      if (countsOutcome) {
        // Created, counted and closed in one activity. In the cancellable scope, as the create was: a cancel before it
        // is scheduled creates nothing; one while it runs waits for it (WAIT_CANCELLATION_COMPLETED), and it counts
        // what it created.
        const { postId } = await services.createPost({ taskId, mediaId, countAndClose: true });
        return { post_id: postId };
      }
      const { postId } = await services.createPost({ taskId, mediaId });
      // The post exists: count it even if a cancel arrives now.
      await recordDone(() => recordOutcomeAndClose(worldId, taskId, 'post_created'));
      return { post_id: postId };
    },
    beforeClose: (failure) => postFailedCleanUp(worldId, taskId, failure),
  });
}

/** A post that cannot be made is counted as failed (exactly once); a post stopped by a cancel is not a failed post. */
export function postFailedCleanUp(worldId: string, taskId: string, { cancelled }: TaskFailure): CleanUp[] {
  return cancelled ? [] : [{ name: 'recordOutcome', run: () => progress.recordOutcome({ worldId, taskId, outcome: 'post_failed' }) }];
}

/**
 * The posts of one batch, started together: the first MAX_INLINE_POSTS inline, the rest as children. Each promise
 * settles like the post's own workflow would (fulfilled once the post exists, rejected when it failed or was
 * cancelled); callers count them with `settledValues`.
 */
export function runPosts(postTaskIds: readonly string[], countsOutcome: boolean): Promise<unknown>[] {
  return postTaskIds.map((id, i) =>
    i < MAX_INLINE_POSTS ? makePost(id, countsOutcome) : runChild<typeof GeneratePostWorkflow>('GeneratePostWorkflow', TaskTypes.post, id),
  );
}
