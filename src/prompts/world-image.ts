import type { WorldDescription } from '../schemas/llm';
import { DATA_RULE, paragraphs, renderWorldVisuals, tagged } from './render';
import type { PromptMessages } from './types';

export interface WorldImagePromptInput {
  world: WorldDescription;
}

export const IMAGE_PROMPT_SYSTEM = `You write prompts for a text-to-image model. Your prompts are concrete and visual: subject, composition, style, lighting, colours, mood and texture. They contain only visual directions, never names of people, captions, lettering, logos or watermarks.
Image prompts are always in English, whatever language the material you are given is written in.
${DATA_RULE}
Answer only with a JSON object that follows the given schema.`;

/** Step 2: prompts for the world's header banner and icon. */
export function buildWorldImagePrompt({ world }: WorldImagePromptInput): PromptMessages {
  const user = paragraphs(
    'Write two image prompts for the world below: a header image and an icon.',
    tagged('world', renderWorldVisuals(world)),
    `Requirements:
- header_prompt: a wide, panoramic establishing view that shows what makes this world distinctive; 3–6 sentences stating subject, composition, art style, mood and lighting.
- icon_prompt: a square emblem with one simple, bold, recognisable subject that still reads at small sizes; 3–6 sentences; no text or letters.
- Both images share one visual identity: the same style, palette and mood. Describe it in style_reference, visual_elements, mood and color_palette.
- Everything you write must be in English, even though the world may be described in another language.`,
  );
  return { system: IMAGE_PROMPT_SYSTEM, user };
}
