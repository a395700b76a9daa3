/**
 * The `ai-worker-services` queue: calls to world-, character- and post-service.
 *
 * Creating a character or a post is not naturally idempotent (spec 15.9), so each creation carries
 * an idempotency key derived from the task id (world + position in the tree) as request metadata,
 * and its result is recorded in `side_effects`: a retried step returns the first result without
 * calling again, and a retry after a lost response sends the same key so the service can
 * recognise it.
 */
import { idempotencyHeaders } from '../clients/service-clients';
import type { AvatarParams, PostImageParams, WorldDescriptionParams } from '../domain/task-params';
import { PermanentStepError, translateErrors } from '../errors';
import type { CharacterDetail, PostDetail, WorldDescription } from '../schemas/llm';
import { ErrorTypes } from '../domain/error-types';
import type { ServiceActivities } from './contracts';
import type { ActivityDeps } from './deps';

export function createServiceActivities(deps: ActivityDeps): ServiceActivities {
  const { tasks, sideEffects, worldParams } = deps.repos;
  const { character, post, world } = deps.services;

  /** Runs `create` once per key: the recorded result wins over a second call. */
  async function once<T extends Record<string, unknown>>(key: string, worldId: string, kind: string, create: () => Promise<T>): Promise<T> {
    const known = await sideEffects.find(key);
    if (known) return known as T;
    const result = await create();
    return (await sideEffects.remember(key, { worldId, kind, result })) as T;
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
          // The user's chosen name wins; the generated one is used only when the user gave none
          // (the original silently overwrote it, spec 15.29).
          name: p.world_name.trim() !== '' ? p.world_name.trim().slice(0, 100) : description.name,
          usersCount: p.characters_count,
          postsCount: p.posts_count,
        });
      }),

    publishWorldImages: ({ taskId, headerMediaId, iconMediaId }) =>
      translateErrors('UpdateWorldImage', async () => {
        const task = await tasks.require(taskId);
        const res = await world.updateWorldImage({ worldId: task.world_id, imageUuid: headerMediaId, iconUuid: iconMediaId });
        if (!res.success) throw new PermanentStepError(`world-service refused the images: ${res.message}`, ErrorTypes.upstreamRejected);
      }),

    createCharacter: ({ taskId }) =>
      translateErrors('CreateCharacter', async () => {
        const task = await tasks.require(taskId);
        const detail = await tasks.requireStepResult<CharacterDetail>(taskId, 'character_detail');
        const key = `create-character:${taskId}`;
        const { characterId } = await once(key, task.world_id, 'character', async () => {
          const created = await character.createCharacter(
            { worldId: task.world_id, displayName: detail.display_name, meta: JSON.stringify(detail) },
            idempotencyHeaders(key),
          );
          if (!created.id) throw new Error('character-service returned an empty character id');
          return { characterId: created.id };
        });
        return { characterId: String(characterId) };
      }),

    setCharacterAvatar: ({ taskId, mediaId }) =>
      translateErrors('UpdateCharacter', async () => {
        const task = await tasks.require(taskId);
        const p = task.parameters as unknown as AvatarParams;
        // Setting the same avatar twice is harmless, so no ledger entry is needed here.
        await character.updateCharacter({ characterId: p.character_id, avatarMediaId: mediaId }, idempotencyHeaders(`update-character:${taskId}`));
      }),

    createPost: ({ taskId, mediaId }) =>
      translateErrors('CreateAIPost', async () => {
        const task = await tasks.require(taskId);
        const p = task.parameters as unknown as PostImageParams;
        const detail = await tasks.requireStepResult<PostDetail>(p.post_task_id, 'post_detail');
        const key = `create-post:${p.post_task_id}`;
        const { postId } = await once(key, task.world_id, 'post', async () => {
          const created = await post.createAIPost(
            { characterId: p.character_id, caption: detail.content, mediaId, worldId: task.world_id, tags: detail.hashtags },
            idempotencyHeaders(key),
          );
          if (!created.postId) throw new Error('post-service returned an empty post id');
          return { postId: created.postId };
        });
        return { postId: String(postId) };
      }),
  };
}
