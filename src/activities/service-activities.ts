/**
 * The `ai-worker-services` queue: calls to world-, character- and post-service.
 *
 * Creating a character or a post is not idempotent, and the Go services ignore the `idempotency-key` header (it
 * is still sent: harmless today, and what a future service could honour). So each creation goes through
 * {@link createExactlyOnce}: its request is fixed on the first attempt, and an attempt that finds an earlier call
 * may have committed reconciles through the service's own read RPCs before sending again —
 *  - a post by paging GetCharacterPosts for its media id (unique per post);
 *  - a character cannot be found again: character-service's only listing, GetUserCharactersInWorld, filters on
 *    `real_user_id = $1`, which is NULL for AI characters, and GetCharacter needs the id the lost response carried.
 *    Such a character is recorded as ambiguous (side_effects, `characters_ambiguous`, the world's error) and fails
 *    for good; it is never created a second time. Its `meta` carries the creation key, so it can be identified in
 *    character-service's table.
 * What is sent is first made to fit the services (domain/character-normalization.ts, domain/service-limits.ts).
 */
import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { idempotencyHeaders } from '../clients/service-clients';
import { characterCreation, normalizeCharacterDetail, usernameCandidates, usernameKey } from '../domain/character-normalization';
import { storablePost } from '../domain/service-limits';
import type { AvatarParams, CharacterParams, PostImageParams, WorldDescriptionParams } from '../domain/task-params';
import { worldIdOfTask } from '../domain/task-ids';
import { chooseWorldName } from '../domain/world-name';
import { PermanentStepError, translateErrors } from '../errors';
import type { CharacterDetail, PostDetail, WorldDescription } from '../schemas/llm';
import { ErrorTypes } from '../domain/error-types';
import type { CreationRecord } from '../repositories';
import type { ProgressActivities, ServiceActivities } from './contracts';
import type { ActivityDeps } from './deps';
import { createExactlyOnce, SETTLE_MARGIN_MS } from './exactly-once-creation';
import { createOutcomeRecorder } from './outcomes';
import { findPostByMedia } from './reconcile-posts';

interface CharacterRequest extends Record<string, unknown> {
  worldId: string;
  displayName: string;
  meta: string;
}

