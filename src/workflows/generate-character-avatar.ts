/** GenerateCharacterAvatarWorkflow — portrait prompt, image, UpdateCharacter with the media id (avatar-steps.ts). */
import { makeAvatar } from './avatar-steps';
import { guarded, ok, type TaskRef, type WorkflowResult } from './support';

export async function GenerateCharacterAvatarWorkflow({ task_id }: TaskRef): Promise<WorkflowResult<{ media_id: string }>> {
  return guarded('GenerateCharacterAvatarWorkflow', async () => ok(await makeAvatar(task_id)));
}
