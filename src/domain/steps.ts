/** Names of the LLM steps and image kinds. Workflow-safe. */
export type LlmStep =
  | 'world_description'
  | 'world_image_prompts'
  | 'character_batch'
  | 'character_detail'
  | 'avatar_prompt'
  | 'post_batch'
  | 'post_detail'
  | 'post_image_prompt';

export type ImageKind = 'world_header' | 'world_icon' | 'character_avatar' | 'post_image';
