export { buildAvatarPrompt, type AvatarPromptInput } from './avatar';
export { buildCharacterBatchPrompt, type CharacterBatchPromptInput } from './character-batch';
export { buildCharacterDetailPrompt, type CharacterDetailPromptInput } from './character-detail';
export { buildPostBatchPrompt, type PostBatchPromptInput } from './post-batch';
export { buildPostDetailPrompt, type PostDetailPromptInput } from './post-detail';
export { buildPostImagePrompt, type PostImagePromptInput } from './post-image';
export {
  cleanText,
  joinList,
  languageInstruction,
  renderCharacter,
  renderCharacterConcept,
  renderCharacterVisuals,
  renderCharacterVoice,
  renderPostConcept,
  renderWorld,
  renderWorldBrief,
  renderWorldForFeed,
  renderWorldVisuals,
  worldLanguage,
  type RenderCharacterOptions,
} from './render';
export { DEFAULT_SUMMARY_MAX_CHARS, extendSummary, summarizeCharacters, summarizePosts } from './summary';
export type { PromptMessages } from './types';
export { buildWorldDescriptionPrompt, type WorldDescriptionPromptInput } from './world-description';
export { buildWorldImagePrompt, IMAGE_PROMPT_SYSTEM, type WorldImagePromptInput } from './world-image';
