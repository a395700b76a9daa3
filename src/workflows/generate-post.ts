/**
 * GeneratePostWorkflow — the post's full text and image idea, then its image child, which creates
 * the post. A post that cannot be made is counted as failed (exactly once) and reported upward; a
 * post stopped by a cancel is not a failed post and is not counted as one.
 */
import { TaskTypes, worldIdOfTask } from '../domain/task-ids';
import type { GeneratePostImageWorkflow } from './generate-post-image';
import { recordDone, runTask } from './run-task';
import { beginWith, closeTask, guarded, llm, ok, progress, runChild, type TaskRef, type WorkflowResult } from './support';

export async function GeneratePostWorkflow({ task_id }: TaskRef): Promise<WorkflowResult<{ post_id: string }>> {
  return guarded('GeneratePostWorkflow', async () => {
    const worldId = worldIdOfTask(task_id);
    return runTask({
      taskId: task_id,
      step: 'post',
      body: async () => {
        await beginWith(task_id, llm.runLlmStep({ taskId: task_id, step: 'post_detail' }));
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
