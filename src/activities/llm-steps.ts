/**
 * What each LLM step asks and what it keeps. A handler gathers its context from MongoDB (the
 * world, the character, the post), asks through `runtime.request` (which enforces limits and
 * records cost), and returns the value stored under `task.result[step]`.
 */
import type * as v from 'valibot';
import type { LlmStep } from '../domain/steps';
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
} from '../domain/task-params';
import { allocateByWeight } from '../domain/world-plan';
import { PermanentStepError } from '../errors';
import {
  buildAvatarPrompt,
  buildCharacterBatchPrompt,
  buildCharacterDetailPrompt,
  buildPostBatchPrompt,
  buildPostDetailPrompt,
  buildPostImagePrompt,
  buildWorldDescriptionPrompt,
  buildWorldImagePrompt,
  summarizeCharacters,
  summarizePosts,
} from '../prompts';
import { LLM_SCHEMAS, type CharacterConcept, type CharacterDetail, type PostConcept, type PostDetail, type WorldDescription } from '../schemas/llm';
import { ErrorTypes } from '../domain/error-types';
import type { ActivityDeps } from './deps';

type Messages = { role: 'system' | 'user' | 'assistant'; content: string }[];

export interface LlmRequest<S extends v.GenericSchema> {
  schema: S;
  messages: Messages;
}

export interface StepRuntime {
  request<S extends v.GenericSchema>(req: LlmRequest<S>): Promise<{ value: v.InferOutput<S>; requests: number }>;
}

type TaskDoc = Awaited<ReturnType<ActivityDeps['repos']['tasks']['require']>>;
interface StepInput {
  deps: ActivityDeps;
  task: TaskDoc;
  runtime: StepRuntime;
}

/**
 * How many extra requests a batch step may make for items the model left out. Bounded, so a
 * model that keeps under-delivering fails the step instead of looping or padding with clones.
 */
export const MAX_TOP_UP_REQUESTS = 2;

const params = <P>(task: TaskDoc) => task.parameters as unknown as P;
const messagesOf = (p: { system: string; user: string }): Messages => [
  { role: 'system', content: p.system },
  { role: 'user', content: p.user },
];

async function loadWorld(deps: ActivityDeps, worldId: string): Promise<WorldDescription> {
  const stored = await deps.repos.worldParams.require(worldId);
  return stored.params as unknown as WorldDescription;
}

const normalize = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

/**
 * Asks for `wanted` items, then — only for the ones missing or duplicated — asks again, telling the
 * model what it already has. Never clones items to fill the count (spec 15.28).
 */
async function collectDistinct<T>(
  wanted: number,
  ask: (missing: number, accepted: T[]) => Promise<{ items: T[]; extra?: string }>,
  identity: (item: T) => string,
  what: string,
): Promise<{ items: T[]; extras: string[]; requests: number }> {
  const accepted: T[] = [];
  const seen = new Set<string>();
  const extras: string[] = [];
  let requests = 0;
  for (let round = 0; round <= MAX_TOP_UP_REQUESTS && accepted.length < wanted; round++) {
    const { items, extra } = await ask(wanted - accepted.length, accepted);
    requests += 1;
    if (extra) extras.push(extra);
    for (const item of items) {
      const id = normalize(identity(item));
      if (accepted.length >= wanted || id === '' || seen.has(id)) continue;
      seen.add(id);
      accepted.push(item);
    }
  }
  if (accepted.length < wanted) {
    throw new PermanentStepError(
      `the model produced only ${accepted.length} distinct ${what} of ${wanted} after ${requests} requests`,
      ErrorTypes.insufficientModelOutput,
    );
  }
  return { items: accepted, extras, requests };
}

