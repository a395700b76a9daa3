/**
 * Activities of the `ai-worker-progress` queue: the world's status document and the task
 * documents. Every write here is idempotent — keyed increments, deterministic task ids,
 * monotonic stage transitions — because Temporal may run any of them more than once.
 */
import { taskIds, TaskTypes, type TaskType } from '../domain/task-ids';
import { forecastWorld, planCharacterBatches, postBatchSizes } from '../domain/world-plan';
import type {
  AvatarParams,
  CharacterBatchParams,
  CharacterBatchResult,
  CharacterParams,
  PostBatchParams,
  PostBatchResult,
  PostImageParams,
  PostParams,
  WorldDescriptionParams,
  WorldImageParams,
} from '../domain/task-params';
import { Context } from '@temporalio/activity';
import { translateErrors, PermanentStepError } from '../errors';
import { ErrorTypes } from '../domain/error-types';
import { CANCELLED_REASON } from '../domain/stages';
import type { InitWorldInput } from '../schemas/world-input';
import type { ProgressActivities, WorldState } from './contracts';
import type { ActivityDeps } from './deps';
import { createOutcomeRecorder, taskFinished } from './outcomes';
import { settleWorldCosts } from './settle-costs';
import { extendSummary } from '../prompts';
import { resultOfStep, type GenerationStatus, type StageBatch, type StageMove } from '../repositories';

/**
 * The status document carries the prompt only as a preview: world-service reads that document every 500 ms per
 * open progress stream and never uses the prompt, and prompts may be up to a megabyte. The full prompt lives in the
 * description task's parameters.
 */
export const STATUS_PROMPT_PREVIEW_CHARS = 2000;

export function promptPreview(prompt: string): string {
  const chars = Array.from(prompt); // code points, so a surrogate pair is never cut in half
  return chars.length <= STATUS_PROMPT_PREVIEW_CHARS ? prompt : `${chars.slice(0, STATUS_PROMPT_PREVIEW_CHARS - 1).join('')}…`;
}

/** A post batch's children, created but not yet counted: `counts` are their keyed increments (see `created`). */
interface PlannedPosts {
  postTaskIds: string[];
  nextBatchTaskId: string | null;
  worldId: string;
  counts: { key: string; increments: { tasks_total: number } }[];
}

