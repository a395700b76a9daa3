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
- username: 3–30 Latin letters, digits, "_" or "." (no spaces, no @), whatever the world's script; display_name natural in this world (≤ 100 characters); bio in the character's voice (≤ 200 characters).
- background_story, personality: history, motivation, values, habits, one memorable trait; appearance: the complete look (species or ethnicity, age, build, face, hair, clothing, marks).
- avatar_description: what the portrait shows, agreeing with appearance; avatar_style: an art style fitting the world's visual style; avatar_prompt: the final English image prompt, 3–6 sentences, for that head-and-shoulders portrait — features, expression, pose, clothing, lighting, background, style and texture terms; no names, no text.
- speaking_style, common_topics: how and about what they write online; relationships, secret (hidden from others), daily_routine: concrete everyday detail.
- ${languageInstruction(world, 'every text value except username and avatar_prompt')}`,
  );
  return { system: SYSTEM, user };
}
