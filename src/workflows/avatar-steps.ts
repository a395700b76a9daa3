/**
 * A character's avatar: the portrait prompt step (since release 0.3 the profile wrote the prompt, so the step finds
 * it stored and makes no call, but it still marks the task started), the image, UpdateCharacter with the media id,
 * then the count, which closes the task. One function, run by GenerateCharacterAvatarWorkflow (avatars started under
 * older releases) and, since `posts-inline`, by GenerateCharacterWorkflow in its own history. Workflow-safe.
 */
import { worldIdOfTask } from '../domain/task-ids';
import { recordDone, runTask } from './run-task';
import { beginLlmStep, images, recordOutcomeAndClose, services } from './support';

/** Runs the avatar of `taskId` to its end in the calling workflow; rejects as its workflow would fail. */
export function makeAvatar(taskId: string): Promise<{ media_id: string }> {
  const worldId = worldIdOfTask(taskId);
  return runTask({
    taskId,
    step: 'avatar',
    body: async () => {
      await beginLlmStep(taskId, 'avatar_prompt');
      const { mediaId } = await images.renderImage({ taskId, kind: 'character_avatar' });
      await services.setCharacterAvatar({ taskId, mediaId });
      await recordDone(() => recordOutcomeAndClose(worldId, taskId, 'avatar_created'));
      return { media_id: mediaId };
    },
  });
}
