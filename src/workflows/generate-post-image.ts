/** GeneratePostImageWorkflow — image prompt, image, then CreateAIPost (idempotent) and the count. */
import { worldIdOfTask } from '../domain/task-ids';
import { recordDone, runTask } from './run-task';
import { beginLlmStep, closeTask, guarded, images, ok, progress, services, type TaskRef, type WorkflowResult } from './support';

export async function GeneratePostImageWorkflow({ task_id }: TaskRef): Promise<WorkflowResult<{ post_id: string; media_id: string }>> {
  return guarded('GeneratePostImageWorkflow', async () => {
    const worldId = worldIdOfTask(task_id);
    return runTask({
      taskId: task_id,
      step: 'post image',
      body: async () => {
        await beginLlmStep(task_id, 'post_image_prompt');
        const { mediaId } = await images.renderImage({ taskId: task_id, kind: 'post_image' });
        const { postId } = await services.createPost({ taskId: task_id, mediaId });
        // The post exists: count it even if a cancel arrives now.
        await recordDone(() => Promise.all([progress.recordOutcome({ worldId, taskId: task_id, outcome: 'post_created' }), closeTask(task_id, 'completed')]));
        return ok({ post_id: postId, media_id: mediaId });
      },
    });
  });
}
