/**
 * GeneratePostWorkflow — the post's full text and image idea, then its image child, which creates
 * the post. A post that cannot be made is counted as failed (exactly once) and reported upward.
 */
import { TaskTypes, worldIdOfTask } from '../domain/task-ids';
import type { GeneratePostImageWorkflow } from './generate-post-image';
import { beginWith, closeTask, describeFailure, guarded, llm, ok, progress, runChild, stepFailed, type TaskRef, type WorkflowResult } from './support';

export async function GeneratePostWorkflow({ task_id }: TaskRef): Promise<WorkflowResult<{ post_id: string }>> {
  return guarded('GeneratePostWorkflow', async () => {
    const worldId = worldIdOfTask(task_id);
    try {
      await beginWith(task_id, llm.runLlmStep({ taskId: task_id, step: 'post_detail' }));
      const { postImageTaskId } = await progress.planPostImage({ taskId: task_id });
      const result = await runChild<typeof GeneratePostImageWorkflow>('GeneratePostImageWorkflow', TaskTypes.postImage, postImageTaskId);
      await closeTask(task_id, 'completed');
      return ok({ post_id: result.data?.post_id ?? '' });
    } catch (err) {
      const reason = describeFailure(err);
      await progress.recordOutcome({ worldId, taskId: task_id, outcome: 'post_failed' });
      await closeTask(task_id, 'failed', reason);
      throw stepFailed('post', err);
    }
  });
}
