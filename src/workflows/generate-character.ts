/**
 * GenerateCharacterWorkflow — expands one concept into a full profile (the concept itself reaches
 * the prompt, fixing spec 15.24), creates the character once (idempotent), then runs the avatar
 * and the character's posts in parallel and waits for both.
 *
 * Since release 0.3 (`posts-from-concept`) the first batch of post concepts is conceived from the character's concept
 * while the profile is written, and the character starts that batch's posts itself as soon as it exists: the feed no
 * longer waits for the profile, and the first batch needs no workflow of its own. Characters that started under the
 * release before keep their path (a GeneratePostBatchWorkflow child after the character exists).
 */
import { patched } from '@temporalio/workflow';
import { TaskTypes, worldIdOfTask } from '../domain/task-ids';
import type { GenerateCharacterAvatarWorkflow } from './generate-character-avatar';
import type { GeneratePostBatchWorkflow, PostBatchSummary } from './generate-post-batch';
import type { GeneratePostWorkflow } from './generate-post';
import { Patches } from './patches';
import { makeAvatar } from './avatar-steps';
import { runPosts } from './post-steps';
import { closeTaskLogged, endCancelledTask, recordDone, runTask } from './run-task';
import { askedAtStart, beginLlmStep, closeTask, describeFailure, guarded, llm, ok, progress, runChild, services, settledValues, type TaskRef, type WorkflowResult } from './support';

export interface CharacterSummary {
  character_id: string;
  avatar: boolean;
  posts_created: number;
  posts_failed: number;
}

/**
 * A character's input. `first_post_batch_task_id` (since `batch-plans-first-post-batches`): its batch already created
 * its first post batch, pending until the feed's LLM step begins it (null: it has no posts), so it conceives its feed
 * at once; absent, it plans the batch itself (planFirstPostBatch), as characters started before did.
 */
export interface CharacterRef extends TaskRef {
  first_post_batch_task_id?: string | null;
}

export async function GenerateCharacterWorkflow({ task_id, first_post_batch_task_id }: CharacterRef): Promise<WorkflowResult<CharacterSummary>> {
  return guarded('GenerateCharacterWorkflow', async () =>
    patched(Patches.postsFromConcept) ? characterWithFeed(task_id, first_post_batch_task_id) : characterThenFeed(task_id),
  );
}

