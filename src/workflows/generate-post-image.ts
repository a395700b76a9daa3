/** GeneratePostImageWorkflow — image prompt, image, then CreateAIPost (idempotent) and the count. */
import { worldIdOfTask } from '../domain/task-ids';
import { beginWith, closeTask, describeFailure, guarded, images, llm, ok, progress, services, stepFailed, type TaskRef, type WorkflowResult } from './support';

export async function GeneratePostImageWorkflow({ task_id }: TaskRef): Promise<WorkflowResult<{ post_id: string; media_id: string }>> {
  return guarded('GeneratePostImageWorkflow', async () => {
    const worldId = worldIdOfTask(task_id);
    try {
      await beginWith(task_id, llm.runLlmStep({ taskId: task_id, step: 'post_image_prompt' }));
      const { mediaId } = await images.renderImage({ taskId: task_id, kind: 'post_image' });
      const { postId } = await services.createPost({ taskId: task_id, mediaId });
      await Promise.all([progress.recordOutcome({ worldId, taskId: task_id, outcome: 'post_created' }), closeTask(task_id, 'completed')]);
      return ok({ post_id: postId, media_id: mediaId });
    } catch (err) {
      await closeTask(task_id, 'failed', describeFailure(err));
      throw stepFailed('post image', err);
    }
  });
}
