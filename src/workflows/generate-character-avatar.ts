/** GenerateCharacterAvatarWorkflow — portrait prompt, image, UpdateCharacter with the media id (avatar-steps.ts). */
import { makeAvatar } from './avatar-steps';
import { guarded, ok, type TaskRef, type WorkflowResult } from './support';

export async function GenerateCharacterAvatarWorkflow({ task_id }: TaskRef): Promise<WorkflowResult<{ media_id: string }>> {
  // Not started since release 0.4 (avatars run inside their character): kept for avatars in flight since then,
  // with the steps of their release.
  return guarded('GenerateCharacterAvatarWorkflow', async () => ok(await makeAvatar(task_id, { ready: false, countsOutcome: false })));
}