export const STEP_HANDLERS: Record<LlmStep, (input: StepInput) => Promise<unknown>> = {
  async world_description({ deps, task, runtime }) {
    const p = params<WorldDescriptionParams>(task);
    const { value } = await runtime.request({
      schema: LLM_SCHEMAS.world_description.schema,
      messages: messagesOf(buildWorldDescriptionPrompt({ userPrompt: p.user_prompt })),
    });
    const world = value as WorldDescription;
    await deps.repos.worldParams.save(p.world_id, world as unknown as Record<string, unknown>);
    return { name: world.name, language: world.user_preferences.language };
  },

  async world_image_prompts({ deps, task, runtime }) {
    const world = await loadWorld(deps, task.world_id);
    const { value } = await runtime.request({ schema: LLM_SCHEMAS.world_image_prompts.schema, messages: messagesOf(buildWorldImagePrompt({ world })) });
    return value;
  },

  async character_batch({ deps, task, runtime }) {
    const p = params<CharacterBatchParams>(task);
    const world = await loadWorld(deps, task.world_id);
    const alreadyGenerated = p.first_character_index;
    const { items, extras, requests } = await collectDistinct<CharacterConcept>(
      p.batch_size,
      async (missing, accepted) => {
        const prompt = buildCharacterBatchPrompt({
          world,
          batchSize: missing,
          postsForBatch: p.posts_for_batch,
          batchIndex: p.batch_index,
          totalCharacters: p.characters_count,
          alreadyGenerated: alreadyGenerated + accepted.length,
          futureCount: p.characters_count - alreadyGenerated - p.batch_size,
          previousSummary: p.previous_summary,
          existingConcepts: accepted.map((c) => c.concept_short),
        });
        const { value } = await runtime.request({ schema: LLM_SCHEMAS.character_batch.schema, messages: messagesOf(prompt) });
        return { items: value.characters as CharacterConcept[], extra: value.generated_characters_description ?? '' };
      },
      (c) => c.concept_short || c.concept,
      'characters',
    );
    // The model's numbers are weights; the batch's share of posts is fixed, so the split always sums
    // to it and the world's total is exactly posts_count.
    const posts = allocateByWeight(p.posts_for_batch, items.map((c) => c.posts_count));
    const overview = extras.filter((e) => e.trim() !== '').join('\n');
    const summary = [summarizeCharacters(items), overview].filter((s) => s !== '').join('\n');
    const result: CharacterBatchResult = { concepts: items, posts, summary, requests };
    return result;
  },

  async character_detail({ deps, task, runtime }) {
    const p = params<CharacterParams>(task);
    const world = await loadWorld(deps, task.world_id);
    const { value } = await runtime.request({
      schema: LLM_SCHEMAS.character_detail.schema,
      messages: messagesOf(buildCharacterDetailPrompt({ world, concept: p.concept })),
    });
    return value;
  },

  async avatar_prompt({ deps, task, runtime }) {
    const p = params<AvatarParams>(task);
    const world = await loadWorld(deps, task.world_id);
    const character = await deps.repos.tasks.requireStepResult<CharacterDetail>(p.character_task_id, 'character_detail');
    const { value } = await runtime.request({ schema: LLM_SCHEMAS.avatar_prompt.schema, messages: messagesOf(buildAvatarPrompt({ world, character })) });
    return value;
  },

  async post_batch({ deps, task, runtime }) {
    const p = params<PostBatchParams>(task);
    const world = await loadWorld(deps, task.world_id);
    // Planned from the concept: the first batch runs beside the profile, later ones also see the profile.
    const characterTask = await deps.repos.tasks.require(p.character_task_id);
    const concept = params<CharacterParams>(characterTask).concept;
    const character = ((characterTask.result as Record<string, unknown> | null)?.character_detail ?? null) as CharacterDetail | null;
    const { items, requests } = await collectDistinct<PostConcept>(
      p.batch_size,
      async (missing, accepted) => {
        const prompt = buildPostBatchPrompt({
          world,
          concept,
          character,
          batchSize: missing,
          batchIndex: p.batch_index,
          totalPosts: p.total_posts,
          alreadyGenerated: p.first_post_index + accepted.length,
          futureCount: p.total_posts - p.first_post_index - p.batch_size,
          previousSummary: p.previous_summary,
          existingTopics: accepted.map((c) => c.topic),
        });
        const { value } = await runtime.request({ schema: LLM_SCHEMAS.post_batch.schema, messages: messagesOf(prompt) });
        return { items: value.posts as PostConcept[] };
      },
      (c) => `${c.topic} ${c.content_brief}`,
      'posts',
    );
    const result: PostBatchResult = { concepts: items, summary: summarizePosts(items), requests };
    return result;
  },

  async post_detail({ deps, task, runtime }) {
    const p = params<PostParams>(task);
    const world = await loadWorld(deps, task.world_id);
    const character = await deps.repos.tasks.requireStepResult<CharacterDetail>(p.character_task_id, 'character_detail');
    const { value } = await runtime.request({
      schema: LLM_SCHEMAS.post_detail.schema,
      messages: messagesOf(buildPostDetailPrompt({ world, character, concept: p.concept })),
    });
    // The picture's final prompt, where the image step of this task reads it (before the detail itself is stored, so
    // a stored detail always has its prompt beside it).
    await deps.repos.tasks.saveStepResult(task._id, 'post_image_prompt', { prompt: value.image_prompt });
    return value;
  },

  async post_image_prompt({ deps, task, runtime }) {
    const p = params<PostImageParams>(task);
    const world = await loadWorld(deps, task.world_id);
    const character = await deps.repos.tasks.requireStepResult<CharacterDetail>(p.character_task_id, 'character_detail');
    const post = await deps.repos.tasks.requireStepResult<PostDetail>(p.post_task_id, 'post_detail');
    const { value } = await runtime.request({
      schema: LLM_SCHEMAS.post_image_prompt.schema,
      messages: messagesOf(buildPostImagePrompt({ world, character, post })),
    });
    return value;
  },
};
