import type { CharacterDetail, PostDetail, WorldDescription } from '../schemas/llm';
import { cleanText, inlineData, paragraphs, renderCharacterVisuals, renderWorldVisuals, tagged } from './render';
import type { PromptMessages } from './types';
import { IMAGE_PROMPT_SYSTEM } from './world-image';

export interface PostImagePromptInput {
  world: WorldDescription;
  character: CharacterDetail;
  post: PostDetail;
}

/**
 * Step 8 of the release before: polishes a post's draft image prompt. Posts written now carry their final prompt
 * (see post-detail.ts); this step stays for posts whose workflow started under the earlier release, whose stored
 * detail may still have an `image_style`.
 */
export function buildPostImagePrompt({ world, character, post }: PostImagePromptInput): PromptMessages {
  const style = cleanText((post as PostDetail & { image_style?: unknown }).image_style);
  const user = paragraphs(
    'Improve the draft image prompt of the post below into a final prompt for the image model.',
    tagged('draft_prompt', post.image_prompt.trim()),
    style !== null
      ? `Requested style: ${inlineData(style, 200)}`
      : 'No style was requested: use the visual style of the world.',
    `Post text (context only — do not put any of its words into the image):\n${tagged('post', post.content.trim())}`,
    tagged('author', renderCharacterVisuals(character)),
    tagged('world', renderWorldVisuals(world)),
    `Requirements:
- Keep the idea of the draft; add composition, camera angle or medium, lighting and atmosphere; fit the world's visual style and the moment of the post; remove contradictions.
- If the author appears in the picture, keep them consistent with their appearance, avatar description and avatar style.
- 100–250 words of visual directions only: no names, no captions, no lettering.
- Write the prompt in English, even though the material above may be in another language.`,
  );
  return { system: IMAGE_PROMPT_SYSTEM, user };
}
