/** Names of the LLM steps and image kinds — the one declaration every layer imports. Workflow-safe. */
export const LLM_STEPS = [
  'world_description',
  'world_image_prompts',
  'character_batch',
  'character_detail',
  'avatar_prompt',
  'post_batch',
  'post_detail',
  'post_image_prompt',
] as const;
export type LlmStep = (typeof LLM_STEPS)[number];

export const IMAGE_KINDS = ['world_header', 'world_icon', 'character_avatar', 'post_image'] as const;
export type ImageKind = (typeof IMAGE_KINDS)[number];