export function createProgressActivities(deps: ActivityDeps): ProgressActivities {
  const { status, tasks } = deps.repos;
  const outcomes = createOutcomeRecorder(deps.repos);

  /** Creates a task document once and counts it in `tasks_total` once. */
  async function createTask(id: string, type: TaskType, worldId: string, parentId: string | null, parameters: object): Promise<string> {
    await createTaskDoc(id, type, worldId, parentId, parameters);
    await status.applyOnce(worldId, created(id).key, created(id).increments);
    return id;
  }

  /**
   * Creates a task document once, without counting it: the caller counts it with {@link created}'s key in one
   * `applyManyOnce` with the other keys of the same activity (one keyed increment's round trips for all of them).
   */
  async function createTaskDoc(id: string, type: TaskType, worldId: string, parentId: string | null, parameters: object): Promise<string> {
    await tasks.createIfAbsent({ id, type, worldId, parentId, parameters: parameters as Record<string, unknown> });
    return id;
  }

  /** Closes a task as completed or failed and counts it once (one key per task: it ends once, whatever the retries). */
  async function closeTask(taskId: string, outcome: 'completed' | 'failed', error: string | undefined) {
    const task = outcome === 'completed' ? await tasks.complete(taskId) : await tasks.fail(taskId, error ?? 'failed');
    const { key, increments } = taskFinished(taskId, outcome);
    await status.applyOnce(task.world_id, key, increments);
    return task;
  }

  /**
   * The keyed increment that counts a task created (a task ending: outcomes.ts `taskFinished`). The keys are the ones
   * every release used (one per task and event), whether applied alone or in a batch, so older and newer workers
   * agree on them.
   */
  const created = (id: string) => ({ key: `task-created:${id}`, increments: { tasks_total: 1 } });

  async function loadTask<P>(taskId: string) {
    const task = await tasks.require(taskId);
    return { task, params: task.parameters as unknown as P };
  }

  /**
   * The posts of a post batch whose concepts exist, and the next batch. `characterId` is given when the batch was
   * planned before its character existed (planFirstPostBatch); otherwise the batch's parameters hold it.
   */
  async function planPosts(taskId: string, characterId: string | null): Promise<PlannedPosts> {
    const { task, params: stored } = await loadTask<PostBatchParams>(taskId);
    const params: PostBatchParams = characterId === null ? stored : { ...stored, character_id: characterId };
    const batch = resultOfStep<PostBatchResult>(task, 'post_batch');
    const worldId = params.world_id;
    // The posts' tasks are independent documents: created side by side (this activity sits on the critical path,
    // between the character's creation and its posts' start).
    const postTaskIds = await Promise.all(
      batch.concepts.map((concept, i) => {
        const index = params.first_post_index + i;
        const child: PostParams = {
          world_id: worldId,
          character_task_id: params.character_task_id,
          character_id: params.character_id,
          post_index: index,
          concept,
        };
        return createTaskDoc(taskIds.post(params.character_task_id, index), TaskTypes.post, worldId, taskId, child);
      }),
    );
    const sizes = postBatchSizes(params.total_posts);
    const nextIndex = params.batch_index + 1;
    let nextBatchTaskId: string | null = null;
    if (nextIndex < sizes.length) {
      const { conceived_with_character: _first, ...rest } = params;
      const next: PostBatchParams = {
        ...rest,
        batch_index: nextIndex,
        first_post_index: params.first_post_index + params.batch_size,
        batch_size: sizes[nextIndex]!,
        previous_summary: extendSummary(params.previous_summary, batch.summary),
      };
      nextBatchTaskId = await createTaskDoc(taskIds.postBatch(params.character_task_id, nextIndex), TaskTypes.postBatch, worldId, taskId, next);
    }
    const counts = [...postTaskIds, ...(nextBatchTaskId === null ? [] : [nextBatchTaskId])].map(created);
    return { postTaskIds, nextBatchTaskId, worldId, counts };
  }

  /**
   * A character's first post batch, conceived from its concept beside its profile (release 0.3), not yet counted (the
   * caller counts it with {@link created}'s key); null for a character without posts. `start`: created already
   * started (planFirstPostBatch, one hop less before its LLM step). Planned by the character batch it stays `pending`
   * until the character's LLM step begins it, so a cancel before the character starts leaves it pending like the
   * character's own task, not `in_progress` with nothing to close it.
   */
  async function createFirstPostBatch(characterTaskId: string, params: CharacterParams, start: boolean): Promise<string | null> {
    const sizes = postBatchSizes(params.posts_count);
    if (sizes.length === 0) return null;
    const batch: PostBatchParams = {
      world_id: params.world_id,
      character_task_id: characterTaskId,
      // Not created yet: planCharacterFamily hands the id to the posts once it exists.
      character_id: '',
      batch_index: 0,
      batch_count: sizes.length,
      first_post_index: 0,
      batch_size: sizes[0]!,
      total_posts: params.posts_count,
      previous_summary: '',
      conceived_with_character: true,
    };
    const id = await createTaskDoc(taskIds.postBatch(characterTaskId, 0), TaskTypes.postBatch, params.world_id, characterTaskId, batch);
    if (start) await tasks.start(id);
    return id;
  }

  /** Records the world (status document, description task); idempotent, so a re-sent start joins it. */
  async function startWorld(input: InitWorldInput): Promise<{ descriptionTaskId: string }> {
    const worldId = input.world_id;
    const forecast = forecastWorld(input.characters_count, input.posts_count);
    const headroom = deps.config.apiCallLimitHeadroom;
    await status.initialize({
      worldId,
      charactersCount: input.characters_count,
      postsCount: input.posts_count,
      userPrompt: promptPreview(input.world_prompt),
      // The platform sends no limits (spec 12); the original's fixed 100/50 could never fit a
      // default 25×150 world, so an absent limit is sized from the world's own forecast.
      apiCallLimitsLlm: input.api_call_limits_llm ?? Math.ceil(forecast.llmCalls * headroom),
      apiCallLimitsImages: input.api_call_limits_images ?? Math.ceil(forecast.imageCalls * headroom),
      tasksPredicted: forecast.tasks,
      // Fixed at the start (a reservation compares against it): the start's own budget, else the configured one.
      budgetUsd: input.budget_usd ?? deps.config.spend.defaultWorldBudgetUsd,
    });
    // One compare-and-set for both moves. `world_description` is set before the child starts, so it can never
    // overwrite the child's own `completed` (spec 15.6).
    await status.advanceStages(worldId, [
      { stage: 'initializing', status: 'completed' },
      { stage: 'world_description', status: 'in_progress' },
    ]);
    const params: WorldDescriptionParams = {
      world_id: worldId,
      world_name: input.world_name ?? '',
      user_prompt: input.world_prompt,
      characters_count: input.characters_count,
      posts_count: input.posts_count,
    };
    const descriptionTaskId = await createTask(taskIds.worldDescription(worldId), TaskTypes.worldDescription, worldId, null, params);
    return { descriptionTaskId };
  }

  /** Where the world stands (see WorldState); read-only. */
  async function inspectWorld(worldId: string): Promise<WorldState> {
    const doc = await status.get(worldId);
    if (!doc) return { state: 'absent', reason: null };
    const open = doc.stages.some((s) => s.status === 'in_progress');
    // A failed stage never recovers, so a failed world with nothing in progress is settled even if
    // its owner has not written `finishing` yet (an older release never did after a failed description).
    if (doc.status === 'in_progress' || open) return { state: 'running', reason: null };
    return { state: doc.status === 'completed' ? 'completed' : 'failed', reason: doc.error ?? null };
  }

  return {
    startWorld: (input) => translateErrors('startWorld', () => startWorld(input)),

    rejectWorld: ({ worldId, problems }) =>
      translateErrors('rejectWorld', async () => {
        const reason = `invalid input: ${problems.join('; ')}`;
        await status.initialize({
          worldId,
          charactersCount: 0,
          postsCount: 0,
          userPrompt: '',
          apiCallLimitsLlm: 0,
          apiCallLimitsImages: 0,
          tasksPredicted: 0,
        });
        await status.advanceStage(worldId, 'initializing', 'failed', reason);
      }),

    beginTask: (taskId) =>
      translateErrors('beginTask', async () => {
        await tasks.start(taskId);
      }),

    finishTask: ({ taskId, outcome, error }) =>
      translateErrors('finishTask', async () => {
        const task = await closeTask(taskId, outcome, error);
        // The description task closes right after finishWorld: its own ledger entries expire with the world's.
        if (deps.retention && taskId === taskIds.worldDescription(task.world_id)) {
          const doc = await status.get(task.world_id);
          if (doc && doc.status !== 'in_progress' && !doc.stages.some((s) => s.status === 'in_progress')) await deps.retention.markWorldSettled(task.world_id);
        }
      }),

    advanceStage: ({ worldId, stage, status: next, reason }) =>
      translateErrors('advanceStage', async () => {
        await status.advanceStage(worldId, stage, next, reason);
      }),

    recordOutcome: ({ worldId, taskId, outcome, close }) =>
      // The task's work is this outcome (a post created, an avatar set) when `close`: closed in the same activity.
      translateErrors('recordOutcome', () => outcomes.record(worldId, taskId, outcome, close === true)),

    planWorldChildren: ({ taskId }) =>
      translateErrors('planWorldChildren', async () => {
        const { params } = await loadTask<WorldDescriptionParams>(taskId);
        const worldId = params.world_id;
        const imageParams: WorldImageParams = { world_id: worldId };
        const worldImageTaskId = await createTaskDoc(taskIds.worldImage(worldId), TaskTypes.worldImage, worldId, taskId, imageParams);
        const slices = planCharacterBatches(params.characters_count, params.posts_count);
        const first = slices[0];
        if (!first) {
          await status.applyOnce(worldId, created(worldImageTaskId).key, created(worldImageTaskId).increments);
          await status.advanceStage(worldId, 'world_image', 'in_progress');
          return { worldImageTaskId, characterBatchTaskId: null };
        }
        const batch: CharacterBatchParams = {
          world_id: worldId,
          batch_index: 0,
          batch_count: slices.length,
          first_character_index: first.firstCharacterIndex,
          batch_size: first.size,
          posts_for_batch: first.posts,
          characters_count: params.characters_count,
          posts_count: params.posts_count,
          previous_summary: '',
        };
        const characterBatchTaskId = await createTaskDoc(taskIds.characterBatch(worldId, 0), TaskTypes.characterBatch, worldId, taskId, batch);
        // Both tasks counted in one batch of keyed increments, both stages moved in one compare-and-set (the
        // children that move them on start after this activity).
        await status.applyManyOnce(worldId, [created(worldImageTaskId), created(characterBatchTaskId)]);
        await status.advanceStages(worldId, [
          { stage: 'world_image', status: 'in_progress' },
          { stage: 'characters', status: 'in_progress' },
        ]);
        return { worldImageTaskId, characterBatchTaskId };
      }),

    planCharacterBatchChildren: ({ taskId, firstPostBatches }) =>
      translateErrors('planCharacterBatchChildren', async () => {
        const { task, params } = await loadTask<CharacterBatchParams>(taskId);
        const batch = resultOfStep<CharacterBatchResult>(task, 'character_batch');
        const worldId = params.world_id;
        // The characters side by side (each its own documents); with `firstPostBatches` each one's first post batch
        // too, so the character starts conceiving its feed at once instead of after a planFirstPostBatch of its own.
        const planned = await Promise.all(
          batch.concepts.map(async (concept, i) => {
            const index = params.first_character_index + i;
            const child: CharacterParams = { world_id: worldId, character_index: index, batch_task_id: taskId, concept, posts_count: batch.posts[i] ?? 0 };
            const id = await createTaskDoc(taskIds.character(worldId, index), TaskTypes.character, worldId, taskId, child);
            return { id, feed: firstPostBatches === true ? await createFirstPostBatch(id, child, false) : null };
          }),
        );
        const characterTaskIds = planned.map((p) => p.id);
        const feeds = planned.flatMap((p) => (p.feed === null ? [] : [p.feed]));
        const slices = planCharacterBatches(params.characters_count, params.posts_count);
        const nextSlice = slices[params.batch_index + 1];
        let nextBatchTaskId: string | null = null;
        if (nextSlice) {
          const next: CharacterBatchParams = {
            ...params,
            batch_index: nextSlice.batchIndex,
            first_character_index: nextSlice.firstCharacterIndex,
            batch_size: nextSlice.size,
            posts_for_batch: nextSlice.posts,
            previous_summary: extendSummary(params.previous_summary, batch.summary),
          };
          nextBatchTaskId = await createTaskDoc(taskIds.characterBatch(worldId, nextSlice.batchIndex), TaskTypes.characterBatch, worldId, taskId, next);
        }
        await status.applyManyOnce(worldId, [...characterTaskIds, ...feeds, ...(nextBatchTaskId === null ? [] : [nextBatchTaskId])].map(created));
        if (params.batch_index === 0 && params.posts_count > 0) await status.advanceStage(worldId, 'posts', 'in_progress');
        return { characterTaskIds, nextBatchTaskId, ...(firstPostBatches === true ? { firstPostBatchTaskIds: planned.map((p) => p.feed) } : {}) };
      }),

    planCharacterChildren: ({ taskId, characterId }) =>
      translateErrors('planCharacterChildren', async () => {
        const { params } = await loadTask<CharacterParams>(taskId);
        const worldId = params.world_id;
        const avatar: AvatarParams = { world_id: worldId, character_task_id: taskId, character_id: characterId };
        const avatarTaskId = await createTask(taskIds.characterAvatar(taskId), TaskTypes.characterAvatar, worldId, taskId, avatar);
        const sizes = postBatchSizes(params.posts_count);
        let postBatchTaskId: string | null = null;
        if (sizes.length > 0) {
          const batch: PostBatchParams = {
            world_id: worldId,
            character_task_id: taskId,
            character_id: characterId,
            batch_index: 0,
            batch_count: sizes.length,
            first_post_index: 0,
            batch_size: sizes[0]!,
            total_posts: params.posts_count,
            previous_summary: '',
          };
          postBatchTaskId = await createTask(taskIds.postBatch(taskId, 0), TaskTypes.postBatch, worldId, taskId, batch);
        }
        return { avatarTaskId, postBatchTaskId };
      }),

    planPostBatchChildren: ({ taskId }) =>
      translateErrors('planPostBatchChildren', async () => {
        const { postTaskIds, nextBatchTaskId, worldId, counts } = await planPosts(taskId, null);
        await status.applyManyOnce(worldId, counts);
        return { postTaskIds, nextBatchTaskId };
      }),

    planPostImage: ({ taskId }) =>
      translateErrors('planPostImage', async () => {
        const { params } = await loadTask<PostParams>(taskId);
        const child: PostImageParams = {
          world_id: params.world_id,
          character_task_id: params.character_task_id,
          character_id: params.character_id,
          post_task_id: taskId,
        };
        const postImageTaskId = await createTask(taskIds.postImage(taskId), TaskTypes.postImage, params.world_id, taskId, child);
        return { postImageTaskId };
      }),

    planFirstPostBatch: ({ taskId }) =>
      translateErrors('planFirstPostBatch', async () => {
        const { params } = await loadTask<CharacterParams>(taskId);
        const postBatchTaskId = await createFirstPostBatch(taskId, params, true);
        if (postBatchTaskId !== null) await status.applyOnce(params.world_id, created(postBatchTaskId).key, created(postBatchTaskId).increments);
        return { postBatchTaskId };
      }),

    planCharacterFamily: ({ taskId, characterId, postBatchTaskId }) =>
      translateErrors('planCharacterFamily', async () => {
        const { task, params } = await loadTask<CharacterParams>(taskId);
        const worldId = params.world_id;
        const avatar: AvatarParams = { world_id: worldId, character_task_id: taskId, character_id: characterId };
        // The avatar and the posts are independent: planned side by side (this activity is on the critical path).
        const planAvatar = async () => {
          const avatarTaskId = taskIds.characterAvatar(taskId);
          // The avatar's task as stored (the existing one when this is a retry): read by the create, not again.
          const { task: avatarTask } = await tasks.createIfAbsent({ id: avatarTaskId, type: TaskTypes.characterAvatar, worldId, parentId: taskId, parameters: avatar as unknown as Record<string, unknown> });
          // The profile wrote the portrait's final prompt: the avatar's LLM step finds it stored and asks nothing.
          const detail = (task.result as Record<string, unknown> | null)?.character_detail as { avatar_prompt?: unknown } | undefined;
          if (typeof detail?.avatar_prompt === 'string' && detail.avatar_prompt.trim() !== '') {
            if ((avatarTask.result as Record<string, unknown> | null)?.avatar_prompt == null) {
              await tasks.saveStepResult(avatarTaskId, 'avatar_prompt', { prompt: detail.avatar_prompt });
            }
            // Started here, as planFirstPostBatch starts its batch: the avatar's first step (which would only mark it
            // started and find the prompt) is skipped. A finished task stays as it is (TaskRepository.start).
            await tasks.start(avatarTaskId);
            return { avatarTaskId, avatarReady: true };
          }
          return { avatarTaskId, avatarReady: false };
        };
        const planFeed = async () => {
          if (!postBatchTaskId) return { postTaskIds: [], nextBatchTaskId: null, counts: [] };
          const { postTaskIds, nextBatchTaskId, counts } = await planPosts(postBatchTaskId, characterId);
          // The batch's work (its concepts) is done; its posts report for themselves.
          await tasks.complete(postBatchTaskId);
          return { postTaskIds, nextBatchTaskId, counts: [...counts, taskFinished(postBatchTaskId)] };
        };
        const [avatarPlan, { counts, ...planned }] = await Promise.all([planAvatar(), planFeed()]);
        // Every task created here and the post batch's close, in one batch of keyed increments.
        await status.applyManyOnce(worldId, [created(avatarPlan.avatarTaskId), ...counts]);
        return { ...avatarPlan, ...planned };
      }),

    finishWorld: ({ worldId, failure, cancelled, closeTaskId }) =>
      translateErrors('finishWorld', async () => {
        const known = await status.get(worldId);
        if (!known) throw new PermanentStepError(`no generation status for world ${worldId}`, ErrorTypes.missingData);
        // Money paid by attempts that were never retried (a cancel, a step out of attempts) is counted before the
        // world is summed up: stored answers whose cost never landed, renders Runware billed but never delivered.
        // A world whose every reservation has its cost applied reads nothing more (settle-costs.ts nothingToSettle).
        await settleWorldCosts(deps, worldId, Context.current().cancellationSignal, known);
        // Every move below, and the world's own reason, in one compare-and-set of the status document (decided on
        // the revision it writes); the sweep above changes costs only, never what this decides on.
        const final = await status.advanceStages(worldId, (doc) => finishingBatch(doc, cancelled === true ? CANCELLED_REASON : failure, cancelled === true));
        const summary = final.stages
          .filter((s) => s.status === 'failed')
          .map((s) => `${s.name}: ${s.reason ?? 'failed'}`)
          .join('; ');
        const worldStatus = final.status === 'completed' ? 'completed' : 'failed';
        // Only a document that had a stage failed without an error (an older release) gets here with none.
        if (worldStatus === 'failed' && (final.error ?? null) === null) await status.recordError(worldId, summary || 'world generation failed');
        if (closeTaskId !== undefined) {
          // The orchestrator's own task closes here rather than in a finishTask activity after this one (one hop
          // less on the world's end); as the workflow closed it: completed, or failed with the world's summary
          // (a cancelled world: `cancelled`).
          await (worldStatus === 'completed'
            ? closeTask(closeTaskId, 'completed', undefined)
            : closeTask(closeTaskId, 'failed', cancelled === true ? CANCELLED_REASON : summary || 'world generation failed'));
        }
        // Settled: the records kept only for exactness and retries now expire after the retention period (after
        // the task's close, so its own entries are stamped too).
        await deps.retention?.markWorldSettled(worldId);
        return { status: worldStatus, summary: summary || 'all characters, avatars and posts created' };
      }),

    inspectWorld: ({ worldId }) => translateErrors('inspectWorld', () => inspectWorld(worldId)),

    openWorld: (input) =>
      translateErrors('openWorld', async () => {
        const world = await inspectWorld(input.world_id);
        // A settled world is left exactly as it is (a re-sent start changes nothing); any other is started, which is
        // idempotent for one that runs (initialize keeps the document, stage moves are forward only).
        if (world.state === 'completed' || world.state === 'failed') return { world, descriptionTaskId: null };
        const { descriptionTaskId } = await startWorld(input);
        return { world, descriptionTaskId };
      }),
  };

  /**
   * What finishWorld writes, decided on the document it writes: the world's own reason first (so it is the `error`
   * world-service shows) when the world is not complete — a complete world stays completed even if a cancel (or a
   * late planning error) came with the call —, then every stage left open settled, and `finishing` last.
   */
  function finishingBatch(doc: GenerationStatus, reason: string | undefined, cancelled: boolean): StageBatch {
    const stageOf = (name: string) => doc.stages.find((s) => s.name === name)?.status;
    const avatars = doc.avatars_created ?? 0;
    const fails =
      doc.stages.some((s) => s.status === 'failed') ||
      stageOf('initializing') !== 'completed' ||
      stageOf('world_description') !== 'completed' ||
      stageOf('world_image') !== 'completed' ||
      doc.users_created < doc.users_predicted ||
      avatars < doc.users_predicted ||
      doc.posts_created < doc.posts_predicted;
    const error = doc.error ?? (fails && reason ? reason : null);
    const cause = error ? ` (${error})` : '';
    const moves: StageMove[] = [];
    // Only a cancel or a failure before the children leaves these unsettled; nothing may stay open.
    if (stageOf('initializing') !== 'completed') moves.push({ stage: 'initializing', status: 'failed', reason: `world was not initialized${cause}` });
    if (stageOf('world_description') !== 'completed') {
      moves.push({ stage: 'world_description', status: 'failed', reason: `world description was not written${cause}` });
    }
    if (stageOf('world_image') !== 'completed') moves.push({ stage: 'world_image', status: 'failed', reason: `world images were not created${cause}` });
    if (doc.users_created < doc.users_predicted || avatars < doc.users_predicted) {
      // Characters whose creation character-service cannot confirm are named: they may exist there.
      const ambiguous = doc.characters_ambiguous ?? 0;
      const unconfirmed = ambiguous > 0 ? `, ${ambiguous} may have been created but could not be confirmed (not created again)` : '';
      moves.push({
        stage: 'characters',
        status: 'failed',
        reason: `${doc.users_created} of ${doc.users_predicted} characters and ${avatars} avatars created${unconfirmed}${cause}`,
      });
    } else {
      moves.push({ stage: 'characters', status: 'completed' });
    }
    if (doc.posts_created < doc.posts_predicted) {
      const failed = doc.posts_failed ?? 0;
      moves.push({ stage: 'posts', status: 'failed', reason: `${doc.posts_created} of ${doc.posts_predicted} posts created, ${failed} failed${cause}` });
    } else {
      moves.push({ stage: 'posts', status: 'completed' });
    }
    moves.push(cancelled && fails ? { stage: 'finishing', status: 'failed', reason: CANCELLED_REASON } : { stage: 'finishing', status: 'completed' });
    return { error: fails && reason ? reason : null, moves };
  }
}
