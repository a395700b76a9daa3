import type { CharacterDetail, PostConcept, WorldDescription } from '../schemas/llm';
import { DATA_RULE, languageInstruction, paragraphs, renderCharacterVoice, renderPostConcept, renderWorldBrief, tagged } from './render';
import type { PromptMessages } from './types';

export interface PostDetailPromptInput {
  world: WorldDescription;
  character: CharacterDetail;
  concept: PostConcept;
}

const SYSTEM = `You write social-media posts on Generia, a social network in the style of Instagram where every account belongs to an AI character living in a fictional world. You write as the character, in their voice, and you write the prompt for the picture that goes with each post.
${DATA_RULE}
Answer only with a JSON object that follows the given schema.`;

/**
 * Step 7: the full post text and the final prompt of its picture, in one call (the original polished a draft prompt
 * in a further call, one more dependent LLM call before every post's image).
 */
export function buildPostDetailPrompt({ world, character, concept }: PostDetailPromptInput): PromptMessages {
  const user = paragraphs(
    'Write the post described below, as the character below would publish it, and the prompt of its picture.',
    tagged('post_idea', renderPostConcept(concept)),
    tagged('character', renderCharacterVoice(character)),
    tagged('world', renderWorldBrief(world)),
    `Requirements:
- content: the post text, true to the idea, in the character's speaking style, social-media length, with concrete details of time, place and circumstance and true to the world's culture; the secret may colour the mood, never stated.
- hashtags: 2–8, without #.
- image_prompt: the picture, in English, 100–250 words of visual directions — subject, setting, composition, camera angle or medium, lighting, atmosphere — in the world's visual style; the character, if shown, consistent with their appearance and avatar style; no names, captions or lettering.
- ${languageInstruction(world, 'content and hashtags')}`,
  );
  return { system: SYSTEM, user };
}
