import type * as v from 'valibot';
import { CharacterBatchSchema } from './character-batch';
import { CharacterDetailSchema } from './character-detail';
import { AvatarPromptSchema, PostImagePromptSchema } from './image-prompt';
import { PostBatchSchema } from './post-batch';
import { PostDetailSchema } from './post-detail';
import { WorldDescriptionSchema } from './world-description';
import { WorldImagePromptsSchema } from './world-image-prompts';

export * from './character-batch';
export * from './character-detail';
export * from './common';
export * from './image-prompt';
export * from './post-batch';
export * from './post-detail';
export * from './world-description';
export * from './world-image-prompts';

import type { LlmStep } from '../../domain/steps';
export type { LlmStep } from '../../domain/steps';

export interface LlmSchemaEntry {
  readonly schema: v.GenericSchema;
  /** Schema name sent as `response_format.json_schema.name` (matches ^[a-zA-Z0-9_-]+$). */
  readonly name: string;
  readonly temperature: number;
  readonly maxTokens: number;
}

/** Output schema and call parameters per step (temperatures and token limits from the reference, spec 2.5). */
export const LLM_SCHEMAS = {
  world_description: { schema: WorldDescriptionSchema, name: 'WorldDescriptionResponse', temperature: 0.8, maxTokens: 4096 },
  world_image_prompts: { schema: WorldImagePromptsSchema, name: 'ImagePromptResponse', temperature: 0.7, maxTokens: 2048 },
  character_batch: { schema: CharacterBatchSchema, name: 'CharacterBatchResponse', temperature: 0.9, maxTokens: 8192 },
  character_detail: { schema: CharacterDetailSchema, name: 'CharacterDetailResponse', temperature: 0.8, maxTokens: 4096 },
  avatar_prompt: { schema: AvatarPromptSchema, name: 'CharacterAvatarPromptResponse', temperature: 0.7, maxTokens: 2048 },
  post_batch: { schema: PostBatchSchema, name: 'PostBatchResponse', temperature: 0.9, maxTokens: 6144 },
  post_detail: { schema: PostDetailSchema, name: 'PostDetailResponse', temperature: 0.8, maxTokens: 4096 },
  post_image_prompt: { schema: PostImagePromptSchema, name: 'PostImagePromptResponse', temperature: 0.7, maxTokens: 2048 },
} as const satisfies Record<LlmStep, LlmSchemaEntry>;


/** The validated output type of a step, e.g. `LlmOutput<'post_detail'>` = `PostDetail`. */
export type LlmOutput<S extends LlmStep> = v.InferOutput<(typeof LLM_SCHEMAS)[S]['schema']>;
