/**
 * A character's avatar: the portrait prompt step (since release 0.3 the profile wrote the prompt, so the step finds
 * it stored and makes no call, but it still marks the task started), the image, UpdateCharacter with the media id,
 * then the count, which closes the task (since release 0.5, `service-call-counts-outcome`, in the UpdateCharacter
 * activity itself). One function, run by GenerateCharacterAvatarWorkflow (avatars started under
 * older releases) and, since `posts-inline`, by GenerateCharacterWorkflow in its own history. Workflow-safe.
 */
import { worldIdOfTask } from '../domain/task-ids';
import { recordDone, runTask } from './run-task';
import { beginLlmStep, images, recordOutcomeAndClose, services } from './support';

/**
 * Runs the avatar of `taskId` to its end in the calling workflow; rejects as its workflow would fail. `ready`: the
 * plan says the task is started and holds its prompt (CharacterFamilyPlan.avatarReady) and the caller answered
 * `avatar-prompt-planned` yes, so its first step, which would only find the prompt, is not run. `countsOutcome`: the
 * caller's answer to `service-call-counts-outcome`. Both asked when the caller started (support.ts {@link askedAtStart}).
 */
export function makeAvatar(taskId: string, { ready, countsOutcome }: { ready: boolean; countsOutcome: boolean }): Promise<{ media_id: string }> {
  const worldId = worldIdOfTask(taskId);
  return runTask({
    taskId,
    step: 'avatar',
    body: async () => {
      if (!ready) await beginLlmStep(taskId, 'avatar_prompt');
      const { mediaId } = await images.renderImage({ taskId, kind: 'character_avatar' });
      if (countsOutcome) {
        // Set, counted and closed in one activity (as a post's CreateAIPost, post-steps.ts).
        await services.setCharacterAvatar({ taskId, mediaId, countAndClose: true });
        return { media_id: mediaId };
      }
      await services.setCharacterAvatar({ taskId, mediaId });
      await recordDone(() => recordOutcomeAndClose(worldId, taskId, 'avatar_created'));
      return { media_id: mediaId };
    },
  });
}
