/**
 * GeneratePostWorkflow — the post's full text and the final prompt of its picture (one LLM call), the picture, then
 * CreateAIPost (idempotent) and the count. A post that cannot be made is counted as failed (exactly once) and
 * reported upward; a post stopped by a cancel is not a failed post and is not counted as one.
 *
 * Posts that started under release 0.2 (no `post-makes-its-image` marker) keep their path: detail, then an image
 * task and a GeneratePostImageWorkflow child that polishes the prompt, renders and creates the post.
 */
import { patched } from '@temporalio/workflow';
import { TaskTypes, worldIdOfTask } from '../domain/task-ids';
import type { GeneratePostImageWorkflow } from './generate-post-image';
import { Patches } from './patches';
import { recordDone, runTask } from './run-task';
import { beginLlmStep, closeTask, guarded, images, ok, progress, recordOutcomeAndClose, runChild, services, type TaskRef, type WorkflowResult } from './support';

export async function GeneratePostWorkflow({ task_id }: TaskRef): Promise<WorkflowResult<{ post_id: string }>> {
  return guarded('GeneratePostWorkflow', async () => {
    const worldId = worldIdOfTask(task_id);
    const makesItsImage = patched(Patches.postMakesItsImage);
    return runTask({
      taskId: task_id,
      step: 'post',
      body: async () => {
        await beginLlmStep(task_id, 'post_detail');
        if (makesItsImage) {
          const { mediaId } = await images.renderImage({ taskId: task_id, kind: 'post_image' });
          const { postId } = await services.createPost({ taskId: task_id, mediaId });
          // The post exists: count it even if a cancel arrives now.
          await recordDone(() => recordOutcomeAndClose(worldId, task_id, 'post_created'));
          return ok({ post_id: postId });
        }
        const { postImageTaskId } = await progress.planPostImage({ taskId: task_id });
        const result = await runChild<typeof GeneratePostImageWorkflow>('GeneratePostImageWorkflow', TaskTypes.postImage, postImageTaskId);
        await recordDone(() => closeTask(task_id, 'completed'));
        return ok({ post_id: result.data?.post_id ?? '' });
      },
      beforeClose: ({ cancelled }) =>
        cancelled ? [] : [{ name: 'recordOutcome', run: () => progress.recordOutcome({ worldId, taskId: task_id, outcome: 'post_failed' }) }],
    });
  });
}
