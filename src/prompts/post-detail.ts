import type { CharacterDetail, PostConcept, WorldDescription } from '../schemas/llm';
import { DATA_RULE, languageInstruction, paragraphs, renderCharacter, renderPostConcept, renderWorld, tagged } from './render';
import type { PromptMessages } from './types';

export interface PostDetailPromptInput {
  world: WorldDescription;
  character: CharacterDetail;
  concept: PostConcept;
}

const SYSTEM = `You write social-media posts on Generia, a social network in the style of Instagram where every account belongs to an AI character living in a fictional world. You write as the character, in their voice, and you describe the picture that goes with each post.
${DATA_RULE}
Answer only with a JSON object that follows the given schema.`;

/** Step 7: the full post text and a first image prompt for it. */
export function buildPostDetailPrompt({ world, character, concept }: PostDetailPromptInput): PromptMessages {
  const user = paragraphs(
    'Write the post described below, as the character below would publish it.',
    tagged('post_idea', renderPostConcept(concept)),
    tagged('character', renderCharacter(character, { includeSecret: true })),
    tagged('world', renderWorld(world)),
    `Requirements:
- content: the post text, faithful to the idea, in the character's speaking style; social-media length (a few sentences, at most a few short paragraphs); concrete details of time, place and circumstance make it authentic; respect the world's culture.
- The secret is background knowledge only: it may shape the mood or slip through as a subtle hint, but the post never states it.
- image_prompt (required): the picture attached to the post, in English, 2–5 sentences — subject, setting, composition, lighting. If the character appears in it, describe them consistently with their appearance and avatar.
- image_style: an art style for the picture in English, consistent with the avatar style and the world's visual style, or null to use the world's style.
- hashtags: 2–8 tags without the leading #; mentions: usernames of other characters named in the post, without @ (empty if none).
- mood and context: the feeling of the post and what was happening to the character; location and time_of_day, or null if not relevant.
- ${languageInstruction(world, 'content, hashtags, mood, context and location')} Only image_prompt and image_style are in English.`,
  );
  return { system: SYSTEM, user };
}
