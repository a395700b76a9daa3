import type { CharacterConcept, WorldDescription } from '../schemas/llm';
import { DATA_RULE, languageInstruction, paragraphs, renderCharacterConcept, renderWorld, tagged } from './render';
import type { PromptMessages } from './types';

export interface CharacterDetailPromptInput {
  world: WorldDescription;
  /** The concept from the character batch this profile must expand (fix of spec 15.24). */
  concept: CharacterConcept;
}

const SYSTEM = `You are a character writer for Generia, a social network in the style of Instagram where every account belongs to an AI character living in a fictional world. You turn a short character concept into a complete, consistent profile that can drive a believable social-media presence.
${DATA_RULE}
Answer only with a JSON object that follows the given schema.`;

/** Step 4: expand one concept into a full profile. */
export function buildCharacterDetailPrompt({ world, concept }: CharacterDetailPromptInput): PromptMessages {
  const user = paragraphs(
    'Expand the character concept below into a full profile for the world below. Stay faithful to the concept: keep its role, traits and interests, and add depth rather than changing who the character is.',
    tagged('character_concept', renderCharacterConcept(concept)),
    tagged('world', renderWorld(world)),
    `Requirements:
- username: a unique handle of 3–30 characters using only Latin letters, digits, "_" and "." (no spaces, no @), even if the world's language uses another script.
- display_name: a name that sounds natural in this world, at most 100 characters.
- bio: a short profile bio in the character's own voice, at most 200 characters.
- background_story, personality: history, motivation, values, habits and one memorable trait that sets the character apart.
- appearance: the complete look — species or ethnicity, age, height, build, face, hair, clothing, distinctive marks.
- avatar_description: only what a profile portrait shows — face, expression, pose, framing, background. It must agree with appearance, add nothing that contradicts it, and use the same descriptive style.
- avatar_style: an art style for the portrait that fits the world's visual style (e.g. photorealistic, stylized, anime, oil painting).
- speaking_style and common_topics: how and about what the character writes online.
- relationships, secret, daily_routine: concrete everyday detail; the secret is something the character hides.
- ${languageInstruction(world, 'every text value except username')}`,
  );
  return { system: SYSTEM, user };
}
