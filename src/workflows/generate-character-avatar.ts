/** GenerateCharacterAvatarWorkflow — portrait prompt, image, UpdateCharacter with the media id. */
import { worldIdOfTask } from '../domain/task-ids';
import { recordDone, runTask } from './run-task';
import { beginLlmStep, guarded, images, ok, recordOutcomeAndClose, services, type TaskRef, type WorkflowResult } from './support';

export async function GenerateCharacterAvatarWorkflow({ task_id }: TaskRef): Promise<WorkflowResult<{ media_id: string }>> {
  return guarded('GenerateCharacterAvatarWorkflow', async () => {
    const worldId = worldIdOfTask(task_id);
    return runTask({
      taskId: task_id,
      step: 'avatar',
      body: async () => {
        await beginLlmStep(task_id, 'avatar_prompt');
        const { mediaId } = await images.renderImage({ taskId: task_id, kind: 'character_avatar' });
        await services.setCharacterAvatar({ taskId: task_id, mediaId });
        await recordDone(() => recordOutcomeAndClose(worldId, task_id, 'avatar_created'));
        return ok({ media_id: mediaId });
      },
    });
  });
}