interface PostRequest extends Record<string, unknown> {
  characterId: string;
  worldId: string;
  caption: string;
  tags: string[];
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** What the service activities run of the progress group's code (activities/index.ts passes the progress activities). */
export type ServicePlanning = Pick<ProgressActivities, 'planCharacterFamily'>;

export function createServiceActivities(deps: ActivityDeps, planning: ServicePlanning): ServiceActivities {
  const { tasks, sideEffects, worldParams, status } = deps.repos;
  const { character, post, world } = deps.services;
  const deadlineMs = deps.config.services.deadlineMs;
  const outcomes = createOutcomeRecorder(deps.repos);
  /**
   * Orders attempts across retries *and* across executions (a new run of the step starts again at attempt 1): when
   * this attempt was scheduled, then its number. A zombie attempt always orders before the one that replaced it.
   */
  const attemptNow = () => {
    const info = activityInfo();
    return info.currentAttemptScheduledTimestampMs * 1000 + Math.min(info.attempt, 999);
  };

  /** The first of the character's username candidates no other character of the world holds. */
  async function claimUsername(worldId: string, taskId: string, username: string, characterIndex: number): Promise<string> {
    for (const candidate of usernameCandidates(username, characterIndex)) {
      if (await sideEffects.claimName(`username:${worldId}`, usernameKey(candidate), taskId, worldId)) return candidate;
    }
    throw new PermanentStepError(`no free username near "${username}" in world ${worldId}`, ErrorTypes.invalidModelOutput);
  }

  /** Records a character that may exist but cannot be found, once; always throws the non-retryable failure. */
  async function characterAmbiguous(record: CreationRecord, taskId: string, why: string): Promise<never> {
    const reason =
      record.reason ??
      `character ${taskId}: CreateCharacter may have created it (${why}), and character-service offers no read-back ` +
        `that could confirm it, so it was not created again (creation_key ${record._id} in its meta)`;
    await sideEffects.markAmbiguous(record._id, reason);
    await status.applyOnce(record.world_id, `outcome:character-ambiguous:${taskId}`, { characters_ambiguous: 1 });
    await status.recordError(record.world_id, reason);
    throw new PermanentStepError(reason, ErrorTypes.ambiguousCreation);
  }

  /** CreateCharacter exactly once (see the file comment); the character's id. */
  async function createCharacterOnce(taskId: string): Promise<{ characterId: string }> {
    const key = `create-character:${taskId}`;
    let record = await sideEffects.getCreation(key);
    if (!record) {
      const task = await tasks.require(taskId);
      const p = task.parameters as unknown as CharacterParams;
      const detail = await tasks.requireStepResult<CharacterDetail>(taskId, 'character_detail');
      const normalized = normalizeCharacterDetail(detail, p.character_index);
      const username = await claimUsername(task.world_id, taskId, normalized.username, p.character_index);
      const creation = characterCreation(normalized, username, key);
      const request: CharacterRequest = { worldId: task.world_id, displayName: creation.displayName, meta: creation.meta };
      record = await sideEffects.openCreation(key, { worldId: task.world_id, kind: 'character', request });
    }
    const request = record.request as CharacterRequest;
    const { characterId } = await createExactlyOnce<{ characterId: string }>(sideEffects, record, {
      key,
      attempt: attemptNow(),
      deadlineMs,
      // No read RPC can find an AI character without its id: an earlier send that may have committed is final.
      reconcile: (r) => characterAmbiguous(r, taskId, 'an earlier attempt sent it and never learned the outcome'),
      send: async () => {
        const created = await character.createCharacter(
          { worldId: request.worldId, displayName: request.displayName, meta: request.meta },
          idempotencyHeaders(key),
        );
        if (!created.id) throw new PermanentStepError('character-service returned an empty character id', ErrorTypes.upstreamRejected);
        return { characterId: created.id };
      },
      onAmbiguous: (err, r) => characterAmbiguous(r, taskId, `response lost: ${describe(err)}`),
      onKnownAmbiguous: (r) => characterAmbiguous(r, taskId, 'recorded earlier'),
    });
    return { characterId: String(characterId) };
  }

  return {
    publishWorldParams: ({ taskId }) =>
      translateErrors('UpdateWorldParams', async () => {
        const task = await tasks.require(taskId);
        const p = task.parameters as unknown as WorldDescriptionParams;
        const stored = await worldParams.require(p.world_id);
        const description = stored.params as unknown as WorldDescription;
        await world.updateWorldParams({
          worldId: p.world_id,
          params: JSON.stringify(description),
          // A name the user chose wins; an empty one or the frontend's "Generated World" gives way to the generated name.
          name: chooseWorldName(p.world_name, description.name),
          usersCount: p.characters_count,
          postsCount: p.posts_count,
        });
      }),

    publishWorldImages: ({ taskId, headerMediaId, iconMediaId, settle }) =>
      translateErrors('UpdateWorldImage', async () => {
        const task = await tasks.require(taskId);
        const res = await world.updateWorldImage({ worldId: task.world_id, imageUuid: headerMediaId, iconUuid: iconMediaId });
        if (!res.success) throw new PermanentStepError(`world-service refused the images: ${res.message}`, ErrorTypes.upstreamRejected);
        // Published: a retry after a failed write publishes the same ids again (harmless) and closes the task once.
        if (settle === true) {
          await Promise.all([status.advanceStage(task.world_id, 'world_image', 'completed'), outcomes.complete(task.world_id, taskId)]);
        }
      }),

    createCharacter: ({ taskId }) => translateErrors('CreateCharacter', () => createCharacterOnce(taskId)),

    createCharacterWithFamily: ({ taskId, postBatchTaskId }) =>
      translateErrors('CreateCharacter', async () => {
        const { characterId } = await createCharacterOnce(taskId);
        // The character exists: a retry after a failed plan or count finds the creation done (no second
        // CreateCharacter); planning is idempotent (tasks created if absent) and the count keyed by the task.
        const [plan] = await Promise.all([
          planning.planCharacterFamily({ taskId, characterId, postBatchTaskId }),
          outcomes.record(worldIdOfTask(taskId), taskId, 'character_created', false),
        ]);
        return { characterId, plan };
      }),

    setCharacterAvatar: ({ taskId, mediaId, countAndClose }) =>
      translateErrors('UpdateCharacter', async () => {
        const task = await tasks.require(taskId);
        const p = task.parameters as unknown as AvatarParams;
        // Setting the same avatar twice is harmless, so no ledger entry is needed here.
        await character.updateCharacter({ characterId: p.character_id, avatarMediaId: mediaId }, idempotencyHeaders(`update-character:${taskId}`));
        // The avatar is set: a retry after a failed count sets it again (harmless) and counts it once (keyed).
        if (countAndClose === true) await outcomes.record(task.world_id, taskId, 'avatar_created', true);
      }),

    createPost: ({ taskId, mediaId, countAndClose }) =>
      translateErrors('CreateAIPost', async () => {
        const task = await tasks.require(taskId);
        const p = task.parameters as unknown as PostImageParams;
        // An image task names its post; a post task that makes its own picture (release 0.3) is the post.
        const postTaskId = p.post_task_id ?? taskId;
        const key = `create-post:${postTaskId}`;
        let record = await sideEffects.getCreation(key);
        if (!record) {
          const detail = await tasks.requireStepResult<PostDetail>(postTaskId, 'post_detail');
          const { caption, tags } = storablePost({ caption: detail.content, tags: detail.hashtags });
          const request: PostRequest = { characterId: p.character_id, worldId: task.world_id, caption, tags };
          record = await sideEffects.openCreation(key, { worldId: task.world_id, kind: 'post', request });
        }
        const request = record.request as PostRequest;
        const { postId } = await createExactlyOnce<{ postId: string }>(sideEffects, record, {
          key,
          attempt: attemptNow(),
          deadlineMs,
          matchKey: mediaId,
          reconcile: async (r) => {
            const search = await findPostByMedia(post, request.characterId, r.match_keys ?? []);
            if (search.kind === 'found') return { found: { postId: search.postId } };
            if (search.kind === 'absent') return 'absent';
            // Retryable: post-service leaves media_url empty when media-service fails; a later read may see it.
            throw ApplicationFailure.create({
              message: `${key}: ${search.unreadable} of ${search.scanned} posts of character ${request.characterId} came without a media_url; cannot rule out that the lost CreateAIPost created one`,
              type: 'ReconciliationInconclusive',
              nonRetryable: false,
            });
          },
          send: async () => {
            const created = await post.createAIPost({ ...request, mediaId }, idempotencyHeaders(key));
            if (!created.postId) throw new PermanentStepError('post-service returned an empty post id', ErrorTypes.upstreamRejected);
            return { postId: created.postId };
          },
          // The next attempt reconciles; it starts once this call must be over on the server too.
          onAmbiguous: async (err) =>
            ApplicationFailure.create({
              message: `CreateAIPost: outcome unknown (${describe(err)}); the next attempt looks for the post before creating it`,
              type: 'ServiceUnavailable',
              nonRetryable: false,
              nextRetryDelay: deadlineMs + SETTLE_MARGIN_MS,
              cause: err instanceof Error ? err : undefined,
            }),
          onKnownAmbiguous: async (r) => new PermanentStepError(r.reason ?? `${key} is ambiguous`, ErrorTypes.ambiguousCreation),
        });
        // The post exists: a retry after a failed count finds the creation done (no second CreateAIPost) and counts
        // it once (keyed by the post's task).
        if (countAndClose === true) await outcomes.record(task.world_id, taskId, 'post_created', true);
        return { postId: String(postId) };
      }),
  };
}
