/**
 * GenerateCharacterWorkflow — expands one concept into a full profile (the concept itself reaches
 * the prompt, fixing spec 15.24), creates the character once (idempotent), then runs the avatar
 * and the character's posts in parallel and waits for both.
 */
import { TaskTypes, worldIdOfTask } from '../domain/task-ids';
import type { GenerateCharacterAvatarWorkflow } from './generate-character-avatar';
import type { GeneratePostBatchWorkflow, PostBatchSummary } from './generate-post-batch';
import { closeTaskLogged, endCancelledTask, recordDone, runTask } from './run-task';
import { beginWith, describeFailure, guarded, llm, ok, progress, runChild, services, type TaskRef, type WorkflowResult } from './support';

export interface CharacterSummary {
  character_id: string;
  avatar: boolean;
  posts_created: number;
  posts_failed: number;
}

export async function GenerateCharacterWorkflow({ task_id }: TaskRef): Promise<WorkflowResult<CharacterSummary>> {
  return guarded('GenerateCharacterWorkflow', async () => {
    const worldId = worldIdOfTask(task_id);
    const { characterId, plan } = await runTask({
      taskId: task_id,
      step: 'character',
      body: async () => {
        await beginWith(task_id, llm.runLlmStep({ taskId: task_id, step: 'character_detail' }));
        const { characterId } = await services.createCharacter({ taskId: task_id });
        // The character exists: count it (and plan its children) even if a cancel arrives now.
        const [plan] = await recordDone(() =>
          Promise.all([
            progress.planCharacterChildren({ taskId: task_id, characterId }),
            progress.recordOutcome({ worldId, taskId: task_id, outcome: 'character_created' }),
          ]),
        );
        return { characterId, plan };
      },
    });

    const [avatar, posts] = await Promise.allSettled([
      runChild<typeof GenerateCharacterAvatarWorkflow>('GenerateCharacterAvatarWorkflow', TaskTypes.characterAvatar, plan.avatarTaskId),
      plan.postBatchTaskId
        ? runChild<typeof GeneratePostBatchWorkflow>('GeneratePostBatchWorkflow', TaskTypes.postBatch, plan.postBatchTaskId).then((r) => r.data)
        : Promise.resolve<PostBatchSummary | null>(null),
    ]);
    const postSummary = posts.status === 'fulfilled' ? posts.value : null;
    const summary: CharacterSummary = {
      character_id: characterId,
      avatar: avatar.status === 'fulfilled',
      posts_created: postSummary?.posts_created ?? 0,
      posts_failed: postSummary?.posts_failed ?? 0,
    };
    const problems = [avatar, posts].filter((r) => r.status === 'rejected').map((r) => describeFailure((r as PromiseRejectedResult).reason));
    const cancelled = await endCancelledTask(task_id);
    if (cancelled) throw cancelled;
    await closeTaskLogged(task_id, problems.length === 0 ? 'completed' : 'failed', problems.length ? problems.join('; ') : undefined);
    return ok(summary);
  });
}
