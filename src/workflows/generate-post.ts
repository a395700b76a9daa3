/**
 * GeneratePostWorkflow — the post's full text and the final prompt of its picture (one LLM call), the picture, then
 * CreateAIPost (idempotent) and the count (post-steps.ts, shared with the parents that run posts inline). A post that
 * cannot be made is counted as failed (exactly once) and reported upward; a post stopped by a cancel is not a failed
 * post and is not counted as one.
 *
 * Since `posts-inline` a character and a post batch run their posts in their own histories, so this workflow is
 * started only for posts beyond the inline cap; it stays registered for posts started under older releases.
 * Posts that started under release 0.2 (no `post-makes-its-image` marker) keep their path: detail, then an image
 * task and a GeneratePostImageWorkflow child that polishes the prompt, renders and creates the post.
 */
import { patched } from '@temporalio/workflow';
import { TaskTypes, worldIdOfTask } from '../domain/task-ids';
import type { GeneratePostImageWorkflow } from './generate-post-image';
import { Patches } from './patches';
import { makePost, postFailedCleanUp } from './post-steps';
import { recordDone, runTask } from './run-task';
import { askedAtStart, beginLlmStep, closeTask, guarded, ok, progress, runChild, type TaskRef, type WorkflowResult } from './support';

export async function GeneratePostWorkflow({ task_id }: TaskRef): Promise<WorkflowResult<{ post_id: string }>> {
  return guarded('GeneratePostWorkflow', async () => {
    if (patched(Patches.postMakesItsImage)) {
      const { serviceCallCountsOutcome } = askedAtStart('serviceCallCountsOutcome');
      return ok(await makePost(task_id, serviceCallCountsOutcome));
    }
    return postWithImageChild(task_id);
  });
}

/** The release 0.2 path. */
async function postWithImageChild(task_id: string): Promise<WorkflowResult<{ post_id: string }>> {
  const worldId = worldIdOfTask(task_id);
  return runTask({
    taskId: task_id,
    step: 'post',
    body: async () => {
      await beginLlmStep(task_id, 'post_detail');
      const { postImageTaskId } = await progress.planPostImage({ taskId: task_id });
      const result = await runChild<typeof GeneratePostImageWorkflow>('GeneratePostImageWorkflow', TaskTypes.postImage, postImageTaskId);
      await recordDone(() => closeTask(task_id, 'completed'));
      return ok({ post_id: result.data?.post_id ?? '' });
    },
    beforeClose: (failure) => postFailedCleanUp(worldId, task_id, failure),
  });
}