/** Release 0.3: profile and first post concepts side by side; the character starts the first batch's posts. */
async function characterWithFeed(task_id: string, plannedFeed: string | null | undefined): Promise<WorkflowResult<CharacterSummary>> {
  const worldId = worldIdOfTask(task_id);
  const changes = askedAtStart('characterCallPlansFamily', 'serviceCallCountsOutcome', 'avatarPromptPlanned');
  // The first batch's task while it is open (conceived but its posts not yet planned): a failure of the character
  // closes it, so no task is left in progress.
  let openBatch: string | null = null;
  let batchProblem: string | null = null;
  const { characterId, plan } = await runTask({
    taskId: task_id,
    step: 'character',
    body: async () => {
      const [detail, feed] = await Promise.allSettled([
        beginLlmStep(task_id, 'character_detail'),
        conceiveFirstBatch(task_id, plannedFeed),
      ]);
      if (feed.status === 'fulfilled') {
        openBatch = feed.value.ok ? feed.value.postBatchTaskId : null;
        batchProblem = feed.value.problem;
      }
      if (detail.status === 'rejected') throw detail.reason;
      if (feed.status === 'rejected') throw feed.reason;
      if (changes.characterCallPlansFamily) {
        // Created, planned and counted in one activity. In the cancellable scope, as the create was: a cancel before
        // it is scheduled creates nothing; one while it runs waits for it (WAIT_CANCELLATION_COMPLETED).
        const made = await services.createCharacterWithFamily({ taskId: task_id, postBatchTaskId: openBatch });
        openBatch = null;
        return made;
      }
      const { characterId } = await services.createCharacter({ taskId: task_id });
      // The character exists: count it (and plan its children) even if a cancel arrives now.
      const [plan] = await recordDone(() =>
        Promise.all([
          progress.planCharacterFamily({ taskId: task_id, characterId, postBatchTaskId: openBatch }),
          progress.recordOutcome({ worldId, taskId: task_id, outcome: 'character_created' }),
        ]),
      );
      openBatch = null;
      return { characterId, plan };
    },
    beforeClose: ({ reason }) => {
      const batch = openBatch;
      return batch ? [{ name: 'finishPostBatch', run: () => closeTask(batch, 'failed', `the character was not created: ${reason}`) }] : [];
    },
  });

  // Since `posts-inline` the avatar and the first batch's posts run in this workflow's own history, all at once: no
  // child starts (which the server records one after another), no first workflow task per child, no close back.
  const inline = patched(Patches.postsInline);
  const avatar: Promise<unknown> = inline
    ? makeAvatar(plan.avatarTaskId, { ready: changes.avatarPromptPlanned && plan.avatarReady === true, countsOutcome: changes.serviceCallCountsOutcome })
    : runChild<typeof GenerateCharacterAvatarWorkflow>('GenerateCharacterAvatarWorkflow', TaskTypes.characterAvatar, plan.avatarTaskId);
  const posts = inline ? runPosts(plan.postTaskIds, changes.serviceCallCountsOutcome) : plan.postTaskIds.map((id) => runChild<typeof GeneratePostWorkflow>('GeneratePostWorkflow', TaskTypes.post, id));
  const next = plan.nextBatchTaskId
    ? runChild<typeof GeneratePostBatchWorkflow>('GeneratePostBatchWorkflow', TaskTypes.postBatch, plan.nextBatchTaskId).then((r) => r.data)
    : Promise.resolve<PostBatchSummary | null>(null);
  const [avatarResult, own, later] = await Promise.all([
    Promise.allSettled([avatar]).then(([r]) => r!),
    Promise.allSettled(posts).then(settledValues),
    Promise.allSettled([next]).then(([r]) => r!),
  ]);
  const laterSummary = later.status === 'fulfilled' ? later.value : null;
  const summary: CharacterSummary = {
    character_id: characterId,
    avatar: avatarResult.status === 'fulfilled',
    posts_created: own.values.length + (laterSummary?.posts_created ?? 0),
    posts_failed: own.failures.length + (laterSummary?.posts_failed ?? 0),
  };
  const problems = [avatarResult, later].filter((r) => r.status === 'rejected').map((r) => describeFailure((r as PromiseRejectedResult).reason));
  if (batchProblem !== null) problems.unshift(batchProblem);
  const cancelled = await endCancelledTask(task_id);
  if (cancelled) throw cancelled;
  await closeTaskLogged(task_id, problems.length === 0 ? 'completed' : 'failed', problems.length ? problems.join('; ') : undefined);
  return ok(summary);
}

/**
 * Plans the first post batch and conceives its posts from the character's concept. A batch that fails is closed as
 * failed by its own clean-up and reported as a problem of the character (the character itself still stands); a
 * cancel is passed on.
 */
async function conceiveFirstBatch(
  characterTaskId: string,
  planned: string | null | undefined,
): Promise<{ postBatchTaskId: string | null; ok: boolean; problem: string | null }> {
  const postBatchTaskId = planned !== undefined ? planned : (await progress.planFirstPostBatch({ taskId: characterTaskId })).postBatchTaskId;
  if (!postBatchTaskId) return { postBatchTaskId: null, ok: true, problem: null };
  try {
    // A batch the character batch planned is still pending: its LLM step begins it (planFirstPostBatch started its own).
    const begin = planned !== undefined;
    await runTask({ taskId: postBatchTaskId, step: 'post batch', body: () => llm.runLlmStep({ taskId: postBatchTaskId, step: 'post_batch', ...(begin ? { begin } : {}) }) });
    return { postBatchTaskId, ok: true, problem: null };
  } catch (err) {
    return { postBatchTaskId, ok: false, problem: describeFailure(err) };
  }
}

/** The release before: profile, character, then avatar and a GeneratePostBatchWorkflow child. */
async function characterThenFeed(task_id: string): Promise<WorkflowResult<CharacterSummary>> {
  const worldId = worldIdOfTask(task_id);
  const { characterId, plan } = await runTask({
    taskId: task_id,
    step: 'character',
    body: async () => {
      await beginLlmStep(task_id, 'character_detail');
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
}
