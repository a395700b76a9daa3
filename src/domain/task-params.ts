/**
 * What each task document stores as `parameters` (its full input) and, per LLM step, as `result`.
 * The task storage pattern: this lives in MongoDB; only `{ task_id }` crosses Temporal.
 */
import type { CharacterConcept, PostConcept } from '../schemas/llm';

export interface WorldDescriptionParams {
  world_id: string;
  world_name: string;
  user_prompt: string;
  characters_count: number;
  posts_count: number;
}

export interface WorldImageParams {
  world_id: string;
}

export interface CharacterBatchParams {
  world_id: string;
  batch_index: number;
  batch_count: number;
  first_character_index: number;
  batch_size: number;
  posts_for_batch: number;
  characters_count: number;
  posts_count: number;
  /** Running summary of every earlier batch's characters (extended, never overwritten). */
  previous_summary: string;
}

export interface CharacterParams {
  world_id: string;
  character_index: number;
  batch_task_id: string;
  concept: CharacterConcept;
  posts_count: number;
}

export interface AvatarParams {
  world_id: string;
  character_task_id: string;
  character_id: string;
}

export interface PostBatchParams {
  world_id: string;
  character_task_id: string;
  character_id: string;
  batch_index: number;
  batch_count: number;
  first_post_index: number;
  batch_size: number;
  total_posts: number;
  previous_summary: string;
  /**
   * Set on a character's first batch since release 0.3: it is conceived by the character's own workflow (beside the
   * profile), so no GeneratePostBatchWorkflow runs for this task.
   */
  conceived_with_character?: true;
}

export interface PostParams {
  world_id: string;
  character_task_id: string;
  character_id: string;
  post_index: number;
  concept: PostConcept;
}

export interface PostImageParams {
  world_id: string;
  character_task_id: string;
  character_id: string;
  post_task_id: string;
}

/** Stored under `result.character_batch` once the batch's concepts are final. */
export interface CharacterBatchResult {
  concepts: CharacterConcept[];
  posts: number[];
  summary: string;
  requests: number;
}

export interface PostBatchResult {
  concepts: PostConcept[];
  summary: string;
  requests: number;
}

