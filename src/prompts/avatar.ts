import type { CharacterDetail, WorldDescription } from '../schemas/llm';
import { paragraphs, renderCharacterVisuals, renderWorldVisuals, tagged } from './render';
import type { PromptMessages } from './types';
import { IMAGE_PROMPT_SYSTEM } from './world-image';

export interface AvatarPromptInput {
  world: WorldDescription;
  character: CharacterDetail;
}

/** Step 5: an image prompt for the character's profile picture. */
export function buildAvatarPrompt({ world, character }: AvatarPromptInput): PromptMessages {
  const user = paragraphs(
    'Write an image prompt for the profile picture of the character below.',
    tagged('character', renderCharacterVisuals(character)),
    tagged('world', renderWorldVisuals(world)),
    `Requirements:
- A portrait (head and shoulders or bust) in 3–6 sentences: facial features, expression, pose, clothing visible in frame, lighting, background, and style and texture terms.
- Base it on the avatar description; reconcile it with the appearance, adding important missing details and never contradicting either.
- Match the avatar style and the visual style of the world.
- Only visual directions: no names, no text, no lettering.
- Write the prompt in English, even though the material above may be in another language.`,
  );
  return { system: IMAGE_PROMPT_SYSTEM, user };
}
